"""Running programs: one run on either tier (`run`), or one program over many inputs in one compiled call
(`run_batch`). Both return plain results; neither mutates the caller's arrays.

Tiers: backend="ref" is the plain-Python reference interpreter (isa/ref.py), backend="jit" the Numba-compiled one
(isa/jit.py). They agree on status, pc, steps, registers and memory for every program (tests/test_isa_diff.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from isa import spec
from isa.program import Program
from isa.spec import Status

DEFAULT_FUEL = 100_000_000

__all__ = ["run", "run_batch", "RunResult", "BatchResult", "Status", "DEFAULT_FUEL"]


@dataclass
class RunResult:
    status: Status
    pc: int  # where the run stopped: the HALT, the trapping instruction, or the one that did not run for lack of fuel
    steps: int  # instructions executed, HALT included, the trapping one not
    regs: np.ndarray  # (16,) int64, final
    mem: np.ndarray  # (mem_size,) int64, final
    line: int | None = None  # source line of pc, when the program knows it

    @property
    def ok(self) -> bool:
        return self.status == Status.HALTED

    @property
    def trap_message(self) -> str:
        """'' for a clean HALT, else e.g. 'DIV_ZERO at pc 12 (line 30)'."""
        if self.ok:
            return ""
        where = f" (line {self.line})" if self.line is not None else ""
        return f"{Status(self.status).name} at pc {self.pc}{where}"


@dataclass
class BatchResult:
    status: np.ndarray  # (B,) int64 Status values
    pc: np.ndarray  # (B,)
    steps: np.ndarray  # (B,)
    regs: np.ndarray  # (B, 16)
    mem: np.ndarray  # (B, max mem size); rows shorter than the max are zero-padded past mem_sizes[i]
    mem_sizes: np.ndarray  # (B,) the memory size each row ran with

    def __len__(self) -> int:
        return len(self.status)

    @property
    def ok(self) -> np.ndarray:
        return self.status == int(Status.HALTED)

    def row(self, i: int) -> RunResult:
        """Row i as a RunResult (its memory cut to the size it ran with)."""
        return RunResult(Status(int(self.status[i])), int(self.pc[i]), int(self.steps[i]), self.regs[i].copy(),
                         self.mem[i, : self.mem_sizes[i]].copy())


def run(program: Program, mem_size: int | None = None, *, memory=None, fuel: int = DEFAULT_FUEL,
        backend: str = "jit", regs=None) -> RunResult:
    """Run `program` once. `memory` (1-D ints, copied) is the whole initial memory and sets the size; otherwise the
    data image is zero-padded to `mem_size` words (default: the image's length)."""
    if not isinstance(program, Program):
        raise TypeError(f"run() needs an isa.program.Program, got {type(program).__name__} (see isa.asm.assemble)")
    if memory is not None:
        if mem_size is not None and mem_size != len(memory):
            raise ValueError(f"mem_size {mem_size} disagrees with len(memory) {len(memory)}; give one of them")
        mem = _words(memory, "memory", ndim=1)
    else:
        if mem_size is not None and int(mem_size) < 0:
            raise ValueError(f"mem_size must be >= 0, got {mem_size}")
        mem = program.initial_memory(mem_size)
    r = _regs(regs)
    fuel = _fuel(fuel)
    if backend == "ref":
        from isa import ref

        py_regs, py_mem = [int(x) for x in r], mem.tolist()
        status, pc, steps = ref.execute(program.code.tolist(), py_mem, py_regs, fuel)
        r, mem = np.array(py_regs, np.int64), np.array(py_mem, np.int64).reshape(len(py_mem))
    elif backend == "jit":
        from isa import jit

        status, pc, steps = jit.execute(jit.prepare(program), mem, r, fuel)
    else:
        raise ValueError(f"unknown backend {backend!r}; expected 'jit' or 'ref'")
    return RunResult(Status(status), int(pc), int(steps), r, mem, program.line_of(int(pc)))


def run_batch(program: Program, memories, *, fuel: int = DEFAULT_FUEL, regs=None) -> BatchResult:
    """Run `program` over every row of `memories` in one compiled call, rows in parallel over the cores.

    `memories` is a (B, mem_size) int array, or a ragged list of 1-D memories: those are zero-padded to the longest
    in the result, but each row still runs with its own size (so an access past it traps MEM_OOB exactly as in
    `run`). `regs` is None, one (16,) start for all rows, or (B, 16). Row i equals run(program, memory=row i).
    """
    from isa import jit

    if isinstance(memories, np.ndarray) and memories.ndim == 2:
        mem = _words(memories, "memories", ndim=2)
        sizes = np.full(len(mem), mem.shape[1], np.int64)
    else:
        rows = [_words(m, f"memories[{i}]", ndim=1) for i, m in enumerate(memories)]
        sizes = np.array([len(m) for m in rows], np.int64)
        mem = np.zeros((len(rows), int(sizes.max(initial=0))), np.int64)
        for i, m in enumerate(rows):
            mem[i, : len(m)] = m
    if regs is None:
        r = np.zeros((len(mem), spec.NUM_REGS), np.int64)
    else:
        r = np.array(regs, dtype=np.int64)
        if r.shape == (spec.NUM_REGS,):
            r = np.tile(r, (len(mem), 1))
        if r.shape != (len(mem), spec.NUM_REGS):
            raise ValueError(f"regs must have shape (16,) or ({len(mem)}, 16), got {r.shape}")
    status, pc, steps = jit.execute_batch(jit.prepare(program), mem, sizes, r, _fuel(fuel))
    return BatchResult(status, pc, steps, r, mem, sizes)


def _words(x, what: str, ndim: int) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != ndim or (arr.size and arr.dtype.kind not in "iu"):
        raise ValueError(f"{what} must be a {ndim}-D array of integers, got shape {arr.shape} dtype {arr.dtype}")
    if arr.dtype == np.uint64 and arr.size and arr.max() > spec.INT64_MAX:
        raise ValueError(f"{what} holds values above int64's range")
    return np.array(arr, dtype=np.int64, order="C")  # always a copy: runs never write into the caller's arrays


def _regs(regs) -> np.ndarray:
    if regs is None:
        return np.zeros(spec.NUM_REGS, np.int64)
    r = _words(regs, "regs", ndim=1)
    if r.shape != (spec.NUM_REGS,):
        raise ValueError(f"regs must have {spec.NUM_REGS} entries, got {len(r)}")
    return r


def _fuel(fuel) -> int:
    fuel = int(fuel)
    if not 0 <= fuel <= spec.INT64_MAX:
        raise ValueError(f"fuel must be a step count >= 0, got {fuel}")
    return fuel
