; expect-error: 3:23 code label used as a memory address or size: got 'here'
here:   li  r1, 0
        ld  r2, [r1 + here]
