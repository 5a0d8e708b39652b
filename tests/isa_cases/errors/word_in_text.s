; expect-error: 2:9 .word in the .text section: got '.word'
        .word 1, 2
