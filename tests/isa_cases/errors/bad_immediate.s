; expect-error: 2:22 bad immediate: got '['
        addi r1, r1, [r2]
