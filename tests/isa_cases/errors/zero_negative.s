; expect-error: 3:7 .zero count -1 out of range
.data
.zero -1
