; expect-error: 3:9 unknown mnemonic: got 'addx'
        li   r1, 1
        addx r1, r1, r1
