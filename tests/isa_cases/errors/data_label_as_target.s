; expect-error: 5:14 data symbol used as a jump target: got 'buf', expected a code label
.data
buf:    .zero 2
.text
        jmp  buf
