; expect-error: 2:17 immediate out of range: got '0x10000000000000000'
        li  r1, 0x10000000000000000
