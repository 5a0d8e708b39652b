; expect-error: 2:17 undefined symbol: got 'WIDTH'
        li  r1, WIDTH
