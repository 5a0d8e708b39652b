; sentiment.s: the sentiment of every sentence of a corpus, from a word -> weight table laid once in memory.
;
; Rules (isa/sentiment.py states the same ones and runs them in plain Python as the twin):
; - Words: the joined word rule (isa/words.py joined_words): every apostrophe (byte 39) is dropped, then a word is a
;   maximal run of ASCII letters, lower-cased. So "Don't" is the word "dont"; an apostrophe outside a word separates.
;   Every other byte separates words (digits, punctuation, spaces, each byte of a non-ASCII UTF-8 character).
; - Each word is looked up in the table; a word that is not there weighs 0 and has no kind.
; - Negation: a word of kind NEGATOR sets "left" to `scope`; every other word counts "left" down by one. A weight read
;   while left > 0 has its sign flipped. (The negator's own weight is read before it sets left.)
; - Contrast: after a word of kind CONTRAST ("but") every later weight counts `factor` times (the factor does not
;   compound over several contrast words).
; - score = the sum of the weights so taken; label = 1 (positive) if score > 0, 0 (negative) if score < 0, and the
;   table's `tie` label if score == 0 (also a sentence without words).
;
; Memory layout (word addresses; the data section starts at 0):
;   lower     257 words: lower[c] = the letter number (a = 1 .. z = 26) of byte c if it is a letter, APOS (-2) for the
;             apostrophe, else 0; lower[256] = -1 is the end mark
;   scope     the negation scope, words          factor   the contrast factor (>= 1)
;   tie       the label of a score of 0           slots    hash slots, a power of two >= 2
;   count     the number of sentences
;   input     the table: `slots` slots of 4 words [code, weight, kind, 0], code 0 = a free slot; then `count` records
;             of 4 words [address of the sentence's first byte, its length in bytes, score (output), label (output)];
;             then the sentences' bytes, one per word (0..255), each followed by one spare word where the end mark
;             is written here.
; The caller (isa/sentiment.py) lays the table once for the whole corpus, at most half full (so every probe ends at
; a free slot), and checks that no two table words share a code. Limits there: 2_000_000 bytes, 100_000 sentences.
;
; Word codes and lookup (as in wordfreq.s): code = code * 27 + letter over the word's letters, exact for words of up
; to 13 letters (27^13 < 2^63); a longer word's code wraps and gets the top bit set, so it never equals a short
; word's, and a sentence word of more than 13 letters could in principle alias a long table word (the twin computes
; the same codes, so the two always agree). The home slot is the top log2(slots) bits of code * 0x9E3779B97F4A7C15;
; linear probing, wrapping at the table's end. Cost: 6 instructions a letter, 4 a separator, about 25 a word plus 5
; a probe: 595 a sentence on the 1,986 vendored sentences (tests/benchmarks/test_bench_sentiment.py).
;
; Registers: r0 = 0, r1 -> record, r2 -> byte, r3 scratch, r4 = score, r5 = left (negation), r6 = current factor,
; r7/r8 = table start/end, r9 = 64 - log2(slots), r10 = apostrophes in the word, r11 = class of the byte (letter
; number, 0 separator, -1 end, -2 apostrophe), r12 = word start, r13 = code, r14 -> slot, r15 = end of the records.
;
; Golden case: table {good: 20, bad: -25, not and dont: NEGATOR, but: CONTRAST}, scope 2, factor 3, tie 1, in 16
; slots at 262..325 (good, bad, not and dont share home slots: probing); records at 326..337; three sentences:
;   "Not bad, but good!"   (338, 18 bytes)  not flips bad: +25, then good x 3: +60  ->  85, positive
;   "Don't say it's bad."  (357, 19 bytes)  dont's scope (say, its) ends before bad ->  -25, negative
;   "..."                  (377, 3 bytes)   no words                                ->  0, the tie label 1
; run: mem=381
; expect: status HALTED
; expect: mem[328] = 85
; expect: mem[329] = 1
; expect: mem[332] = -25
; expect: mem[333] = 0
; expect: mem[336] = 0
; expect: mem[337] = 1
; expect: mem[356] = 256
; expect: mem[380] = 256

.equ END, 256
.equ APOS, -2
.equ NEGATOR, 1
.equ LONG, 0x8000000000000000       ; the top bit, set in the code of a word longer than 13 letters
.equ FIB, 0x9E3779B97F4A7C15        ; 2^64 / golden ratio

.data
lower:    .zero 39                  ; bytes 0..38
          .word APOS                ; 39 '
          .zero 25                  ; 40..64
          .word 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26  ; A..Z
          .zero 6                   ; 91..96
          .word 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26  ; a..z
          .zero 133                 ; 123..255
          .word -1                  ; END
scope:    .word 2
factor:   .word 3
tie:      .word 1
slots:    .word 16
count:    .word 3
input:    .zero 12                  ; slots 0..2
          .word 90065, 0, 1, 0      ; 3: dont, NEGATOR
          .word 1489, -25, 0, 0     ; 4: bad
          .word 149125, 20, 0, 0    ; 5: good
          .word 10631, 0, 1, 0      ; 6: not, NEGATOR
          .zero 28                  ; slots 7..13
          .word 2045, 0, 2, 0       ; 14: but, CONTRAST
          .zero 4                   ; slot 15
          .word 338, 18, 0, 0       ; records: [first byte, length, score, label]
          .word 357, 19, 0, 0
          .word 377, 3, 0, 0
          .word 'N', 'o', 't', ' ', 'b', 'a', 'd', ',', ' ', 'b', 'u', 't', ' ', 'g', 'o', 'o', 'd', '!', 0
          .word 'D', 'o', 'n', '\'', 't', ' ', 's', 'a', 'y', ' ', 'i', 't', '\'', 's', ' ', 'b', 'a', 'd', '.', 0
          .word '.', '.', '.', 0

.text
        li   r0, 0
        ld   r3, [r0 + slots]
        li   r7, input              ; r7 = table
        shli r8, r3, 2
        add  r8, r7, r8             ; r8 = end of table = the first record
        li   r9, 64                 ; r9 = 64 - log2(slots)
        li   r14, 1
size:   bge  r14, r3, sized
        shli r14, r14, 1
        subi r9, r9, 1
        jmp  size
sized:  ld   r3, [r0 + count]
        shli r3, r3, 2
        add  r15, r8, r3            ; r15 = end of the records
        mov  r1, r8
        bge  r1, r15, finish        ; an empty corpus

sentence:
        ld   r2, [r1]               ; the sentence's first byte
        ld   r3, [r1 + 1]
        add  r3, r2, r3
        li   r4, END
        st   r4, [r3]               ; the end mark in the spare word after it
        li   r4, 0                  ; score
        li   r5, 0                  ; left: no negation yet
        li   r6, 1                  ; no contrast yet
        subi r2, r2, 1
sep:    addi r2, r2, 1              ; skip separators
        ld   r11, [r2]
        ld   r11, [r11 + lower]
        beqi r11, 0, sep
        blti r11, -1, sep           ; an apostrophe outside a word separates too
        blti r11, 0, scored         ; the end mark
        mov  r12, r2                ; a word starts
        li   r13, 0
        li   r10, 0
letter: muli r13, r13, 27
        add  r13, r13, r11
        addi r2, r2, 1
        ld   r11, [r2]
        ld   r11, [r11 + lower]
        bgei r11, 1, letter
        beqi r11, APOS, apos
ended:  sub  r3, r2, r12            ; the word is [r12, r2) less its apostrophes
        sub  r3, r3, r10
        blti r3, 14, hashed
        ori  r13, r13, LONG
hashed: muli r14, r13, FIB
        shr  r14, r14, r9
        shli r14, r14, 2
        add  r14, r14, r7           ; r14 -> home slot
probe:  ld   r3, [r14]
        beq  r3, r13, found
        beqi r3, 0, countdown       ; a free slot: the word is not in the table
        addi r14, r14, 4
        blt  r14, r8, probe
        mov  r14, r7
        jmp  probe
found:  ld   r3, [r14 + 1]          ; the weight
        blti r5, 1, taken
        sub  r3, r0, r3             ; inside a negation's scope: the sign flips
taken:  mul  r3, r3, r6
        add  r4, r4, r3
        ld   r3, [r14 + 2]          ; the kind
        beqi r3, 0, countdown
        beqi r3, NEGATOR, negator
        ld   r6, [r0 + factor]      ; a contrast word: later weights count `factor` times
countdown:
        blti r5, 1, next
        subi r5, r5, 1
next:   bgei r11, 0, sep            ; r11 is the byte after the word: a separator, or the end
        jmp  scored
negator:
        ld   r5, [r0 + scope]
        bgei r11, 0, sep
        jmp  scored
apos:   addi r10, r10, 1            ; an apostrophe is dropped: the word goes on if a letter follows
        addi r2, r2, 1
        ld   r11, [r2]
        ld   r11, [r11 + lower]
        bgei r11, 1, letter
        beqi r11, APOS, apos
        jmp  ended

scored: st   r4, [r1 + 2]
        ld   r3, [r0 + tie]
        beqi r4, 0, labelled
        slt  r3, r0, r4             ; 1 if the score is positive, else 0
labelled:
        st   r3, [r1 + 3]
        addi r1, r1, 4
        blt  r1, r15, sentence
finish: halt
