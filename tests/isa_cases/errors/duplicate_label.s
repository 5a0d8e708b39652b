; expect-error: 3:1 duplicate symbol (first defined at 2:1): got 'top'
top:    li  r1, 1
top:    halt
