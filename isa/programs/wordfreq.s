; wordfreq.s: every word of a text with its count, in order of first appearance.
;
; Word rule (isa/words.py, the one definition): a word is a maximal run of ASCII letters A-Z a-z, lower-cased;
; every other byte separates words (digits, punctuation, whitespace, each byte of a non-ASCII UTF-8 character).
;
; Memory layout (word addresses; the data section starts at 0):
;   lower     257 words: lower[c] = the letter number (a = 1 .. z = 26) of byte c if it is a letter, else 0;
;             lower[256] = -1 marks the end of the text
;   n         the text's length in bytes (the caller writes it)
;   nwords    output: the number of distinct words
;   entries   output: the address of the entry list, nwords records of 4 words in order of first appearance:
;               [0] the address of the word's first occurrence, whose bytes are overwritten with letter numbers
;               [1] its length  [2] its count  [3] its code (see below)
;   input     the n bytes, one per word, each 0..255 (the caller lays them); then the end mark (written here),
;             M = (n + 1) / 2 entry records (no text holds more words), and the hash table: cap slots, cap the
;             least power of two >= max(2M, 2), so the table is never more than half full
; The memory must hold at least input + n + 1 + 4M + cap words, and the table's slots must start at 0 (the
; machine's memory starts zeroed; clearing them here would cost 3 instructions a byte).
;
; Algorithm: one pass over the bytes. Each byte goes through `lower` (two loads) and a word's letters fold into its
; code = code * 27 + letter (6 instructions a letter, 4 a separator). For words of at most 13 letters the code is
; exact (27^13 < 2^63), so equal codes mean equal words and no letters need comparing; a longer word's code wraps,
; gets the top bit set (so it never equals a short one's), and a matching code is confirmed letter by letter.
; Slots of the open-addressing table (linear probing) hold entry addresses; the home slot is the code's Fibonacci
; hash, the top log2(cap) bits of code * 0x9E3779B97F4A7C15. A new word appends an entry (that is what keeps the
; order of first appearance) and overwrites its bytes with letter numbers, for the comparisons and the output.
; About 10 instructions a byte on English-like text (isa/baselines.make_text: 9.8 at 100 KB).
; Limit (isa/library.py): 2_000_000 bytes.
;
; Registers in the loop: r0 = 0, r2 -> the current byte, r3 = word length, r4 = entry, r5 = next free entry,
; r7/r8 = table start/end, r9 = 64 - log2(cap), r11 = the byte's letter number (0 separator, -1 end),
; r12 = word start, r13 = code, r14 -> slot.
;
; Golden case: "It is what it is; INTERNATIONALIZATION, internationalization!" (61 bytes at 260..320; entries at
; 322: it 2, is 2, what 1, internationalization 2; M = 31, cap = 64, table at 446).
; run: mem=510
; expect: status HALTED
; expect: r1 = 4
; expect: mem[258] = 4
; expect: mem[259] = 322
; expect: mem[260] = 9
; expect: mem[261] = 20
; expect: mem[321] = 256
; expect: mem[322] = 260
; expect: mem[323] = 2
; expect: mem[324] = 2
; expect: mem[325] = 263
; expect: mem[326] = 263
; expect: mem[327] = 2
; expect: mem[328] = 2
; expect: mem[330] = 266
; expect: mem[331] = 4
; expect: mem[332] = 1
; expect: mem[334] = 278
; expect: mem[335] = 20
; expect: mem[336] = 2
; expect: mem[278] = 9
; expect: mem[297] = 14
; expect: mem[298] = 44

.equ END, 256
.equ LONG, 0x8000000000000000       ; the top bit, set in the code of a word longer than 13 letters
.equ FIB, 0x9E3779B97F4A7C15        ; 2^64 / golden ratio

.data
lower:    .zero 65                  ; bytes 0..64
          .word 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26  ; A..Z
          .zero 6                   ; 91..96
          .word 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26  ; a..z
          .zero 133                 ; 123..255
          .word -1                  ; END
n:        .word 61
nwords:   .word 0
entries:  .word 0
input:    .word 'I', 't', ' ', 'i', 's', ' ', 'w', 'h', 'a', 't', ' ', 'i', 't', ' ', 'i', 's', ';', ' '
          .word 'I', 'N', 'T', 'E', 'R', 'N', 'A', 'T', 'I', 'O', 'N', 'A', 'L', 'I', 'Z', 'A', 'T', 'I', 'O', 'N'
          .word ',', ' '
          .word 'i', 'n', 't', 'e', 'r', 'n', 'a', 't', 'i', 'o', 'n', 'a', 'l', 'i', 'z', 'a', 't', 'i', 'o', 'n'
          .word '!'

.text
        li   r0, 0
        ld   r1, [r0 + n]
        li   r2, input
        add  r3, r2, r1
        li   r4, END
        st   r4, [r3]               ; the end mark after the text
        addi r5, r3, 1              ; r5 = next free entry
        st   r5, [r0 + entries]
        addi r6, r1, 1
        shri r6, r6, 1              ; M = (n + 1) / 2
        shli r7, r6, 2
        add  r7, r5, r7             ; r7 = table, after M entries
        shli r6, r6, 1              ; 2M
        li   r8, 2                  ; r8 = cap
        li   r9, 63                 ; r9 = 64 - log2(cap)
size:   bge  r8, r6, sized
        shli r8, r8, 1
        subi r9, r9, 1
        jmp  size
sized:  add  r8, r7, r8             ; r8 = end of table

        subi r2, r2, 1
sep:    addi r2, r2, 1              ; skip separators
        ld   r11, [r2]
        ld   r11, [r11 + lower]
        beqi r11, 0, sep
        blti r11, 0, done
        mov  r12, r2                ; a word starts
        li   r13, 0
letter: muli r13, r13, 27
        add  r13, r13, r11
        addi r2, r2, 1
        ld   r11, [r2]
        ld   r11, [r11 + lower]
        bgei r11, 1, letter

        sub  r3, r2, r12            ; the word is [r12, r2)
        blti r3, 14, hashed
        ori  r13, r13, LONG
hashed: muli r14, r13, FIB
        shr  r14, r14, r9
        add  r14, r14, r7           ; r14 -> home slot
probe:  ld   r4, [r14]
        beqi r4, 0, insert
        ld   r1, [r4 + 3]
        bne  r1, r13, miss
        blti r3, 14, found          ; an exact code: the same word
        ld   r1, [r4 + 1]
        bne  r1, r3, miss
        ld   r1, [r4]               ; compare letters: stored ones are letter numbers, current ones raw bytes
        mov  r6, r12
compare:
        ld   r10, [r6]
        ld   r10, [r10 + lower]
        ld   r15, [r1]
        bne  r10, r15, miss
        addi r1, r1, 1
        addi r6, r6, 1
        blt  r6, r2, compare
found:  ld   r1, [r4 + 2]
        addi r1, r1, 1
        st   r1, [r4 + 2]
        bgei r11, 0, sep            ; r11 is the byte after the word: a separator, or the end
        jmp  done
miss:   addi r14, r14, 1            ; linear probing, wrapping at the table's end
        blt  r14, r8, probe
        mov  r14, r7
        jmp  probe
insert: st   r5, [r14]
        st   r12, [r5]
        st   r3, [r5 + 1]
        li   r1, 1
        st   r1, [r5 + 2]
        st   r13, [r5 + 3]
        addi r5, r5, 4
        mov  r1, r12
normalize:
        ld   r6, [r1]
        ld   r6, [r6 + lower]
        st   r6, [r1]
        addi r1, r1, 1
        blt  r1, r2, normalize
        bgei r11, 0, sep

done:   ld   r1, [r0 + entries]
        sub  r1, r5, r1
        shri r1, r1, 2              ; r1 = the number of distinct words
        st   r1, [r0 + nwords]
        halt
