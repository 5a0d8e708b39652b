; expect-error: 3:6 duplicate symbol (first defined at 2:6): got 'N'
.equ N, 1
.equ N, 2
