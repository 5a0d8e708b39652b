"""The compiled tier: a Program -> LLVM IR (isa/llvm_ir.py) -> native code with llvmlite, cached per program.

Same status, pc, steps, registers and memory as isa/ref.py for every program (tests/test_isa_diff.py); 6-15 times
faster than the Numba interpreter on the benchmarks (README, "Benchmarks"): each ISA instruction becomes a few
machine instructions, with no dispatch between them.

Caching (compile time is set-up, reported apart: `Compiled.compile_s`, and `compile_s` on the results of a call):
- in memory: on the Program itself and in a per-process table keyed by the code's hash (the last MEMORY_ENTRIES);
- on disk, like numba's cache: CACHE_ENV (ISABENCH_CACHE_DIR) names the folder, default $XDG_CACHE_HOME/isabench
  or ~/.cache/isabench; objects go to its `compiled/` subfolder, one `<key>.o` per program, where the key hashes the
  code words with everything the machine code depends on (this module's generator version, llvmlite and LLVM
  versions, target triple, host CPU and its features). Set ISABENCH_CACHE_DIR to an empty string to disable it.
  A file that is unreadable, truncated, corrupt (its checksum fails) or foreign (another key) is ignored and
  rebuilt; a folder that cannot be written is skipped. Neither ever stops a run.
"""
from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import tempfile
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from isa import llvm_ir, spec
from isa.program import Program

GENERATOR = "isa-llvm-1"  # the cache key also hashes llvm_ir.py's source, so a changed generator never meets old files
OPT_LEVEL = 2  # the target machine's code generation level
# The IR passes: registers and fuel to SSA, blocks merged, arithmetic and compares folded. Measured against LLVM's
# whole -O2 pipeline (CPU time, best of 5, 2-core EPYC): 2-4x faster to compile (square.s 30 vs 130 ms, wordfreq.s 45
# vs 180 ms), as fast to run (bignum square 0.08 vs 0.14 ns/instr, LCG loop 0.22 both, add/xor loop 0.11 vs 0.09),
# and llvmlite's default pipeline object leaks ~85 KB per module compiled, which these passes do not.
PASSES = ("add_sroa_pass", "add_simplify_cfg_pass", "add_instruction_combine_pass")
CACHE_ENV = "ISABENCH_CACHE_DIR"
MEMORY_ENTRIES = 256  # compiled programs kept per process beyond those still referenced by a Program
MAGIC = b"ISABENCH-COMPILED-1\n"
_ROW_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                           ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)


@dataclass(eq=False)
class Compiled:
    """One program's native code, alive as long as this object (the engine owns the code pages)."""

    key: str
    code: list  # the validated words as lists: what the FUEL_SHORT finisher runs
    fn: object  # ctypes function: isa_run_batch(mem, stride, sizes, regs, fuel, rows, status, pcs, steps)
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


class _Llvm:
    """The target machine and what the cache key must include, set up once per process (llvmlite imports here)."""

    def __init__(self):
        import llvmlite
        import llvmlite.binding as llvm

        self.llvm = llvm
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        cpu, features = llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()
        target = llvm.Target.from_triple(llvm.get_process_triple())
        self.new_machine = functools.partial(target.create_target_machine, cpu=cpu, features=features, opt=OPT_LEVEL,
                                             codemodel="jitdefault")
        self.machine = self.new_machine()  # for building only: an engine takes ownership of (and frees) its own
        source = hashlib.sha256(Path(llvm_ir.__file__).read_bytes()).hexdigest()
        self.identity = "|".join([GENERATOR, source, llvmlite.__version__, ".".join(map(str, llvm.llvm_version_info)),
                                  llvm.get_process_triple(), cpu, features, f"O{OPT_LEVEL}", *PASSES])
        self.lock = threading.Lock()

    def build(self, ir: str) -> bytes:
        llvm = self.llvm
        module = llvm.parse_assembly(ir)
        module.verify()
        # A pass builder per module: its analysis caches are keyed by Function pointers, which a later module reuses
        builder = llvm.create_pass_builder(self.machine, llvm.create_pipeline_tuning_options(speed_level=OPT_LEVEL))
        passes = llvm.create_new_module_pass_manager()
        for add in PASSES:
            getattr(passes, add)()
        passes.run(module, builder)
        return self.machine.emit_object(module)

    def load(self, obj: bytes):
        llvm = self.llvm
        engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), self.new_machine())
        engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        engine.finalize_object()
        address = engine.get_function_address(llvm_ir.RUN_SYMBOL)
        if not address:
            raise RuntimeError(f"compiled object lacks {llvm_ir.RUN_SYMBOL}")
        return engine, _ROW_FN(address)


