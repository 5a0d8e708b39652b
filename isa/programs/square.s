; square.s: x*x for a non-negative integer x of any number of decimal digits, by schoolbook multiplication.
;
; Why digits and not MUL: the instruction count grows with the digit count n (about 8 n^2 + 30 n), the way a
; language model's work grows with the digits it reads and writes. square_mul.s is the one-MUL version for int64.
;
; Memory layout (word addresses; the data section starts at 0):
;   n         the digit count of x, >= 1 (the caller writes it; x = 0 is the one digit 0)
;   out_len   output: the digit count of x*x, no leading zeros (1 when x = 0)
;   out_at    output: the address of x*x's digits, least significant first (always input + n)
;   input     x's n digits (0..9 each), least significant first; then 2n words of workspace where x*x is built
; The memory must hold at least input + 3n words. The workspace is cleared here, so it may hold anything.
; Leading zeros in x are allowed; the result never has any.
;
; Algorithm: every digit product is added into its column first, res[i+j] += x[i] * x[j] (a column never exceeds
; 81 n, far from int64's range for any n that fits in memory), then one carry pass from the low end makes every
; column a digit: res[k+1] += res[k] / 10, res[k] %= 10. Since x < 10^n, x*x < 10^2n fits the 2n columns.
; Limit (isa/library.py): 10_000 digits, about 8e8 instructions.
;
; Registers: r0 = 0 throughout (the base for absolute addresses).
;
; Golden case: 123 * 123 = 15129, digits 9 2 1 5 1 at 6..10 (input is at 3, the result at 3 + 3).
; run: mem=12
; expect: status HALTED
; expect: r1 = 5
; expect: mem[1] = 5
; expect: mem[2] = 6
; expect: mem[6] = 9
; expect: mem[7] = 2
; expect: mem[8] = 1
; expect: mem[9] = 5
; expect: mem[10] = 1
; expect: mem[11] = 0

.data
n:        .word 3
out_len:  .word 0
out_at:   .word 0
input:    .word 3, 2, 1         ; x = 123 by default (the golden case)

.text
        li   r0, 0
        ld   r1, [r0 + n]
        li   r2, input          ; r2 = x
        add  r9, r2, r1         ; r9 = end of x
        mov  r3, r9             ; r3 = res, right after x
        add  r8, r3, r1
        add  r8, r8, r1         ; r8 = end of res (2n columns)
        mov  r7, r3
clear:  st   r0, [r7]
        addi r7, r7, 1
        blt  r7, r8, clear

        mov  r4, r2             ; r4 -> x[i]
        mov  r10, r3            ; r10 -> res[i]
outer:  ld   r5, [r4]           ; r5 = x[i]
        mov  r6, r2             ; r6 -> x[j]
        mov  r7, r10            ; r7 -> res[i + j]
inner:  ld   r11, [r6]
        mul  r11, r11, r5
        ld   r12, [r7]
        add  r12, r12, r11
        st   r12, [r7]
        addi r6, r6, 1
        addi r7, r7, 1
        blt  r6, r9, inner
        addi r4, r4, 1
        addi r10, r10, 1
        blt  r4, r9, outer

        li   r11, 0             ; r11 = carry
        mov  r7, r3
carry:  ld   r12, [r7]
        add  r12, r12, r11
        divi r11, r12, 10
        modi r12, r12, 10
        st   r12, [r7]
        addi r7, r7, 1
        blt  r7, r8, carry

        subi r7, r8, 1          ; drop leading zero digits, keeping at least one
trim:   beq  r7, r3, done
        ld   r12, [r7]
        bnei r12, 0, done
        subi r7, r7, 1
        jmp  trim
done:   sub  r1, r7, r3
        addi r1, r1, 1          ; r1 = digit count of x*x
        st   r1, [r0 + out_len]
        st   r3, [r0 + out_at]
        halt
