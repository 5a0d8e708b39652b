; expect-error: 2:19 too few operands: got end of line, expected 3 operands for add
        add r1, r2
