"""The compiled tier: a Program -> LLVM IR (isa/llvm_ir.py) -> native code with llvmlite, cached per program.

Same status, pc, steps, registers and memory as isa/ref.py for every program (tests/test_isa_diff.py); 6-15 times
faster than the Numba interpreter on the benchmarks (README, "Benchmarks"): each ISA instruction becomes a few
machine instructions, with no dispatch between them.

Size: compile time and memory grow linearly with the program (isa/llvm_modules.py cuts large ones into functions
of SEGMENT instructions, and LLVM's loop strength reduction runs only where few loops can chain: see LSR_TARGETS); a
program over MAX_INSTRUCTIONS is refused with ProgramTooLarge before any compiling (the jit tier runs any size).

Ctrl-C: native code checks Python's SIGINT flag every SLICE steps of a row; the rows stop with their exact state and
KeyboardInterrupt is raised (see _Poll).

Caching (compile time is set-up, reported apart: `Compiled.compile_s`, and `compile_s` on the results of a call):
- in memory: on the Program itself and in a per-process table keyed by the code's hash (the last MEMORY_ENTRIES);
- on disk, like numba's cache: CACHE_ENV (ISABENCH_CACHE_DIR) names the folder, default $XDG_CACHE_HOME/isabench
  or ~/.cache/isabench; objects go to its `compiled/` subfolder, one `<key>.o` per program (isa/compiled_cache.py),
  where the key hashes the code words with everything the machine code depends on (the generator's version and
  source, llvmlite and LLVM versions, target triple, host CPU and its features). Set ISABENCH_CACHE_DIR to an empty
  string to disable it. A file that is unreadable, truncated, corrupt or foreign is ignored and rebuilt; a folder
  that cannot be written is skipped. Neither ever stops a run;
- a program that is itself an instance (keep=False on isa.machine's calls: emulate's, the hybrid's written ones)
  never touches the disk: one file per instance would fill it without bound.
"""
from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import signal
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from isa import compiled_cache, llvm_build, llvm_ir, llvm_modules, spec
from isa.program import Program

GENERATOR = "isa-llvm-2"  # the key also hashes the generator's source, so a changed one never meets old files
# The size budget: compile time grows linearly (about 0.3 ms of CPU per instruction on a 2-core EPYC, so ~40 s here)
# and LLVM's memory with it; a larger program is refused (ProgramTooLarge) before any compiling.
MAX_INSTRUCTIONS = 1 << 17
CACHE_ENV = "ISABENCH_CACHE_DIR"
MEMORY_ENTRIES = 256  # compiled programs kept per process beyond those still referenced by a Program
_ROW_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                           ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)


class ProgramTooLarge(ValueError):
    """A program over the compiled tier's size budget: refused before compiling (the jit tier runs any size)."""

    def __init__(self, instructions: int):
        super().__init__(f"compiled tier: the program has {instructions:,} instructions, over its limit of "
                         f"{MAX_INSTRUCTIONS:,} (isa.compiled.MAX_INSTRUCTIONS); run it on the jit tier")
        self.instructions = instructions


@dataclass(eq=False)
class Compiled:
    """One program's native code, alive as long as this object (the engine owns the code pages)."""

    key: str
    code: list  # the validated words as lists: what the FUEL_SHORT finisher runs
    fn: object  # ctypes function: isa_run_batch(mem, stride, sizes, regs, fuel, rows, status, pcs, steps, poll)
    engine: object
    compile_s: float  # seconds it took to build it, or to load it from the disk cache
    origin: str  # "built" or "disk"


def cache_dir() -> Path | None:
    """Where compiled objects are kept, or None when the disk cache is disabled (ISABENCH_CACHE_DIR="")."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return Path(chosen).expanduser() / "compiled" if chosen.strip() else None
    try:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    except RuntimeError:  # no home directory to be found: no disk cache
        return None
    return Path(base) / "isabench" / "compiled"


_MEMORY: OrderedDict[str, Compiled] = OrderedDict()
_MEMORY_LOCK = threading.Lock()


def compile_program(program: Program, disk: bool = True) -> Compiled:
    """The program's native code: from the Program, the in-memory table, the disk cache, or built now."""
    return obtain(program, disk)[0]


