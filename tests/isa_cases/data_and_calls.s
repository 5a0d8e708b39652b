; Data directives, character literals, .equ constants, labels as addresses, call/ret and a jr jump table.
; run: mem=32
; expect: status HALTED
; expect: r1 = 97
; expect: r2 = 39
; expect: r3 = 10
; expect: mem[0] = 1
; expect: mem[3] = 97
; expect: mem[4] = 6
; expect: mem[8] = 9
; expect: mem[9] = 10
; expect: mem[12] = 42
; expect: r5 = 42
.equ    SLOT, 4
.data
table:  .word 1, -2, 0x10, 'a'
buf:    .zero SLOT
.text
        li   r4, table
        ld   r1, [r4 + 3]
        li   r2, '\''
        li   r3, '\n'
        call double         ; r6 = 2 * mem[table + 2] - 26 = 6
        st   r6, [r4 + buf]
.data
jumps:  .word case0, case1  ; code labels are allowed in .word: a table for jr
.text
        li   r7, jumps
        ld   r8, [r7 + 1]
        jr   r8
case0:  halt                ; not reached
case1:  li   r5, 42
        st   r5, [r4 + 12]
        halt
double: ld   r6, [r4 + 2]
        add  r6, r6, r6
        subi r6, r6, 26
        ret
