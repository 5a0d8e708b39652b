; expect-error: 2:17 immediate out of range: got '9223372036854775808'
        li  r1, 9223372036854775808
