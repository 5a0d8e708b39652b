; An endless loop stops exactly when the fuel is spent.
; run: fuel=1000
; expect: status OUT_OF_FUEL
; expect: steps 1000
; expect: pc 2
; expect: r1 = 500
        li   r1, 0
loop:   addi r1, r1, 1
        jmp  loop
