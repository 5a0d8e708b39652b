; expect-error: 2:1 reserved name used as a symbol: got 'r3'
r3:     halt
