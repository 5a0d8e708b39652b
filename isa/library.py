"""The program library: each isa/programs/NAME.s with its layout (isa/layouts.py), solved for one input or many.

    solve("square", 12345).value          -> 152399025, computed digit by digit by the register machine
    solve_many("add", [(98, 45), (1, 2)])  -> one batched run
    solve_batch("add", [(98, 45), (1, 2)]) -> the same, with the machine's time measured apart (isa/batch.py)

One path: a single solve is a batch of one, laid and read by the program's one layout. Tiers: any of isa.tiers, or
"auto" (resolved there by the step budget: the reference interpreter for small runs, so importing this module and a
small auto solve import neither numba nor llvmlite). Every tier gives the same values and steps.

Inputs: square: int >= 0 (any digits); square_mul: int with x*x in int64; add/sub/mul: (a, b) non-negative ints;
expr: str; wordfreq: str (or bytes: the UTF-8 the program reads). Each program's memory layout, algorithm and
limits are in its .s header; inputs past the limits raise LibraryInputError, a run that traps ProgramTrapError.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from isa import layouts, words as _words
from isa.batch import BatchSolve, solve_batch
from isa.digits import from_digits, to_digits  # noqa: F401 - part of this module's API
from isa.layouts import (ADD_MAX_DIGITS, EXPR_MAX_CHARS, MUL_MAX_DIGITS, SQUARE_MAX_DIGITS, SQUARE_MUL_MAX,  # noqa
                         WORDFREQ_MAX_BYTES, LibraryInputError, ProgramTrapError, wordfreq_table_slots)
from isa.machine import RunResult
from isa.program import Program
from isa.tiers import AUTO_REF_STEPS  # noqa: F401 - where "auto" turns compiled, for callers and tests

__all__ = ["solve", "solve_many", "solve_batch", "BatchSolve", "ProgramRun", "PROGRAMS", "load", "prepare",
           "budget", "decode", "image_answer", "LibraryInputError", "ProgramTrapError", "words", "word_counts"]

PROGRAM_DIR = layouts.PROGRAM_DIR
WORD_RULE = _words.__doc__  # the one definition of a word, shared with bench/tasks and the prompts
words, word_counts = _words.words, _words.word_counts


@dataclass
class ProgramRun:
    value: object  # int for arithmetic and expr, list[tuple[str, int]] for wordfreq
    status: str  # Status name: "HALTED" for every run that returns
    steps: int  # instructions executed
    result: RunResult


class _Programs(dict):
    def __missing__(self, name):
        raise KeyError(f"unknown program {name!r}; known programs: {', '.join(self)}")


PROGRAMS: dict[str, str] = _Programs((name, layout.description) for name, layout in layouts.LAYOUTS.items())


def load(name: str) -> Program:
    """isa/programs/NAME.s, assembled once per process."""
    PROGRAMS[name]  # KeyError listing the known programs
    return layouts.load(name)


def prepare(name: str, inp) -> tuple[Program, np.ndarray]:
    """The program and its initial memory for `inp`, sized to fit; raises LibraryInputError past the limits."""
    program = load(name)
    laid = layouts.layout(name).lay(program, [inp], batch=False)
    return program, laid.mem[0, : laid.sizes[0]].copy()


def budget(name: str, inp) -> int:
    """The step budget a solve of `inp` runs with: well above its worst case."""
    return int(layouts.layout(name).lay(load(name), [inp], batch=False).budgets[0])


def decode(name: str, inp, result: RunResult):
    """The answer in a finished run's memory."""
    return layouts.layout(name).read(load(name), [inp], result.mem[None, :], batch=False)[0]


def image_answer(name: str, program: Program, result: RunResult):
    """The answer of a run of `program` (NAME.s as assembled, its data section holding the input, as when the file is
    run by `isabench asm --run`). Only expr's decoding needs the input itself (to quote it in errors)."""
    inp = None
    if name == "expr":
        at, n = program.symbols["input"], int(program.data[program.symbols["len"]])
        inp = "".join(map(chr, program.data[at : at + n].tolist()))
    return layouts.layout(name).read(program, [inp], result.mem[None, :], batch=False)[0]


def solve(name: str, inp, *, tier: str | None = None, fuel: int | None = None,
          backend: str | None = None) -> ProgramRun:
    """One input on `tier` (default "jit"; "auto" picks by the step budget, see isa.tiers; `backend=` is the old
    name of `tier`): a batch of one. `result.result.tier` says which tier ran."""
    if tier is not None and backend is not None and tier != backend:
        raise ValueError(f"tier={tier!r} and backend={backend!r} disagree; backend is the old name of tier")
    out = solve_batch(name, [inp], tier=tier or backend or "jit", fuel=fuel, single=True)
    return ProgramRun(out.values[0], out.status[0], int(out.steps[0]), out.result.row(0))


def solve_many(name: str, inputs, *, fuel: int | None = None, tier: str = "jit",
               threads: int | None = None) -> list[ProgramRun]:
    """Every input in one batched run, each as a ProgramRun; for the phases timed apart, use solve_batch."""
    out = solve_batch(name, inputs, tier=tier, threads=threads, fuel=fuel)
    return [ProgramRun(v, s, int(k), out.result.row(i))
            for i, (v, s, k) in enumerate(zip(out.values, out.status, out.steps))]
