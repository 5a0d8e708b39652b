; mul.s: a * b for non-negative integers of any number of decimal digits, by schoolbook multiplication (the GPT-3
; paper's 2Dx, and beyond).
;
; Memory layout (word addresses; the data section starts at 0):
;   na, nb    digit counts of a and b, each >= 1 (the caller writes them)
;   out_len   output: the digit count of a * b, no leading zeros (1 when either is 0)
;   out_at    output: the address of a * b's digits, least significant first (input + na + nb)
;   input     a's na digits, then b's nb digits (0..9 each, least significant first), then na + nb words of
;             workspace where the product is built
; The memory must hold at least input + 2 (na + nb) words. The workspace is cleared here, so it may hold anything.
;
; Algorithm: as square.s: res[i+j] += a[i] * b[j] for every pair (a column stays below 81 min(na, nb)), then one
; carry pass from the low end; a * b < 10^(na+nb) fits the columns. About 8 na nb + 30 (na + nb) instructions.
; Limit (isa/library.py): 10_000 digits per operand.
;
; Registers: r0 = 0 throughout (the base for absolute addresses).
;
; Golden case: 99 * 999 = 98901, digits 1 0 9 8 9 at 9..13.
; run: mem=14
; expect: status HALTED
; expect: r1 = 5
; expect: mem[2] = 5
; expect: mem[3] = 9
; expect: mem[9] = 1
; expect: mem[10] = 0
; expect: mem[11] = 9
; expect: mem[12] = 8
; expect: mem[13] = 9

.data
na:       .word 2
nb:       .word 3
out_len:  .word 0
out_at:   .word 0
input:    .word 9, 9            ; a = 99
          .word 9, 9, 9         ; b = 999

.text
        li   r0, 0
        ld   r1, [r0 + na]
        ld   r2, [r0 + nb]
        li   r13, input         ; r13 = a
        add  r9, r13, r1        ; r9 = b = end of a
        add  r14, r9, r2        ; r14 = end of b
        mov  r3, r14            ; r3 = res, right after b
        add  r8, r3, r1
        add  r8, r8, r2         ; r8 = end of res (na + nb columns)
        mov  r7, r3
clear:  st   r0, [r7]
        addi r7, r7, 1
        blt  r7, r8, clear

        mov  r4, r13            ; r4 -> a[i]
        mov  r10, r3            ; r10 -> res[i]
outer:  ld   r5, [r4]           ; r5 = a[i]
        mov  r6, r9             ; r6 -> b[j]
        mov  r7, r10            ; r7 -> res[i + j]
inner:  ld   r11, [r6]
        mul  r11, r11, r5
        ld   r12, [r7]
        add  r12, r12, r11
        st   r12, [r7]
        addi r6, r6, 1
        addi r7, r7, 1
        blt  r6, r14, inner
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
        addi r1, r1, 1          ; r1 = digit count of the product
        st   r1, [r0 + out_len]
        st   r3, [r0 + out_at]
        halt
