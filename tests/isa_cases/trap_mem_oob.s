; Addresses are exact sums: INT64_MIN + INT64_MIN wraps to 0 in 64 bits, but is out of bounds.
; run: mem=4
; expect: status MEM_OOB
; expect: pc 3
; expect: steps 3
; expect: mem[0] = 7
        li  r1, -9223372036854775808
        li  r2, 7
        st  r2, [r0]
        st  r1, [r1 - 9223372036854775808]
        halt
