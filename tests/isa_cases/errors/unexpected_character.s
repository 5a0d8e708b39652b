; expect-error: 2:17 unexpected character: got '@'
        li  r1, @3