@functools.cache
def _llvm() -> _Llvm:
    return _Llvm()


_MEMORY: OrderedDict[str, Compiled] = OrderedDict()
_MEMORY_LOCK = threading.Lock()


def compile_program(program: Program) -> Compiled:
    """The program's native code: from the Program, the in-memory table, the disk cache, or built now."""
    return obtain(program)[0]


def obtain(program: Program) -> tuple[Compiled, float]:
    """(the program's native code, seconds this call spent building or loading it: 0.0 when it was in memory)."""
    done = program.__dict__.get("_compiled")
    if done is not None:
        return done, 0.0
    t0 = time.perf_counter()
    llvm = _llvm()
    key = hashlib.sha256(llvm.identity.encode() + b"\0" + program.trusted_code().tobytes()).hexdigest()
    with _MEMORY_LOCK:
        done = _MEMORY.get(key)
        if done is not None:
            _MEMORY.move_to_end(key)
    spent = 0.0
    if done is None:
        done = _from_disk(llvm, key, program) or _build(llvm, key, program)
        with _MEMORY_LOCK:
            _MEMORY[key] = done
            while len(_MEMORY) > MEMORY_ENTRIES:
                _MEMORY.popitem(last=False)
        spent = time.perf_counter() - t0  # with the first call's llvmlite set-up, if it was this one
    object.__setattr__(program, "_compiled", done)
    return done, spent


def _build(llvm: _Llvm, key: str, program: Program) -> Compiled:
    t0 = time.perf_counter()
    with llvm.lock:  # llvmlite's target machine is not documented as thread-safe
        obj = llvm.build(llvm_ir.module_ir(program))
        engine, fn = llvm.load(obj)
    compiled = Compiled(key, program.trusted_code().tolist(), fn, engine, time.perf_counter() - t0, "built")
    _to_disk(key, obj)
    return compiled


def _from_disk(llvm: _Llvm, key: str, program: Program) -> Compiled | None:
    folder = cache_dir()
    if folder is None:
        return None
    t0 = time.perf_counter()
    try:
        blob = (folder / f"{key}.o").read_bytes()
    except OSError:
        return None
    head = len(MAGIC) + 64 + 32
    payload = blob[head:]
    if (len(blob) <= head or blob[: len(MAGIC)] != MAGIC or blob[len(MAGIC) : len(MAGIC) + 64] != key.encode()
            or hashlib.sha256(payload).digest() != blob[len(MAGIC) + 64 : head]):
        return None  # truncated, corrupt or someone else's: rebuilt (and rewritten) by the caller
    try:
        with llvm.lock:
            engine, fn = llvm.load(payload)
    except Exception:  # noqa: BLE001 - whatever LLVM makes of a bad object, the fix is to rebuild it
        return None
    return Compiled(key, program.trusted_code().tolist(), fn, engine, time.perf_counter() - t0, "disk")


def _to_disk(key: str, obj: bytes) -> None:
    folder = cache_dir()
    if folder is None:
        return
    blob = MAGIC + key.encode() + hashlib.sha256(obj).digest() + obj
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{key[:16]}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, folder / f"{key}.o")  # atomic: a concurrent reader sees the old file or the whole new one
    except OSError:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


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
    seconds inside the native code)."""
    _check(mem, sizes, regs)
    rows, stride = len(mem), mem.shape[1]
    status, pcs, steps = np.zeros(rows, np.int64), np.zeros(rows, np.int64), np.zeros(rows, np.int64)
    if not 0 <= fuel <= spec.INT64_MAX:
        raise ValueError(f"fuel must be in 0..{spec.INT64_MAX}, got {fuel}")
    base = [_address(a) for a in (mem, sizes, regs, status, pcs, steps)]

    def chunk(lo: int, hi: int) -> None:
        m, sz, r, st, pc, k = base
        compiled.fn(m + 8 * lo * stride, stride, sz + 8 * lo, r + 8 * 16 * lo, fuel, hi - lo, st + 8 * lo,
                    pc + 8 * lo, k + 8 * lo)

    threads = max(1, min(int(threads), rows))
    t0 = time.perf_counter()
    if threads == 1:
        if rows:
            chunk(0, rows)
    else:  # ctypes releases the GIL for the call, so the chunks run on the cores at once
        bounds = np.linspace(0, rows, threads + 1).astype(int).tolist()
        list(_pool(threads).map(chunk, bounds[:-1], bounds[1:]))
    short = np.flatnonzero(status == llvm_ir.FUEL_SHORT)
    if len(short):
        _finish_short(compiled.code, mem, sizes, regs, fuel, short, status, pcs, steps)
    return status, pcs, steps, time.perf_counter() - t0


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
