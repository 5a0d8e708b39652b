; sub.s: a - b for non-negative integers of any number of decimal digits; the result may be negative and comes out
; as sign and magnitude (the GPT-3 paper's 2D- .. 5D-, and beyond).
;
; Memory layout (word addresses; the data section starts at 0):
;   na, nb    digit counts of a and b, each >= 1 (the caller writes them)
;   neg       output: 1 when a < b (the result is -magnitude), else 0
;   out_len   output: the digit count of |a - b|, no leading zeros (1 when a = b)
;   out_at    output: the address of |a - b|'s digits, least significant first (input + na + nb)
;   input     a's na digits, then b's nb digits (0..9 each, least significant first), then max(na, nb) words where
;             the magnitude is written
; The memory must hold at least input + na + nb + max(na, nb) words. Leading zeros in a or b are allowed.
;
; Algorithm: drop leading zeros of both, compare (the longer is larger; at equal lengths the first differing digit
; from the top decides), then subtract the smaller from the larger with a borrow of 0 or 1 from the low digit,
; reading a missing digit of the smaller as 0; trim leading zeros. About 16 instructions a digit, 27 at equal
; lengths (the comparison then reads every digit too).
; Limit (isa/library.py): 100_000 digits per operand.
;
; Registers: r0 = 0 throughout (the base for absolute addresses).
;
; Golden case: 45 - 1002 = -957: neg 1, digits 7 5 9 at 11..13 (a at 5, b at 7, the result at 5 + 2 + 4).
; run: mem=15
; expect: status HALTED
; expect: r1 = 3
; expect: mem[2] = 1
; expect: mem[3] = 3
; expect: mem[4] = 11
; expect: mem[11] = 7
; expect: mem[12] = 5
; expect: mem[13] = 9

.data
na:       .word 2
nb:       .word 4
neg:      .word 0
out_len:  .word 0
out_at:   .word 0
input:    .word 5, 4            ; a = 45
          .word 2, 0, 0, 1      ; b = 1002

.text
        li   r0, 0
        ld   r1, [r0 + na]
        ld   r2, [r0 + nb]
        li   r3, input          ; r3 = a
        add  r4, r3, r1         ; r4 = b
        add  r5, r4, r2         ; r5 = result, right after b

trim_a: beqi r1, 1, trim_b      ; r1 = la, a's length without leading zeros (at least 1)
        add  r9, r3, r1
        ld   r9, [r9 - 1]
        bnei r9, 0, trim_b
        subi r1, r1, 1
        jmp  trim_a
trim_b: beqi r2, 1, compare     ; r2 = lb, likewise
        add  r9, r4, r2
        ld   r9, [r9 - 1]
        bnei r9, 0, compare
        subi r2, r2, 1
        jmp  trim_b

compare:
        blt  r1, r2, a_less     ; fewer digits: smaller
        blt  r2, r1, a_more
        mov  r7, r1             ; equal lengths: r7 = k runs down from the top digit
cmp_digit:
        beqi r7, 0, a_more      ; all digits equal: a - b = 0, reported as non-negative
        subi r7, r7, 1
        add  r9, r3, r7
        ld   r9, [r9]
        add  r10, r4, r7
        ld   r10, [r10]
        blt  r9, r10, a_less
        blt  r10, r9, a_more
        jmp  cmp_digit

a_less: li   r6, 1              ; swap so that r3 (length r1) is the larger, r4 (length r2) the smaller
        mov  r9, r3
        mov  r3, r4
        mov  r4, r9
        mov  r9, r1
        mov  r1, r2
        mov  r2, r9
        jmp  subtract
a_more: li   r6, 0
subtract:
        st   r6, [r0 + neg]
        li   r7, 0              ; r7 = k, the digit position
        li   r8, 0              ; r8 = borrow
loop:   add  r9, r3, r7
        ld   r9, [r9]
        sub  r9, r9, r8         ; r9 = big[k] - borrow - small[k]
        bge  r7, r2, no_small
        add  r10, r4, r7
        ld   r10, [r10]
        sub  r9, r9, r10
no_small:
        li   r8, 0
        bgei r9, 0, put
        addi r9, r9, 10
        li   r8, 1
put:    add  r10, r5, r7
        st   r9, [r10]
        addi r7, r7, 1
        blt  r7, r1, loop

        add  r7, r5, r1         ; drop leading zero digits, keeping at least one
        subi r7, r7, 1
trim:   beq  r7, r5, done
        ld   r9, [r7]
        bnei r9, 0, done
        subi r7, r7, 1
        jmp  trim
done:   sub  r1, r7, r5
        addi r1, r1, 1          ; r1 = digit count of |a - b|
        st   r1, [r0 + out_len]
        st   r5, [r0 + out_at]
        halt
