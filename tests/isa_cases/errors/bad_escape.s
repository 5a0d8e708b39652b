; expect-error: 2:17 unknown escape in character literal: got ''\q''
        li  r1, '\q'