def obtain(program: Program, disk: bool = True) -> tuple[Compiled, float]:
    """(the program's native code, seconds this call spent building or loading it: 0.0 when it was in memory).
    disk=False, for a program that is itself an instance (emulate's, one a model wrote): the disk cache is neither
    read nor written, so such programs never pile up there and their compile time is always a build's, whatever an
    earlier run left behind; the bounded in-memory table still serves a repeat within the process."""
    done = program.__dict__.get("_compiled")
    if done is not None:
        return done, 0.0
    if len(program) > MAX_INSTRUCTIONS:
        raise ProgramTooLarge(len(program))
    t0 = time.perf_counter()
    llvm = llvm_build.builder()
    identity = f"{GENERATOR}|{llvm.identity}|{llvm_modules.SEGMENT}|{llvm_modules.SLICE}\0"  # tests shrink these two
    key = hashlib.sha256(identity.encode() + program.trusted_code().tobytes()).hexdigest()
    with _MEMORY_LOCK:
        done = _MEMORY.get(key)
        if done is not None:
            _MEMORY.move_to_end(key)
    spent = 0.0
    if done is None:
        folder = cache_dir() if disk else None
        done = _from_disk(llvm, key, program, folder) or _build(llvm, key, program, folder)
        with _MEMORY_LOCK:
            _MEMORY[key] = done
            while len(_MEMORY) > MEMORY_ENTRIES:
                _MEMORY.popitem(last=False)
        spent = time.perf_counter() - t0  # with the first call's llvmlite set-up, if it was this one
    object.__setattr__(program, "_compiled", done)
    return done, spent


def _build(llvm: llvm_build.Builder, key: str, program: Program, folder: Path | None) -> Compiled:
    t0 = time.perf_counter()
    with llvm.lock:
        objects = llvm.build(program)
        engine, address = llvm.load(objects)
    compiled = Compiled(key, program.trusted_code().tolist(), _ROW_FN(address), engine, time.perf_counter() - t0,
                        "built")
    if folder is not None:
        compiled_cache.write(folder, key, objects)
    return compiled


def _from_disk(llvm: llvm_build.Builder, key: str, program: Program, folder: Path | None) -> Compiled | None:
    t0 = time.perf_counter()
    objects = None if folder is None else compiled_cache.read(folder, key)
    if objects is None:
        return None  # none, or truncated, corrupt or someone else's: rebuilt (and rewritten) by the caller
    try:
        with llvm.lock:
            engine, address = llvm.load(objects)
    except Exception:  # noqa: BLE001 - whatever LLVM makes of a bad object, the fix is to rebuild it
        return None
    return Compiled(key, program.trusted_code().tolist(), _ROW_FN(address), engine, time.perf_counter() - t0, "disk")


# ---- running ---------------------------------------------------------------------------------------------------
def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _check(mem: np.ndarray, sizes: np.ndarray, regs: np.ndarray) -> None:
    """What the native code trusts (it bounds-checks against sizes[i], so sizes[i] must fit the row)."""
    if mem.ndim != 2:
        raise ValueError(f"compiled tier: memories must be 2-D (rows, words), got shape {mem.shape}")
    rows = len(mem)
    for a, shape in ((mem, mem.shape), (sizes, (rows,)), (regs, (rows, spec.NUM_REGS))):
        if a.dtype != np.int64 or not a.flags.c_contiguous or not a.flags.writeable or a.shape != shape:
            raise ValueError(f"compiled tier: expected a writable C-contiguous int64 array of shape {shape}, "
                             f"got {a.dtype} {a.shape}")
    if rows and (sizes.min() < 0 or sizes.max() > mem.shape[1]):
        raise ValueError("compiled tier: a row's memory size exceeds its buffer")


