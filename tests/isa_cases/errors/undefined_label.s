; expect-error: 3:21 undefined label: got 'nowhere'
        li   r1, 3
        bnei r1, 0, nowhere
