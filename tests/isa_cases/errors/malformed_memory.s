; expect-error: 2:24 bad memory operand: got end of line, expected ']'
        ld  r1, [r2 + 4
