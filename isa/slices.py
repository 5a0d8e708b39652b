"""The slice driver both JIT batch engines share (isa/jit.py: one program on every row; isa/jit_many.py: a program
per row): the rows still RUNNING get a share of SLICE steps each per compiled call, call after call, until each has
stopped or spent its fuel. A row stopped for its slice resumes from its pc and step count, so the results equal one
long call, and between calls Python acts on a Ctrl-C (KeyboardInterrupt). Imported by isa.jit after it has loaded
numba its quick way."""
from __future__ import annotations

import time

import numba
import numpy as np

from isa.spec import Status

SLICE = 1 << 25  # steps per compiled call, over all its rows (~30-100 ms): how soon a Ctrl-C stops a run
RUNNING = -1  # batch status of a row still to run: from pcs[i] after steps[i] steps
OUT_OF_FUEL = int(Status.OUT_OF_FUEL)


def in_slices(kernels, args: tuple, status: np.ndarray, fuel: int, threads: int):
    """Run a batch kernel (serial, parallel) as `kernel(*args, take, status, pcs, steps)` over the rows whose status
    is RUNNING, in slices of about SLICE steps over all of them, until each has stopped or spent `fuel`.
    Returns (status, pcs, steps, seconds inside the compiled calls, threads used)."""
    b = len(status)
    pcs, steps = np.zeros(b, np.int64), np.zeros(b, np.int64)
    threads = max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS, max(b, 1)))
    t0 = time.perf_counter()
    active = int(np.count_nonzero(status == RUNNING))
    while active:
        take = max(1, SLICE // active)
        if threads == 1:
            kernels[0](*args, take, status, pcs, steps)
        else:
            before = numba.get_num_threads()
            numba.set_num_threads(threads)
            try:
                kernels[1](*args, take, status, pcs, steps)
            finally:
                numba.set_num_threads(before)
        if fuel <= take:  # no row can have stopped for its slice
            break
        again = np.flatnonzero((status == OUT_OF_FUEL) & (steps < fuel))  # out of its slice only
        status[again] = RUNNING
        active = len(again)
    return status, pcs, steps, time.perf_counter() - t0, threads
