; expect-error: 4:7 data section too large (134217728 words so far): got '67108864', expected at most 67108864 words
.data
.zero 67108864
.zero 67108864
.zero 67108864
