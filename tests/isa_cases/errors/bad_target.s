; expect-error: 2:14 bad jump target: got '5', expected a code label
        jmp  5
