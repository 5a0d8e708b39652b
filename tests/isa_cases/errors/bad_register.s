; expect-error: 2:17 bad register: got 'r16', expected a register r0..r15 or lr
        add r1, r16, r2
