; expect-error: 3:9 bad .word list: got '2', expected ',' or end of line
.data
.word 1 2
