; expect: status DIV_ZERO
; expect: pc 2
; expect: steps 2
; expect: r3 = 0
        li  r1, 5
        li  r2, 0
        div r3, r1, r2
        halt
