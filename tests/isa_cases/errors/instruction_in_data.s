; expect-error: 3:9 instruction in the .data section: got 'halt'
.data
        halt
