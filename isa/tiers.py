"""The execution tiers, in one table: isa.machine dispatches through it, and "auto" is resolved here and nowhere else.

Every tier runs a batch with one contract (`Tier.rows`): the program; memories laid out as a writable C-contiguous
int64 (B, M) array with each row's size; registers (B, 16); one step budget; a thread count; `keep`, whether native
code built for the program may be kept past this process (False for a program that is itself an instance: the
compiled tier then neither reads nor writes its disk cache). It runs every row in place and returns a `Rows`. A single run is a batch of one row. Adding a tier is one function and one row of TIERS;
nothing else names the tiers (the CLI's choices and the docs read this table).

Importing this module imports neither numba nor llvmlite: each tier's function imports its engine on first use.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

DEFAULT = "jit"
AUTO = "auto"
# "auto" runs a call whose whole step budget (fuel x rows) is at most this on the reference tier, larger ones compiled.
# Measured (2-core EPYC, user+sys CPU of a fresh `python -c "...solve('square', X, tier=T)"`, warm disk cache): the
# compiled tier costs ~50 ms more to start than the reference (importing llvmlite, loading the cached object; the JIT
# tier ~450 ms more: numba), and the reference runs ~2.8 M instructions/s with budgets ~1.5x the steps, so the two
# cross near a budget of 150_000-200_000 (square of 90 digits, budget 102_700: 0.18 s either way). Below, ref.
AUTO_REF_STEPS = 100_000


@dataclass
class Rows:
    """What a tier returns for a batch: per row the status, pc and steps; the time inside the engine's call."""

    status: np.ndarray  # (B,) int64 Status values
    pcs: np.ndarray  # (B,)
    steps: np.ndarray  # (B,)
    machine_s: float  # wall seconds inside the engine's call only (no conversions, no compiling)
    compile_s: float  # set-up this call spent compiling or loading native code (0.0 once loaded)
    threads: int  # threads the rows ran on


@dataclass(frozen=True)
class Tier:
    name: str
    native: bool  # the machine's time is native code; False: a Python loop (reports say which)
    rows: Callable[..., Rows]  # (program, mem, sizes, regs, fuel, threads, keep) -> Rows, in place
    about: str  # one line for help texts


def _ref_rows(program, mem: np.ndarray, sizes: np.ndarray, regs: np.ndarray, fuel: int, threads: int,
              keep: bool) -> Rows:
    """Every row through the reference interpreter (isa/ref.py), in place, on one thread."""
    from isa import ref

    code = program.trusted_code().tolist()
    out = np.zeros((3, len(mem)), np.int64)
    start = time.perf_counter()
    for i in range(len(mem)):
        py_regs, py_mem = [int(x) for x in regs[i]], mem[i, : sizes[i]].tolist()
        out[:, i] = ref.execute(code, py_mem, py_regs, fuel)
        regs[i], mem[i, : sizes[i]] = py_regs, py_mem
    return Rows(out[0], out[1], out[2], time.perf_counter() - start, 0.0, 1)


def _jit_rows(program, mem: np.ndarray, sizes: np.ndarray, regs: np.ndarray, fuel: int, threads: int,
              keep: bool) -> Rows:
    from isa import jit

    prep, compile_s = jit.prepare(program), jit.warm_up()
    status, pcs, steps, machine_s, used = jit.execute_batch(prep, mem, sizes, regs, fuel, threads)
    return Rows(status, pcs, steps, machine_s, compile_s, used)


def _compiled_rows(program, mem: np.ndarray, sizes: np.ndarray, regs: np.ndarray, fuel: int, threads: int,
                   keep: bool) -> Rows:
    from isa import compiled

    code, compile_s = compiled.obtain(program, disk=keep)
    status, pcs, steps, machine_s = compiled.execute_batch(code, mem, sizes, regs, fuel, threads)
    return Rows(status, pcs, steps, machine_s, compile_s, max(1, min(int(threads), len(mem))))


TIERS: dict[str, Tier] = {t.name: t for t in (
    Tier("ref", False, _ref_rows, "the plain-Python reference interpreter (isa/ref.py), written to be read"),
    Tier("jit", True, _jit_rows, "the same loop compiled by Numba (isa/jit.py)"),
    Tier("compiled", True, _compiled_rows, "each program translated to LLVM IR and compiled to native code "
                                           "(isa/compiled.py)"),
)}
NAMES = tuple(TIERS)  # what --tier takes (and "auto" where a command resolves it)


def resolve(tier: str | None, budget: int | None = None) -> str:
    """The tier that runs: `tier` itself (None: the default), or for "auto" the reference tier when the call's whole
    step budget is at most AUTO_REF_STEPS (it starts in milliseconds, importing neither numba nor llvmlite) and the
    compiled tier above it."""
    if tier is None:
        return DEFAULT
    if tier == AUTO:
        return "ref" if budget is not None and budget <= AUTO_REF_STEPS else "compiled"
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; expected one of {', '.join(map(repr, NAMES))} or {AUTO!r}")
    return tier
