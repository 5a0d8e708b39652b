; Running past the last instruction stops with BAD_PC at pc == program length.
; expect: status BAD_PC
; expect: pc 2
; expect: steps 2
        li  r1, 1
        li  r2, 2
