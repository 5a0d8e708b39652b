; expect-error: 2:1 unknown directive: got '.byte'
.byte 1
