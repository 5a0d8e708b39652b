; expect-error: 2:18 bad base register in memory operand: got '4'
        ld  r1, [4]
