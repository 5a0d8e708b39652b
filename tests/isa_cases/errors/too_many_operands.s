; expect-error: 2:19 too many operands: got ','
        mov r1, r2, r3
