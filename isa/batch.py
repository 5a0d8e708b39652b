"""`solve_batch`: a library program over many inputs in one run, the machine's own time measured apart from the glue.

    out = solve_batch("square", [12, 345, 6789])
    out.values, out.steps, out.lay_s, out.machine_s, out.decode_s

Lay-out and decoding are the program's one layout (isa/layouts.py), done for the whole batch at once; the run is one
call of isa.machine.run_laid. Every row runs with the largest of the rows' step budgets.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from isa import layouts
from isa.digit_rows import ProgramTrapError
from isa.machine import BatchResult, resolve_threads, run_laid
from isa.spec import Status


@dataclass
class BatchSolve:
    values: list  # per input: the answer, as solve() would give it
    status: list[str]  # per input: the Status name ("HALTED" for every batch that returns)
    steps: np.ndarray  # per input: instructions executed (int64)
    lay_s: float  # wall seconds: inputs -> laid memories and the step budget
    machine_s: float  # wall seconds inside the machine's call only
    decode_s: float  # wall seconds: final memories -> values
    compile_s: float  # set-up: compiling or loading the native code in this call (0.0 when already loaded)
    tier: str  # the tier that ran ("auto" resolved)
    threads: int  # threads the rows ran on
    fuel: int  # the step budget every row ran with
    result: BatchResult | None = None  # the machine's whole result (final memories and registers)
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def glue_s(self) -> float:
        return self.lay_s + self.decode_s

    @property
    def total_s(self) -> float:
        return self.lay_s + self.machine_s + self.decode_s


def solve_batch(name: str, inputs, *, tier: str = "jit", threads: int | None = None, fuel: int | None = None,
                single: bool = False, as_text: bool = False) -> BatchSolve:
    """Every input in one batched run on `tier` (any of isa.tiers, or "auto"); `threads` as in
    isa.machine.run_batch (default 1). Raises LibraryInputError naming the input (`single`: a batch of one, named
    without its index), ProgramTrapError if a run traps. `as_text`: the values are the answers as text, written in
    bulk (for the programs whose layout can: Layout.read_text)."""
    inputs = list(inputs)
    layout, program = layouts.layout(name), layouts.load(name)
    read = layout.read_text if as_text and layout.read_text is not None else layout.read
    t0 = time.perf_counter()
    laid = layout.lay(program, inputs, batch=not single)
    where = (lambda i: "") if single else (lambda i: f"inputs[{i}]: ")
    return run_and_read(name, program, laid, lambda mem: read(program, inputs, mem, batch=not single), t0,
                        tier, threads, fuel, lambda i, stopped: f"{where(i)}the run stopped with {stopped} on input "
                                                                f"{layouts.shown(inputs[i])}")


def solve_digits(name: str, operands: list, *, tier: str = "jit", threads: int | None = None,
                 fuel: int | None = None) -> BatchSolve:
    """A numeric program over operands already read as digit rows (isa.text_fields.read_fields: what a task reads
    out of its texts in bulk); the values are the answers as canonical decimal text. No Python int is made."""
    layout, program = layouts.layout(name), layouts.load(name)
    if layout.lay_digits is None:
        raise ValueError(f"{name} takes no digit rows; it is not a numeric program")
    t0 = time.perf_counter()
    laid = layout.lay_digits(program, operands)
    return run_and_read(name, program, laid, lambda mem: layout.read_text(program, [], mem), t0, tier, threads, fuel,
                        lambda i, stopped: f"inputs[{i}]: the run stopped with {stopped}")


def run_and_read(name: str, program, laid: layouts.Laid, read, t0: float, tier: str, threads: int | None,
                 fuel: int | None, describe) -> BatchSolve:
    """The laid batch run on `tier` in one call, every row's stop checked (ProgramTrapError names the first that did
    not halt: `describe(i, how it stopped)` words it), then read; each phase timed."""
    budget = int(laid.budgets.max(initial=0)) if fuel is None else int(fuel)
    t1 = time.perf_counter()
    result = run_laid(program, laid.mem, laid.sizes, fuel=budget, tier=tier, threads=resolve_threads(threads))
    t2 = time.perf_counter()
    bad = np.flatnonzero(result.status != int(Status.HALTED))
    if len(bad):
        i = int(bad[0])
        stopped = f"{result.row(i).trap_message} after {int(result.steps[i])} steps"
        raise ProgramTrapError(f"{name}: {describe(i, stopped)}")
    values = read(result.mem)
    t3 = time.perf_counter()
    return BatchSolve(values, ["HALTED"] * len(values), result.steps, t1 - t0, result.machine_s, t3 - t2,
                      result.compile_s, result.tier, result.threads, budget, result, {"call_s": t2 - t1})
