"""Many programs in one compiled call, one row each: where every instance is its own program (the emulate task).

    out = run_listings(texts, mem_words=16, fuel=10_000)
    out.regs[:, 1], out.status, out.steps, out.canonical, out.machine_s

The listings are assembled in one pass (isa/bulk_asm.py) and row i runs program i through the JIT tier's own loop
(isa/jit.py's `_execute`, on a view of the program's words), so each row's status, pc, steps and registers are
exactly those of `isa.machine.run(program, ..., tier="jit")`: pcs and the return addresses `call` writes count from
the program's own first instruction. A listing that is not in the canonical form is not run here (status SKIP,
`canonical` False): its caller assembles it with isa.asm, which accepts it or says where it is wrong.

Why: one engine call per program cost ~3 µs of dispatch against the ~0.1 µs an 8-step program runs (issue 19).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from isa import spec
from isa.bulk_asm import Listings, assemble_listings
from isa import jit
from isa.jit import _execute
from isa.slices import RUNNING, in_slices

SKIP = -2  # status of a row whose listing was not canonical: not run


@dataclass
class ManyResult:
    status: np.ndarray  # (B,) Status values; SKIP where the listing is not canonical
    pcs: np.ndarray  # (B,)
    steps: np.ndarray  # (B,)
    regs: np.ndarray  # (B, 16) final registers
    canonical: np.ndarray  # (B,) bool
    machine_s: float  # seconds inside the compiled calls only
    compile_s: float  # loading (or compiling) the JIT tier's code in this call; 0.0 once loaded
    threads: int


@njit(inline="always")
def _run_row(code, runlen, starts, mem, sizes, regs, fuel, take, status, pcs, steps, i):
    """Row i, if RUNNING, for up to `take` more steps of its own program (within `fuel` in all)."""
    if status[i] == RUNNING:
        lo, hi = starts[i], starts[i + 1]
        limit = steps[i] + min(fuel - steps[i], take)
        status[i], pcs[i], steps[i] = _execute(code[4 * lo:4 * hi], runlen[lo:hi], mem[i], sizes[i], regs[i], limit,
                                               pcs[i], steps[i])


@njit(cache=True, parallel=True)
def _execute_many(code, runlen, starts, mem, sizes, regs, fuel, take, status, pcs, steps):
    for i in prange(mem.shape[0]):
        _run_row(code, runlen, starts, mem, sizes, regs, fuel, take, status, pcs, steps, i)


@njit(cache=True)
def _execute_many_serial(code, runlen, starts, mem, sizes, regs, fuel, take, status, pcs, steps):
    for i in range(mem.shape[0]):
        _run_row(code, runlen, starts, mem, sizes, regs, fuel, take, status, pcs, steps, i)


_loaded = False  # whether warm_up has loaded this module's njit functions in this process


def warm_up() -> float:
    """Load (or compile) the assembler's pass and the serial engine on first use (the JIT tier's loop with them);
    return the seconds that took, 0.0 once loaded."""
    global _loaded
    if _loaded:
        return 0.0
    t0 = time.perf_counter()
    jit.warm_up()
    listings = assemble_listings(["halt"])
    z = np.zeros(1, np.int64)
    _execute_many_serial(listings.code, listings.runlen, listings.starts, np.zeros((1, 1), np.int64), z,
                         np.zeros((1, spec.NUM_REGS), np.int64), 1, 1, np.full(1, RUNNING, np.int64), z, z.copy())
    _loaded = True
    return time.perf_counter() - t0


def execute_many(listings: Listings, mem_words: int, fuel: int, threads: int = 1) -> ManyResult:
    """Row i runs listing i from zeroed registers on `mem_words` zeroed words of memory, up to `fuel` steps."""
    compile_s = warm_up()
    b = len(listings.canonical)
    mem = np.zeros((b, mem_words), np.int64)
    regs = np.zeros((b, spec.NUM_REGS), np.int64)
    status = np.where(listings.canonical, RUNNING, SKIP)
    status, pcs, steps, machine_s, used = in_slices(
        (_execute_many_serial, _execute_many),
        (listings.code, listings.runlen, listings.starts, mem, np.full(b, mem_words, np.int64), regs, int(fuel)),
        status, int(fuel), threads)
    return ManyResult(status, pcs, steps, regs, listings.canonical, machine_s, compile_s, used)


def run_listings(texts: list[str], mem_words: int, fuel: int, threads: int = 1) -> ManyResult:
    """Assemble every text (isa/bulk_asm.py) and run the canonical ones, one row each, in one call; loading the
    compiled code on first use is compile_s, not glue."""
    compile_s = warm_up()
    out = execute_many(assemble_listings(texts), mem_words, fuel, threads)
    out.compile_s += compile_s
    return out
