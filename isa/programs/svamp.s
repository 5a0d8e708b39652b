; svamp.s: the answer to every word problem of a corpus, from a keyword -> operation table laid once in memory.
;
; Rules (isa/svamp.py states the same ones and runs them in plain Python as the twin):
; - Tokens: a word is a maximal run of ASCII letters, lower-cased; a number a maximal run of ASCII digits, read in
;   decimal (int64, wrapping past 18 digits). Every other byte separates tokens (punctuation, spaces, each byte of a
;   non-ASCII UTF-8 character); a letter next to a digit ends the one token and starts the other.
; - The question is the tokens from the last word of kind QUESTION ("how", "what") to the end; without one, none.
; - Operation: score[op] = bias[op] + the weights of the text's table words, each read from the word's statement
;   vector, or its question vector if it stands in the question. op = the highest score; ties go to the first of
;   add (0), sub (1), mul (2), div (3).
; - Operands: a number is relevant when the token right after it is a word that is also a word of the question.
;   Two or more relevant numbers: the last two; one: it and the last other number; none: the last two numbers.
;   The pair (a, b) is in text order.
; - Answer: add a + b; sub max - min; mul a * b; div max / min, truncated, 0 if min is 0. Fewer than two numbers:
;   op -1, a 0, b = the only number (0 if none), and that is the answer.
;
; Memory layout (word addresses; the data section starts at 0):
;   class     257 words: class[c] = the letter number (a = 1 .. z = 26) of byte c if it is a letter, DIGIT + d for
;             the digit d, else 0; class[256] = -1 is the end mark
;   bias      4 words: the table's bias per operation
;   slots     hash slots, a power of two >= 2          count    the number of problems
;   scratch   the address of the token area (after the texts)
;   input     the table: `slots` slots of SLOT words [code, kind, 4 statement weights, 4 question weights], code 0 =
;             a free slot; then `count` records of RECORD words [address of the problem's first byte, its length in
;             bytes, answer, op, a, b (outputs)]; then the problems' bytes, one per word (0..255), each followed by
;             one spare word where the end mark is written here; then the token area: TOKEN words per token
;             [tag (1 word, 2 number), code or value, address of the word's slot or 0, unused], room for the longest
;             problem (a token per byte at most), rewritten for each problem.
; The caller (isa/svamp.py) lays the table at most half full (so every probe ends at a free slot) and checks that no
; two table words share a code. Limits there: 2_000_000 bytes, 4,096 bytes a problem, 100_000 problems.
;
; Word codes and lookup as in sentiment.s: code = code * 27 + letter, exact up to 13 letters; a longer word's code
; wraps and gets the top bit set. Home slot: the top log2(slots) bits of code * 0x9E3779B97F4A7C15; linear probing.
; Cost: about 6 instructions a byte, 30 a word plus 5 a probe, 12 a token to score, 8 a number and 5 a question token
; for each number followed by a word: 2,340 a problem with the people table, 2,466 with the counted one, on the 1,000
; vendored problems (tests/test_svamp_isa.py checks the budget on worst cases).
;
; Registers: r0 = 0, r1 -> record, r2 -> byte, then -> token, r3 scratch, r4 = end of the tokens, r5 = where the
; question starts (a token address), r7/r8 = table start/end, r9 = 64 - log2(slots), r15 = end of the records;
; reading: r10 = word start, r11 = class of the byte, r13 = code or value, r14 -> slot; scoring: r10..r13 = the
; scores of add, sub, mul, div, r6 = op; operands: r10/r11 = the last two numbers, r12/r13 = the last two relevant
; ones (token addresses, 0 = none), r6 = the next word's code, r14 -> question token.
;
; Golden case: table {left: question sub 4; each: statement mul 2, question div 4; total: question add 4;
; how, what: QUESTION}, bias (0, 1, 0, 0), in 16 slots at 264..423; records at 424..453; five problems (bytes at
; 454..684, the token area at 685..1012):
;   "Tom had 45 apples and 3 pears. He gave 12 apples to Ann. How many apples are left?"
;        45 and 12 are relevant (apples); "left" in the question: sub            ->  33 (op 1, 45, 12)
;   "Each box holds 6 eggs. How many eggs are in 4 boxes?"
;        6 (eggs) and 4 (boxes) relevant; "each" in the statement: mul            ->  24 (op 2, 6, 4)
;   "There are 24 eggs in 4 boxes. How many eggs are in each box?"
;        only 24 relevant ("box" is not "boxes"): 24 and 4; "each" asked: div     ->   6 (op 3, 24, 4)
;   "I saw 5 cats and 7 dogs."   no question, no keyword: the bias picks sub     ->   2 (op 1, 5, 7)
;   "Route 66"                   one number: no operation                         ->  66 (op -1, 0, 66)
; run: mem=1013
; expect: status HALTED
; expect: mem[426] = 33
; expect: mem[427] = 1
; expect: mem[428] = 45
; expect: mem[429] = 12
; expect: mem[432] = 24
; expect: mem[433] = 2
; expect: mem[438] = 6
; expect: mem[439] = 3
; expect: mem[444] = 2
; expect: mem[445] = 1
; expect: mem[450] = 66
; expect: mem[451] = -1
; expect: mem[453] = 66
; expect: mem[684] = 256

.equ END, 256
.equ DIGIT, 32                      ; class of the digit d: DIGIT + d
.equ QUESTION, 1
.equ SLOT, 10
.equ RECORD, 6
.equ TOKEN, 4
.equ WORD, 1
.equ NUMBER, 2
.equ LONG, 0x8000000000000000       ; the top bit, set in the code of a word longer than 13 letters
.equ FIB, 0x9E3779B97F4A7C15        ; 2^64 / golden ratio

.data
class:    .zero 48                  ; bytes 0..47
          .word 32, 33, 34, 35, 36, 37, 38, 39, 40, 41  ; 0..9
          .zero 7                   ; 58..64
          .word 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26  ; A..Z
          .zero 6                   ; 91..96
          .word 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26  ; a..z
          .zero 133                 ; 123..255
          .word -1                  ; END
bias:     .word 0, 1, 0, 0
slots:    .word 16
count:    .word 5
scratch:  .word 685
input:    ; the table: 16 slots
          .zero 10                  ; slot 0
          .zero 10                  ; slot 1
          .zero 10                  ; slot 2
          .zero 10                  ; slot 3
          .zero 10                  ; slot 4
          .word 99233, 0, 0, 0, 2, 0, 0, 0, 0, 4  ; slot 5
          .word 240023, 0, 0, 0, 0, 0, 0, 4, 0, 0  ; slot 6
          .zero 10                  ; slot 7
          .word 10938684, 0, 0, 0, 0, 0, 4, 0, 0, 0  ; slot 8
          .zero 10                  ; slot 9
          .zero 10                  ; slot 10
          .zero 10                  ; slot 11
          .zero 10                  ; slot 12
          .zero 10                  ; slot 13
          .word 6260, 1, 0, 0, 0, 0, 0, 0, 0, 0  ; slot 14
          .word 458588, 1, 0, 0, 0, 0, 0, 0, 0, 0  ; slot 15
          .word 454, 82, 0, 0, 0, 0
          .word 537, 52, 0, 0, 0, 0
          .word 590, 60, 0, 0, 0, 0
          .word 651, 24, 0, 0, 0, 0
          .word 676, 8, 0, 0, 0, 0
          .word 'T', 'o', 'm', ' ', 'h', 'a', 'd', ' ', '4', '5', ' ', 'a', 'p', 'p', 'l', 'e', 's', ' ', 'a', 'n', 'd', ' ', '3', ' ', 'p', 'e', 'a', 'r', 's', '.', ' ', 'H', 'e', ' ', 'g', 'a', 'v', 'e', ' ', '1', '2', ' ', 'a', 'p', 'p', 'l', 'e', 's', ' ', 't', 'o', ' ', 'A', 'n', 'n', '.', ' ', 'H', 'o', 'w', ' ', 'm', 'a', 'n', 'y', ' ', 'a', 'p', 'p', 'l', 'e', 's', ' ', 'a', 'r', 'e', ' ', 'l', 'e', 'f', 't', '?', 0
          .word 'E', 'a', 'c', 'h', ' ', 'b', 'o', 'x', ' ', 'h', 'o', 'l', 'd', 's', ' ', '6', ' ', 'e', 'g', 'g', 's', '.', ' ', 'H', 'o', 'w', ' ', 'm', 'a', 'n', 'y', ' ', 'e', 'g', 'g', 's', ' ', 'a', 'r', 'e', ' ', 'i', 'n', ' ', '4', ' ', 'b', 'o', 'x', 'e', 's', '?', 0
          .word 'T', 'h', 'e', 'r', 'e', ' ', 'a', 'r', 'e', ' ', '2', '4', ' ', 'e', 'g', 'g', 's', ' ', 'i', 'n', ' ', '4', ' ', 'b', 'o', 'x', 'e', 's', '.', ' ', 'H', 'o', 'w', ' ', 'm', 'a', 'n', 'y', ' ', 'e', 'g', 'g', 's', ' ', 'a', 'r', 'e', ' ', 'i', 'n', ' ', 'e', 'a', 'c', 'h', ' ', 'b', 'o', 'x', '?', 0
          .word 'I', ' ', 's', 'a', 'w', ' ', '5', ' ', 'c', 'a', 't', 's', ' ', 'a', 'n', 'd', ' ', '7', ' ', 'd', 'o', 'g', 's', '.', 0
          .word 'R', 'o', 'u', 't', 'e', ' ', '6', '6', 0

.text
        li   r0, 0
        ld   r3, [r0 + slots]
        li   r7, input              ; r7 = table
        muli r8, r3, SLOT
        add  r8, r7, r8             ; r8 = end of table = the first record
        li   r9, 64                 ; r9 = 64 - log2(slots)
        li   r14, 1
size:   bge  r14, r3, sized
        shli r14, r14, 1
        subi r9, r9, 1
        jmp  size
sized:  ld   r3, [r0 + count]
        muli r3, r3, RECORD
        add  r15, r8, r3            ; r15 = end of the records
        mov  r1, r8
        bge  r1, r15, finish        ; an empty corpus

problem:                            ; 1. read the tokens
        ld   r2, [r1]               ; the problem's first byte
        ld   r3, [r1 + 1]
        add  r3, r2, r3
        li   r4, END
        st   r4, [r3]               ; the end mark in the spare word after it
        ld   r4, [r0 + scratch]     ; r4 -> the next token
        li   r5, 0                  ; no question word yet
        subi r2, r2, 1
sep:    addi r2, r2, 1              ; skip separators
        ld   r11, [r2]
        ld   r11, [r11 + class]
classify:
        beqi r11, 0, sep
        blti r11, 0, read           ; the end mark
        bgei r11, DIGIT, number
        mov  r10, r2                ; a word starts
        li   r13, 0
letter: muli r13, r13, 27
        add  r13, r13, r11
        addi r2, r2, 1
        ld   r11, [r2]
        ld   r11, [r11 + class]
        blti r11, 1, worded
        blti r11, DIGIT, letter
worded: sub  r3, r2, r10
        blti r3, 14, hashed
        ori  r13, r13, LONG
hashed: muli r14, r13, FIB
        shr  r14, r14, r9
        muli r14, r14, SLOT
        add  r14, r14, r7           ; r14 -> home slot
probe:  ld   r3, [r14]
        beq  r3, r13, found
        beqi r3, 0, absent          ; a free slot: the word is not in the table
        addi r14, r14, SLOT
        blt  r14, r8, probe
        mov  r14, r7
        jmp  probe
absent: li   r14, 0
        jmp  stored
found:  ld   r3, [r14 + 1]          ; the kind
        bnei r3, QUESTION, stored
        mov  r5, r4                 ; a question word: the question starts here (the last one wins)
stored: li   r3, WORD
        st   r3, [r4]
        st   r13, [r4 + 1]
        st   r14, [r4 + 2]
        addi r4, r4, TOKEN
        jmp  classify               ; r11 is the byte after the word: classify it
number: li   r13, 0
digit:  muli r13, r13, 10
        add  r13, r13, r11
        subi r13, r13, DIGIT
        addi r2, r2, 1
        ld   r11, [r2]
        ld   r11, [r11 + class]
        bgei r11, DIGIT, digit
        li   r3, NUMBER
        st   r3, [r4]
        st   r13, [r4 + 1]
        st   r0, [r4 + 2]           ; no slot
        addi r4, r4, TOKEN
        jmp  classify

read:   bnei r5, 0, score           ; 2. score the operations
        mov  r5, r4                 ; no question word: no question
score:  li   r3, bias
        ld   r10, [r3]
        ld   r11, [r3 + 1]
        ld   r12, [r3 + 2]
        ld   r13, [r3 + 3]
        ld   r2, [r0 + scratch]
weigh:  bge  r2, r4, choose
        ld   r14, [r2 + 2]          ; the word's slot (0: a number, or a word not in the table)
        beqi r14, 0, weighed
        blt  r2, r5, stated
        addi r14, r14, 4            ; in the question: its question weights
stated: ld   r3, [r14 + 2]
        add  r10, r10, r3
        ld   r3, [r14 + 3]
        add  r11, r11, r3
        ld   r3, [r14 + 4]
        add  r12, r12, r3
        ld   r3, [r14 + 5]
        add  r13, r13, r3
weighed:
        addi r2, r2, TOKEN
        jmp  weigh
choose: li   r6, 0                  ; the highest score; a later one must beat it
        mov  r3, r10
        bge  r3, r11, not1
        li   r6, 1
        mov  r3, r11
not1:   bge  r3, r12, not2
        li   r6, 2
        mov  r3, r12
not2:   bge  r3, r13, not3
        li   r6, 3
not3:   st   r6, [r1 + 3]

        li   r10, 0                 ; 3. the operands
        li   r11, 0
        li   r12, 0
        li   r13, 0
        ld   r2, [r0 + scratch]
numbers:
        bge  r2, r4, pick
        ld   r3, [r2]
        bnei r3, NUMBER, counted
        mov  r10, r11               ; the last two numbers
        mov  r11, r2
        addi r3, r2, TOKEN          ; the token after it
        bge  r3, r4, counted
        ld   r6, [r3]
        bnei r6, WORD, counted
        ld   r6, [r3 + 1]           ; its code
        mov  r14, r5
match:  bge  r14, r4, counted       ; not a word of the question
        ld   r3, [r14]
        bnei r3, WORD, matched
        ld   r3, [r14 + 1]
        beq  r3, r6, relevant
matched:
        addi r14, r14, TOKEN
        jmp  match
relevant:
        mov  r12, r13               ; the last two relevant numbers
        mov  r13, r2
counted:
        addi r2, r2, TOKEN
        jmp  numbers
pick:   beqi r10, 0, fewer          ; fewer than two numbers
        beqi r13, 0, pair           ; none relevant: the last two numbers
        bnei r12, 0, two
        beq  r11, r13, pair         ; the one relevant number is the last: it and the one before
        mov  r10, r13               ; it, and the last number after it
        jmp  pair
two:    mov  r10, r12
        mov  r11, r13
pair:   ld   r10, [r10 + 1]         ; a, b
        ld   r11, [r11 + 1]
        st   r10, [r1 + 4]
        st   r11, [r1 + 5]
        mov  r12, r10               ; r12 = max, r13 = min
        mov  r13, r11
        bge  r12, r13, ordered
        mov  r12, r11
        mov  r13, r10
ordered:                            ; 4. the answer
        ld   r6, [r1 + 3]
        beqi r6, 0, plus
        beqi r6, 1, minus
        beqi r6, 2, times
        li   r3, 0                  ; div: x / 0 is 0
        beqi r13, 0, answer
        div  r3, r12, r13
        jmp  answer
plus:   add  r3, r10, r11
        jmp  answer
minus:  sub  r3, r12, r13
        jmp  answer
times:  mul  r3, r10, r11
        jmp  answer
fewer:  li   r3, -1
        st   r3, [r1 + 3]
        st   r0, [r1 + 4]
        li   r3, 0
        beqi r11, 0, only
        ld   r3, [r11 + 1]
only:   st   r3, [r1 + 5]
answer: st   r3, [r1 + 2]
        addi r1, r1, RECORD
        blt  r1, r15, problem
finish: halt
