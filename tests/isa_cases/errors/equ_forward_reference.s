; expect-error: 2:9 undefined symbol: got 'LATER', expected a label or .equ constant defined above this line
.equ N, LATER
.equ LATER, 3