def execute_batch(compiled: Compiled, mem: np.ndarray, sizes: np.ndarray, regs: np.ndarray, fuel: int,
                  threads: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """All rows in place on mem (B, M) and regs (B, 16), row i within mem[i, :sizes[i]]: (status, pcs, steps,
    seconds inside the native code). A Ctrl-C stops the rows within SLICE steps and raises KeyboardInterrupt."""
    _check(mem, sizes, regs)
    rows, stride = len(mem), mem.shape[1]
    status, pcs, steps = np.full(rows, llvm_ir.STOPPED, np.int64), np.zeros(rows, np.int64), np.zeros(rows, np.int64)
    if not 0 <= fuel <= spec.INT64_MAX:
        raise ValueError(f"fuel must be in 0..{spec.INT64_MAX}, got {fuel}")
    base = [_address(a) for a in (mem, sizes, regs, status, pcs, steps)]

    def chunk(lo: int, hi: int) -> None:
        m, sz, r, st, pc, k = base
        compiled.fn(m + 8 * lo * stride, stride, sz + 8 * lo, r + 8 * 16 * lo, fuel, hi - lo, st + 8 * lo,
                    pc + 8 * lo, k + 8 * lo, _POLL.address)

    threads = max(1, min(int(threads), rows))
    t0 = time.perf_counter()
    if threads == 1:
        if rows:
            chunk(0, rows)
    else:  # ctypes releases the GIL for the call, so the chunks run on the cores at once
        bounds = np.linspace(0, rows, threads + 1).astype(int).tolist()
        _POLL.wait([_pool(threads).submit(chunk, lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])])
    seconds = time.perf_counter() - t0
    internal = np.flatnonzero(status >= min(llvm_ir.STOPPED, llvm_ir.BROKEN, llvm_ir.FUEL_SHORT))  # one pass
    if len(internal):
        kinds = status[internal]
        if (kinds == llvm_ir.STOPPED).any():
            _POLL.interrupted()
        if (kinds == llvm_ir.BROKEN).any():
            raise RuntimeError(f"compiled tier: a generated function was entered at a pc it lacks ({compiled.key})")
        _finish_short(compiled.code, mem, sizes, regs, fuel, internal, status, pcs, steps)
    return status, pcs, steps, seconds


class _Poll:
    """What the native code checks every SLICE steps (llvm_modules: @isa_stop): [stop word, PyGILState_Ensure,
    PyOS_InterruptOccurred, PyGILState_Release]. A SIGINT taken there (main thread only) sets the stop word, which
    stops every row of every thread at its next check with its exact state, and is then handed to Python's handler
    here. No signal handler is swapped per call: that cost 40 us, more than a short run."""

    def __init__(self):
        api = ctypes.pythonapi
        self.word = ctypes.c_int64(0)
        calls = [ctypes.cast(getattr(api, name), ctypes.c_void_p).value
                 for name in ("PyGILState_Ensure", "PyOS_InterruptOccurred", "PyGILState_Release")]
        self.table = (ctypes.c_void_p * 4)(ctypes.addressof(self.word), *calls)
        self.address = ctypes.addressof(self.table)

    def wait(self, futures) -> None:
        """Wait for the worker threads; a Ctrl-C meanwhile (the main thread's own KeyboardInterrupt) stops them."""
        try:
            for future in futures:
                future.result()
        except KeyboardInterrupt:
            self.word.value = 1
            while not all(future.done() for future in futures):
                try:
                    wait(futures)
                except KeyboardInterrupt:
                    pass
            self.word.value = 0
            raise

    def interrupted(self) -> None:
        """Rows stopped: on the main thread a check took a SIGINT from Python, so hand it to Python's handler (which
        raises KeyboardInterrupt); elsewhere the main thread did. Either way this call has no result to return."""
        if threading.current_thread() is threading.main_thread():
            self.word.value = 0
            handler = signal.getsignal(signal.SIGINT)
            if callable(handler):
                handler(signal.SIGINT, None)
        raise KeyboardInterrupt


_POLL = _Poll()


class _Row:
    """A memory row as the reference interpreter indexes it (Python ints in and out)."""

    def __init__(self, words: np.ndarray):
        self.words = words

    def __len__(self) -> int:
        return len(self.words)

    def __getitem__(self, i: int) -> int:
        return int(self.words[i])

    def __setitem__(self, i: int, value: int) -> None:
        self.words[i] = value


def _finish_short(code: list, mem, sizes, regs, fuel: int, rows, status, pcs, steps) -> None:
    """Rows whose fuel runs out inside a straight-line run: the native code stopped at the run's start e with the
    exact state; the reference runs the `left` (< the run's length) instructions that remain, which hold no control
    instruction, then meets the next one with the fuel spent (so OUT_OF_FUEL there), unless one of them traps first."""
    from isa import ref

    for i in rows.tolist():
        start, done = int(pcs[i]), int(steps[i])
        left = fuel - done
        r = regs[i].tolist()
        st, j, k = ref.execute(code[start : start + left + 1], _Row(mem[i, : sizes[i]]), r, left)
        status[i], pcs[i], steps[i] = int(st), start + j, done + k
        regs[i] = r


@functools.cache
def _pool(threads: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="isa-compiled")
