"""Running programs: one run on any tier (`run`), or one program over many inputs in one native call (`run_batch`).
Both return plain results; neither mutates the caller's arrays.

Tiers: the table in isa/tiers.py ("ref", the plain-Python reference interpreter; "jit", the Numba-compiled
interpreter, the default; "compiled", the program itself compiled to native code through LLVM; "auto", resolved
there by the call's step budget). They agree on status, pc, steps, registers and memory for every program
(tests/test_isa_diff.py). A single run is a batch of one row, so every tier is reached through one dispatch. Nothing
here imports numba or llvmlite until a run asks for its tier.

Threads: run_batch uses `threads` rows at a time; None means $ISABENCH_ISA_THREADS, else 1 (on a shared machine
more threads than free cores is far slower, not faster). The count used is recorded on the result.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from isa import spec, tiers
from isa.program import Program
from isa.spec import Status

DEFAULT_FUEL = 100_000_000
TIERS = tiers.NAMES
DEFAULT_TIER = tiers.DEFAULT
THREADS_ENV = "ISABENCH_ISA_THREADS"

__all__ = ["run", "run_batch", "run_laid", "RunResult", "BatchResult", "Status", "DEFAULT_FUEL", "TIERS",
           "resolve_threads"]


@dataclass
class RunResult:
    status: Status
    pc: int  # where the run stopped: the HALT, the trapping instruction, or the one that did not run for lack of fuel
    steps: int  # instructions executed, HALT included, the trapping one not
    regs: np.ndarray  # (16,) int64, final
    mem: np.ndarray  # (mem_size,) int64, final
    line: int | None = None  # source line of pc, when the program knows it
    tier: str = DEFAULT_TIER
    compile_s: float = 0.0  # set-up this call spent compiling or loading native code (0.0 when already loaded)

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
    tier: str = DEFAULT_TIER
    threads: int = 1  # threads the rows ran on
    machine_s: float = 0.0  # wall seconds inside the native call only (no conversions, no compiling)
    compile_s: float = 0.0  # set-up this call spent compiling or loading native code (0.0 when already loaded)

    def __len__(self) -> int:
        return len(self.status)

    @property
    def ok(self) -> np.ndarray:
        return self.status == int(Status.HALTED)

    def row(self, i: int) -> RunResult:
        """Row i as a RunResult (its memory cut to the size it ran with)."""
        return RunResult(Status(int(self.status[i])), int(self.pc[i]), int(self.steps[i]), self.regs[i].copy(),
                         self.mem[i, : self.mem_sizes[i]].copy(), tier=self.tier, compile_s=self.compile_s)


def run(program: Program, mem_size: int | None = None, *, memory=None, fuel: int = DEFAULT_FUEL,
        tier: str | None = None, regs=None, backend: str | None = None, keep: bool = True) -> RunResult:
    """Run `program` once on `tier` (one of TIERS or "auto"; `backend=` is the old name, still accepted). `memory`
    (1-D ints, copied) is the whole initial memory and sets the size; otherwise the data image is zero-padded to
    `mem_size` words (default: the image's length). `result.tier` is the tier that ran. keep=False for a program
    that is itself an instance: its native code stays out of the compiled tier's disk cache (isa/tiers.py)."""
    if not isinstance(program, Program):
        raise TypeError(f"run() needs an isa.program.Program, got {type(program).__name__} (see isa.asm.assemble)")
    tier = _tier(tier, backend)
    if memory is not None:
        if mem_size is not None and mem_size != len(memory):
            raise ValueError(f"mem_size {mem_size} disagrees with len(memory) {len(memory)}; give one of them")
        mem = _words(memory, "memory", ndim=1)
    else:
        mem = program.initial_memory(_mem_size(mem_size))
    _check_size(len(mem), "memory")
    r = _regs(regs)
    batch = run_laid(program, mem.reshape(1, -1), np.array([len(mem)], np.int64), regs=r, fuel=fuel, tier=tier,
                     threads=1, keep=keep)
    status, pc = Status(int(batch.status[0])), int(batch.pc[0])
    return RunResult(status, pc, int(batch.steps[0]), batch.regs[0], batch.mem[0], program.line_of(pc), batch.tier,
                     batch.compile_s)


def run_batch(program: Program, memories, *, fuel: int = DEFAULT_FUEL, regs=None, tier: str = DEFAULT_TIER,
              threads: int | None = None, keep: bool = True) -> BatchResult:
    """Run `program` over every row of `memories` in one call on `tier` (one native call on "jit" and "compiled";
    "ref" loops over the rows in Python).

    `memories` is a (B, mem_size) int array, or a ragged list of 1-D memories: those are zero-padded to the longest
    in the result, but each row still runs with its own size (so an access past it traps MEM_OOB exactly as in
    `run`). `regs` is None, one (16,) start for all rows, or (B, 16). Row i equals run(program, memory=row i).
    `threads`: see the module docstring; the count used is `result.threads`. `keep`: as in `run`.
    """
    if isinstance(memories, np.ndarray) and memories.ndim == 2:
        mem = _words(memories, "memories", ndim=2)
        sizes = np.full(len(mem), mem.shape[1], np.int64)
    else:
        rows = [_words(m, f"memories[{i}]", ndim=1) for i, m in enumerate(memories)]
        sizes = np.array([len(m) for m in rows], np.int64)
        mem = np.zeros((len(rows), int(sizes.max(initial=0))), np.int64)
        for i, m in enumerate(rows):
            mem[i, : len(m)] = m
    _check_size(mem.shape[1], "a row of memories")
    return run_laid(program, mem, sizes, regs=regs, fuel=fuel, tier=tier, threads=threads, keep=keep)


def run_laid(program: Program, mem: np.ndarray, sizes: np.ndarray, *, fuel: int = DEFAULT_FUEL, regs=None,
             tier: str = DEFAULT_TIER, threads: int | None = None, keep: bool = True) -> BatchResult:
    """run_batch on memories already laid out, used in place: `mem` a writable C-contiguous int64 (B, M) array,
    `sizes` int64 (B,) with every size <= M. For callers that build the batch themselves (isa.layouts)."""
    if mem.ndim != 2 or mem.dtype != np.int64 or not mem.flags.c_contiguous or not mem.flags.writeable:
        raise ValueError(f"run_laid needs a writable C-contiguous int64 (B, M) array, got {mem.dtype} {mem.shape}")
    sizes = np.ascontiguousarray(sizes, np.int64)
    if sizes.shape != (len(mem),) or (len(sizes) and (sizes.min() < 0 or sizes.max() > mem.shape[1])):
        raise ValueError(f"sizes must be {len(mem)} values in 0..{mem.shape[1]}")
    if regs is None:
        r = np.zeros((len(mem), spec.NUM_REGS), np.int64)
    else:
        r = np.array(regs, dtype=np.int64)
        if r.shape == (spec.NUM_REGS,):
            r = np.tile(r, (len(mem), 1))
        if r.shape != (len(mem), spec.NUM_REGS):
            raise ValueError(f"regs must have shape (16,) or ({len(mem)}, 16), got {r.shape}")
    fuel, threads = _fuel(fuel), resolve_threads(threads)
    tier = tiers.resolve(_tier(tier, None), budget=fuel * max(1, len(mem)))
    done = tiers.TIERS[tier].rows(program, mem, sizes, r, fuel, threads, keep)
    return BatchResult(done.status, done.pcs, done.steps, r, mem, sizes, tier, done.threads, done.machine_s,
                       done.compile_s)


def resolve_threads(threads: int | None) -> int:
    """The thread count a batch runs on: `threads`, else $ISABENCH_ISA_THREADS, else 1."""
    if threads is None:
        text = os.environ.get(THREADS_ENV, "").strip()
        if not text:
            return 1
        try:
            threads = int(text)
        except ValueError:
            raise ValueError(f"{THREADS_ENV}={text!r} is not a thread count") from None
    if isinstance(threads, bool) or int(threads) != threads or threads < 1:
        raise ValueError(f"threads must be an integer >= 1, got {threads!r}")
    return int(threads)


def _tier(tier: str | None, backend: str | None) -> str:
    """The tier asked for (not yet resolved: "auto" stays), checked; `backend` is the old name of `tier`."""
    if tier is not None and backend is not None and tier != backend:
        raise ValueError(f"tier={tier!r} and backend={backend!r} disagree; backend is the old name of tier")
    chosen = tier if tier is not None else backend if backend is not None else DEFAULT_TIER
    try:
        tiers.resolve(chosen)
    except ValueError as e:
        if tier is None and backend is not None:
            raise ValueError(str(e).replace("unknown tier", "unknown backend (the old name of tier)")) from None
        raise
    return chosen


def _mem_size(mem_size):
    if mem_size is not None and int(mem_size) < 0:
        raise ValueError(f"mem_size must be >= 0, got {mem_size}")
    if mem_size is not None:
        _check_size(int(mem_size), "mem_size")
    return mem_size


def _check_size(words: int, what: str) -> None:
    if words > spec.MAX_MEMORY_WORDS:
        raise ValueError(f"{what} of {words} words is over the limit of {spec.MAX_MEMORY_WORDS} words "
                         f"(isa.spec.MAX_MEMORY_WORDS)")


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
        raise ValueError(f"fuel must be a step count in 0..{spec.INT64_MAX} (int64), got {fuel}")
    return fuel
