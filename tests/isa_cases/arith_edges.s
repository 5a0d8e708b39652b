; Wrap-around, truncating division, remainder signs and shift saturation.
; expect: status HALTED
; expect: r1 = -9223372036854775808
; expect: r2 = -9223372036854775808
; expect: r3 = 0
; expect: r4 = -3
; expect: r5 = -1
; expect: r6 = 1
; expect: r7 = 0
; expect: r8 = -1
; expect: r9 = 0
; expect: r10 = -9223372036854775808
; expect: r11 = 1
; expect: r12 = 0
; expect: r13 = -2
        li   r1, 0x7FFFFFFFFFFFFFFF
        addi r1, r1, 1              ; INT64_MAX + 1 wraps to INT64_MIN
        li   r14, -1
        div  r2, r1, r14            ; INT_MIN / -1 wraps to INT_MIN
        mod  r3, r1, r14            ; INT_MIN % -1 is 0
        li   r14, -7
        divi r4, r14, 2             ; -7 / 2 truncates to -3
        modi r5, r14, 2             ; -7 % 2 takes the dividend's sign
        li   r14, 7
        modi r6, r14, -2            ; 7 % -2 = 1
        li   r15, 64
        shl  r7, r14, r15           ; shift by 64 gives 0
        li   r14, -8
        sari r8, r14, 64            ; arithmetic shift by 64 gives the sign fill
        shri r9, r14, -1            ; negative amounts count as huge: 0
        li   r14, 1
        shli r10, r14, 63           ; 1 << 63 is INT_MIN
        shri r11, r10, 63           ; logical shift brings one bit back
        li   r14, 0xFFFFFFFFFFFFFFFF
        addi r12, r14, 1            ; -1 + 1
        muli r13, r14, 2
        halt
