; square_mul.s: x*x for an int64 x with the machine's one MUL instruction: the constant-work counterpart of square.s.
;
; Memory layout:
;   x     the input, an int64 with |x| <= 3037000499 so that x*x fits int64 (larger x wraps, as MUL does)
;   out   output: x*x
; Also left in r1.
;
; Golden case: -12345 squared is 152399025.
; run: mem=2
; expect: status HALTED
; expect: r1 = 152399025
; expect: mem[1] = 152399025
; expect: steps 5

.data
x:      .word -12345
out:    .word 0

.text
        li   r0, 0
        ld   r1, [r0 + x]
        mul  r1, r1, r1
        st   r1, [r0 + out]
        halt
