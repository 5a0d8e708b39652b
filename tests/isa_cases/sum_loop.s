; Sum 1..100 with a countdown loop.
; expect: status HALTED
; expect: r2 = 5050
; expect: r1 = 0
; expect: steps 303
        li   r1, 100
        li   r2, 0
loop:   add  r2, r2, r1
        addi r1, r1, -1
        bnei r1, 0, loop
        halt
