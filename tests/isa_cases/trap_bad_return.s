; RET to an address outside the program traps at the RET itself.
; expect: status BAD_PC
; expect: pc 1
; expect: steps 1
        li  lr, -1
        ret
