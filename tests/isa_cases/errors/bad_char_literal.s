; expect-error: 2:17 unterminated or malformed character literal: got ''ab''
        li  r1, 'ab'
