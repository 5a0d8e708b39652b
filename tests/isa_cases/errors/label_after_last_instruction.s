; expect-error: 6:1 label marks no instruction (it follows the last one; line 4 jumps to it): got 'end'
        li   r1, 3
loop:   subi r1, r1, 1
        bnei r1, 0, end
        jmp  loop
end:
