; add.s: a + b for non-negative integers of any number of decimal digits (the GPT-3 paper's 2D+ .. 5D+, and beyond).
;
; Memory layout (word addresses; the data section starts at 0):
;   na, nb    digit counts of a and b, each >= 1 (the caller writes them)
;   out_len   output: the digit count of a + b, no leading zeros
;   out_at    output: the address of a + b's digits, least significant first (input + na + nb)
;   input     a's na digits, then b's nb digits (0..9 each, least significant first), then max(na, nb) + 1 words
;             where the sum is written
; The memory must hold at least input + na + nb + max(na, nb) + 1 words. Leading zeros in a or b are allowed.
;
; Algorithm: one pass from the low digit with a carry of 0 or 1, reading a missing digit of the shorter number as 0;
; the final carry is the top digit; leading zeros are then trimmed. About 16 instructions a digit.
; Limit (isa/library.py): 100_000 digits per operand.
;
; Registers: r0 = 0 throughout (the base for absolute addresses).
;
; Golden case: 987 + 45 = 1032, digits 2 3 0 1 at 9..12 (a at 4, b at 7, the sum at 4 + 3 + 2).
; run: mem=13
; expect: status HALTED
; expect: r1 = 4
; expect: mem[2] = 4
; expect: mem[3] = 9
; expect: mem[9] = 2
; expect: mem[10] = 3
; expect: mem[11] = 0
; expect: mem[12] = 1

.data
na:       .word 3
nb:       .word 2
out_len:  .word 0
out_at:   .word 0
input:    .word 7, 8, 9         ; a = 987
          .word 5, 4            ; b = 45

.text
        li   r0, 0
        ld   r1, [r0 + na]
        ld   r2, [r0 + nb]
        li   r3, input          ; r3 = a
        add  r4, r3, r1         ; r4 = b
        add  r5, r4, r2         ; r5 = sum
        mov  r6, r1             ; r6 = m = max(na, nb)
        bge  r1, r2, start
        mov  r6, r2
start:  li   r7, 0              ; r7 = k, the digit position
        li   r8, 0              ; r8 = carry
loop:   mov  r9, r8             ; r9 = carry + a[k] + b[k]
        bge  r7, r1, no_a
        add  r10, r3, r7
        ld   r10, [r10]
        add  r9, r9, r10
no_a:   bge  r7, r2, no_b
        add  r10, r4, r7
        ld   r10, [r10]
        add  r9, r9, r10
no_b:   li   r8, 0
        blti r9, 10, put
        subi r9, r9, 10
        li   r8, 1
put:    add  r10, r5, r7
        st   r9, [r10]
        addi r7, r7, 1
        blt  r7, r6, loop
        add  r10, r5, r6
        st   r8, [r10]          ; the last carry is digit m

        mov  r7, r10            ; drop leading zero digits, keeping at least one
trim:   beq  r7, r5, done
        ld   r9, [r7]
        bnei r9, 0, done
        subi r7, r7, 1
        jmp  trim
done:   sub  r1, r7, r5
        addi r1, r1, 1          ; r1 = digit count of the sum
        st   r1, [r0 + out_len]
        st   r5, [r0 + out_at]
        halt
