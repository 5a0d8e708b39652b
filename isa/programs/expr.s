; expr.s: evaluate an arithmetic expression given as text, e.g. "(6 + 7) * 3" (the GPT-3 paper's 1DC).
;
; The text: non-negative integer literals (the paper's are single digits; longer ones work too), the binary operators
; + - *, parentheses and spaces. * binds tighter than + and -; operators of equal precedence group from the left
; (8 - 3 - 2 = 3). There is no unary minus: "-3" is an error. Arithmetic wraps to int64 like the machine's.
;
; Memory layout (word addresses; the data section starts at 0):
;   len       the number of characters (the caller writes it)
;   value     output: the expression's value (0 on error)
;   error     output: 0 when the text is well formed, else
;               1 a character that is never allowed (anything but 0-9 + - * ( ) and space)
;               2 an allowed character in the wrong place (an operator or ')' where a number or '(' belongs, a number
;                 or '(' right after a number or ')')
;               3 a ')' without its '('
;               4 a '(' never closed
;               5 the text ends where a number or '(' belongs (empty text, a trailing operator)
;   err_pos   output: the index of the offending character (of the '(' for 4, of the end, len, for 5)
;   input     the len characters, one character code per word
;   then      len words: the value stack; 2 len words: the operator stack (operator, index of that character)
; The memory must hold at least input + 4 len words.
;
; Algorithm: Dijkstra's shunting yard, read once from left to right, values and operators on two stacks. A state bit
; says what may come next (a number or '(' / an operator or ')'), which is how malformed text is caught. An incoming
; operator first applies every stacked operator of higher or equal precedence (left associativity); ')' applies
; back to its '('; the end applies the rest. About 15 instructions a character. Limit (isa/library.py): 100_000
; characters.
;
; Registers: r0 = 0 throughout; r1 -> the current character, r2 = end of text, r3/r4 = value/operator stack tops
; (next free word), r5 = state (0: a number or '(' comes next, 1: an operator or ')'), r13 = operator stack base,
; r14 = input.
;
; Golden case: (6 + 7) * 3 = 39.
; run: mem=48
; expect: status HALTED
; expect: mem[1] = 39
; expect: mem[2] = 0
; expect: r1 = 39

.data
len:      .word 11
value:    .word 0
error:    .word 0
err_pos:  .word 0
input:    .word '(', '6', ' ', '+', ' ', '7', ')', ' ', '*', ' ', '3'

.text
        li   r0, 0
        ld   r2, [r0 + len]
        li   r14, input
        mov  r1, r14
        add  r2, r14, r2        ; r2 = end of text
        mov  r3, r2             ; value stack: right after the text
        ld   r13, [r0 + len]
        add  r13, r2, r13       ; operator stack: after len value slots
        mov  r4, r13
        li   r5, 0

next:   beq  r1, r2, at_end
        ld   r6, [r1]
        beqi r6, ' ', skip
        bnei r5, 0, operator
        blti r6, '0', not_digit ; a number or '(' belongs here
        bgei r6, 58, not_digit  ; 58 = '9' + 1
        subi r7, r6, '0'        ; r7 = the number's value so far
number: addi r1, r1, 1
        beq  r1, r2, number_done
        ld   r6, [r1]
        blti r6, '0', number_done
        bgei r6, 58, number_done
        muli r7, r7, 10
        add  r7, r7, r6
        subi r7, r7, '0'
        jmp  number
number_done:                    ; r1 is at the character after the number: read it next
        st   r7, [r3]
        addi r3, r3, 1
        li   r5, 1
        jmp  next
not_digit:
        bnei r6, '(', misplaced
        st   r6, [r4]
        sub  r7, r1, r14
        st   r7, [r4 + 1]       ; its index, should it never be closed
        addi r4, r4, 2
skip:   addi r1, r1, 1
        jmp  next

operator:                       ; an operator or ')' belongs here
        beqi r6, ')', close
        li   r8, 1              ; r8 = precedence of the incoming operator
        beqi r6, '+', binary
        beqi r6, '-', binary
        li   r8, 2
        beqi r6, '*', binary
        jmp  misplaced
binary: beq  r4, r13, push_op   ; apply stacked operators of precedence >= r8, down to a '('
        ld   r9, [r4 - 2]
        beqi r9, '(', push_op
        li   r10, 1
        bnei r9, '*', have_prec
        li   r10, 2
have_prec:
        blt  r10, r8, push_op
        call apply
        jmp  binary
push_op:
        st   r6, [r4]
        sub  r7, r1, r14
        st   r7, [r4 + 1]
        addi r4, r4, 2
        li   r5, 0
        jmp  skip
close:  beq  r4, r13, unmatched ; apply operators back to the '('
        ld   r9, [r4 - 2]
        beqi r9, '(', close_paren
        call apply
        jmp  close
close_paren:
        subi r4, r4, 2          ; "( e )" is a value: the state stays 1
        jmp  skip

at_end: beqi r5, 0, early_end
finish: beq  r4, r13, result
        ld   r9, [r4 - 2]
        beqi r9, '(', unclosed
        call apply
        jmp  finish
result: ld   r1, [r3 - 1]       ; exactly one value is left
        st   r1, [r0 + value]
        halt

; apply: pop the operator r9 and the values a, b under it; push a r9 b.
apply:  subi r4, r4, 2
        subi r3, r3, 1
        ld   r11, [r3]          ; b
        ld   r10, [r3 - 1]      ; a
        beqi r9, '+', apply_add
        beqi r9, '-', apply_sub
        mul  r10, r10, r11
        st   r10, [r3 - 1]
        ret
apply_add:
        add  r10, r10, r11
        st   r10, [r3 - 1]
        ret
apply_sub:
        sub  r10, r10, r11
        st   r10, [r3 - 1]
        ret

; Errors: r12 = the code, r7 = the index; both are stored, and value stays 0.
misplaced:                      ; r6 (at r1) does not belong here: is it ever allowed?
        li   r12, 2
        blti r6, '0', symbol
        blti r6, 58, fail       ; a digit
symbol: beqi r6, '(', fail
        beqi r6, ')', fail
        beqi r6, '+', fail
        beqi r6, '-', fail
        beqi r6, '*', fail
        li   r12, 1
fail:   sub  r7, r1, r14
        jmp  report
unmatched:
        li   r12, 3
        sub  r7, r1, r14
        jmp  report
unclosed:
        li   r12, 4
        ld   r7, [r4 - 1]
        jmp  report
early_end:
        li   r12, 5
        sub  r7, r2, r14
report: st   r12, [r0 + error]
        st   r7, [r0 + err_pos]
        li   r1, 0
        halt
