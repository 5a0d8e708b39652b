; expect-error: 2:17 bad number: got '12ab'
        li  r1, 12ab
