"""The interpreter compiled with Numba: same semantics as isa/ref.py, about a hundred times faster.

How it stays exact and fast (each point measured, or a pitfall hit, in the prototype):
- Dispatch is one if/elif chain on the integer opcode, which LLVM turns into a jump table.
- Fuel is checked only on entering a straight-line block (pc 0 and after every control instruction), against the
  precomputed length of the block. When the remaining fuel would run out inside the block, the opcode where it runs
  out is replaced (in a private copy) by FUEL_OUT, so the run stops there with exactly the reference's pc and steps
  unless an earlier instruction of the block traps first, exactly as in the reference.
- Running off the end hits a FALL_OFF sentinel appended at index n, so there is no pc bounds check per step.
- Registers fields were validated at load time, so `& 15` is free insurance rather than a check.
- Every wrapping operation is done in uint64: Numba marks int64 add/mul as no-signed-wrap, and LLVM then may fold an
  overflowed address past a bounds check. An address is one unsigned compare (negative ones become huge) plus a
  sign test: only a negative base plus a negative offset can wrap back into range, and then the exact sum is < 0.
- Division is built from unsigned division of magnitudes (truncating, no INT_MIN / -1 fault); shifts test the amount
  (Numba's `1 << 64` is 1, ours is 0).
- A run goes in slices of at most isa.slices.SLICE steps: it stops out of fuel at an exact state and resumes from its
  pc and step count, so results equal one long call, and between slices Python acts on a Ctrl-C (KeyboardInterrupt).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass


def _import_numba_quickly() -> None:
    """Numba's first (cached) load imports numba.np.arraymath, which imports scipy.linalg (a quarter of a second)
    only to decide whether np.convolve/np.correlate may call BLAS. We use neither, so hide scipy.linalg for that one
    import: a fresh process then starts in well under a second. A later `import scipy.linalg` works as usual."""
    if "scipy.linalg" in sys.modules or "numba.np.arraymath" in sys.modules:
        return
    sys.modules["scipy.linalg"] = None  # makes `import scipy.linalg...` raise ImportError, which numba handles
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        if sys.modules.get("scipy.linalg", 0) is None:
            del sys.modules["scipy.linalg"]


_import_numba_quickly()

import numpy as np
from numba import njit, prange  # noqa: E402

from isa import spec
from isa.program import Program
from isa.slices import RUNNING, in_slices
from isa.spec import Status

FALL_OFF = spec.NUM_OPS  # sentinel opcode at index n
FUEL_OUT = spec.NUM_OPS + 1  # patched over the instruction where the fuel runs out
BLOCK_ENDS = frozenset(op.code for op in spec.OPS if op.group == "control")

# Module-level ints become compile-time constants in the njit code.
HALT, LI, MOV, ADD, SUB, MUL, DIV, MOD = (getattr(spec, f"OP_{n}") for n in "HALT LI MOV ADD SUB MUL DIV MOD".split())
AND, OR, XOR, SHL, SHR, SAR = (getattr(spec, f"OP_{n}") for n in "AND OR XOR SHL SHR SAR".split())
ADDI, SUBI, MULI, DIVI, MODI = (getattr(spec, f"OP_{n}") for n in "ADDI SUBI MULI DIVI MODI".split())
ANDI, ORI, XORI, SHLI, SHRI, SARI = (getattr(spec, f"OP_{n}") for n in "ANDI ORI XORI SHLI SHRI SARI".split())
SLT, SLTI, LD, ST, JMP = spec.OP_SLT, spec.OP_SLTI, spec.OP_LD, spec.OP_ST, spec.OP_JMP
BEQ, BNE, BLT, BGE = spec.OP_BEQ, spec.OP_BNE, spec.OP_BLT, spec.OP_BGE
BEQI, BNEI, BLTI, BGEI = spec.OP_BEQI, spec.OP_BNEI, spec.OP_BLTI, spec.OP_BGEI
CALL, RET, JR, LINK = spec.OP_CALL, spec.OP_RET, spec.OP_JR, spec.LINK_REG
S_HALTED, S_FUEL, S_DIV0, S_OOB, S_BADPC = (int(s) for s in (Status.HALTED, Status.OUT_OF_FUEL, Status.DIV_ZERO,
                                                               Status.MEM_OOB, Status.BAD_PC))
U64 = np.uint64
ONE, TWO, THREE, FOUR = U64(1), U64(2), U64(3), U64(4)


@dataclass(frozen=True)
class Prepared:
    """A program laid out for the compiled loop (made once per Program and cached on it)."""

    code: np.ndarray  # (4 * (n + 1),) the instruction words flattened, then [FALL_OFF, 0, 0, 0] at index n
    runlen: np.ndarray  # (n + 1,) instructions from pc through the next control instruction (or the end)


def prepare(program: Program) -> Prepared:
    cached = getattr(program, "_jit_prepared", None)
    if cached is not None:
        return cached
    trusted = program.trusted_code()
    n = len(trusted)
    code = np.zeros((n + 1, spec.INSTR_WIDTH), np.int64)
    code[:n] = trusted
    code[n, 0] = FALL_OFF
    runlen = np.zeros(n + 1, np.int64)
    for pc in range(n - 1, -1, -1):
        runlen[pc] = 1 if int(code[pc, 0]) in BLOCK_ENDS else 1 + runlen[pc + 1]
    prepared = Prepared(code.reshape(-1), runlen)
    object.__setattr__(program, "_jit_prepared", prepared)  # trusted_code() never changes: never stale
    return prepared


_HALT = Prepared(np.array([HALT, 0, 0, 0, FALL_OFF, 0, 0, 0], np.int64), np.array([1, 0], np.int64))


@njit(inline="always")
def _wrap(x):
    return np.int64(x)  # uint64 -> int64 keeps the bits


@njit(inline="always")
def _magnitude(x):
    return U64(x) if x >= 0 else U64(0) - U64(x)  # |INT_MIN| = 2**63 fits in uint64


@njit(inline="always")
def _div(x, d):  # d != 0; truncates, INT_MIN / -1 wraps to INT_MIN
    q = _magnitude(x) // _magnitude(d)
    return _wrap(q) if (x < 0) == (d < 0) else _wrap(U64(0) - q)


@njit(inline="always")
def _mod(x, d):  # d != 0; the sign of x
    r = _magnitude(x) % _magnitude(d)
    return _wrap(r) if x >= 0 else _wrap(U64(0) - r)


@njit(inline="always")
def _shl(x, s):
    return _wrap(U64(x) << U64(s)) if U64(s) < U64(64) else np.int64(0)


@njit(inline="always")
def _shr(x, s):
    return _wrap(U64(x) >> U64(s)) if U64(s) < U64(64) else np.int64(0)


@njit(inline="always")
def _sar(x, s):
    return x >> np.int64(s) if U64(s) < U64(64) else x >> np.int64(63)


@njit(cache=True)
def _execute(code, runlen, mem, size, regs, fuel, start, steps):
    """Run in place on mem[:size] and regs from pc `start` after `steps` steps (0, 0 for a fresh run) up to `fuel` steps
    in all; return (status, pc, steps). pc is unsigned: no negative-index fixups."""
    code = code.copy()  # private: FUEL_OUT may be patched in (copied once here: reassigning in the loop costs)
    usize = U64(size)
    n = U64(len(runlen) - 1)
    pc = U64(start)
    while True:
        # Entering a straight-line block: the only fuel check.
        block_pc = pc
        block_steps = steps
        left = fuel - steps
        if left < runlen[pc]:
            code[(pc + U64(left)) * FOUR] = FUEL_OUT
        steps += runlen[pc]
        while True:
            k = pc * FOUR
            op = code[k]
            a = code[k + ONE]
            b = code[k + TWO]
            c = code[k + THREE]
            if op == ADDI:
                regs[a & 15] = _wrap(U64(regs[b & 15]) + U64(c))
            elif op == ADD:
                regs[a & 15] = _wrap(U64(regs[b & 15]) + U64(regs[c & 15]))
            elif op == LD:
                base = regs[b & 15]
                addr = U64(base) + U64(c)
                if addr >= usize or (base & c) < 0:  # two negatives can wrap into range; exactly, they are < 0
                    return S_OOB, np.int64(pc), block_steps + np.int64(pc - block_pc)
                regs[a & 15] = mem[addr]
            elif op == ST:
                base = regs[b & 15]
                addr = U64(base) + U64(c)
                if addr >= usize or (base & c) < 0:
                    return S_OOB, np.int64(pc), block_steps + np.int64(pc - block_pc)
                mem[addr] = regs[a & 15]
            elif op == LI:
                regs[a & 15] = b
            elif op == MOV:
                regs[a & 15] = regs[b & 15]
            elif op == SUB:
                regs[a & 15] = _wrap(U64(regs[b & 15]) - U64(regs[c & 15]))
            elif op == MUL:
                regs[a & 15] = _wrap(U64(regs[b & 15]) * U64(regs[c & 15]))
            elif op == DIV:
                d = regs[c & 15]
                if d == 0:
                    return S_DIV0, np.int64(pc), block_steps + np.int64(pc - block_pc)
                regs[a & 15] = _div(regs[b & 15], d)
            elif op == MOD:
                d = regs[c & 15]
                if d == 0:
                    return S_DIV0, np.int64(pc), block_steps + np.int64(pc - block_pc)
                regs[a & 15] = _mod(regs[b & 15], d)
            elif op == AND:
                regs[a & 15] = regs[b & 15] & regs[c & 15]
            elif op == OR:
                regs[a & 15] = regs[b & 15] | regs[c & 15]
            elif op == XOR:
                regs[a & 15] = regs[b & 15] ^ regs[c & 15]
            elif op == SHL:
                regs[a & 15] = _shl(regs[b & 15], regs[c & 15])
            elif op == SHR:
                regs[a & 15] = _shr(regs[b & 15], regs[c & 15])
            elif op == SAR:
                regs[a & 15] = _sar(regs[b & 15], regs[c & 15])
            elif op == SUBI:
                regs[a & 15] = _wrap(U64(regs[b & 15]) - U64(c))
            elif op == MULI:
                regs[a & 15] = _wrap(U64(regs[b & 15]) * U64(c))
            elif op == DIVI:
                if c == 0:
                    return S_DIV0, np.int64(pc), block_steps + np.int64(pc - block_pc)
                regs[a & 15] = _div(regs[b & 15], c)
            elif op == MODI:
                if c == 0:
                    return S_DIV0, np.int64(pc), block_steps + np.int64(pc - block_pc)
                regs[a & 15] = _mod(regs[b & 15], c)
            elif op == ANDI:
                regs[a & 15] = regs[b & 15] & c
            elif op == ORI:
                regs[a & 15] = regs[b & 15] | c
            elif op == XORI:
                regs[a & 15] = regs[b & 15] ^ c
            elif op == SHLI:
                regs[a & 15] = _shl(regs[b & 15], c)
            elif op == SHRI:
                regs[a & 15] = _shr(regs[b & 15], c)
            elif op == SARI:
                regs[a & 15] = _sar(regs[b & 15], c)
            elif op == SLT:
                regs[a & 15] = 1 if regs[b & 15] < regs[c & 15] else 0
            elif op == SLTI:
                regs[a & 15] = 1 if regs[b & 15] < c else 0
            # ---- control: each ends the block ----
            elif op == BNEI:
                pc = U64(c) if regs[a & 15] != b else pc + ONE
                break
            elif op == BEQI:
                pc = U64(c) if regs[a & 15] == b else pc + ONE
                break
            elif op == BLTI:
                pc = U64(c) if regs[a & 15] < b else pc + ONE
                break
            elif op == BGEI:
                pc = U64(c) if regs[a & 15] >= b else pc + ONE
                break
            elif op == BNE:
                pc = U64(c) if regs[a & 15] != regs[b & 15] else pc + ONE
                break
            elif op == BEQ:
                pc = U64(c) if regs[a & 15] == regs[b & 15] else pc + ONE
                break
            elif op == BLT:
                pc = U64(c) if regs[a & 15] < regs[b & 15] else pc + ONE
                break
            elif op == BGE:
                pc = U64(c) if regs[a & 15] >= regs[b & 15] else pc + ONE
                break
            elif op == JMP:
                pc = U64(a)
                break
            elif op == CALL:
                regs[LINK] = np.int64(pc + ONE)
                pc = U64(a)
                break
            elif op == RET:
                target = U64(regs[LINK])
                if target >= n:
                    return S_BADPC, np.int64(pc), block_steps + np.int64(pc - block_pc)
                pc = target
                break
            elif op == JR:
                target = U64(regs[a & 15])
                if target >= n:
                    return S_BADPC, np.int64(pc), block_steps + np.int64(pc - block_pc)
                pc = target
                break
            elif op == HALT:
                return S_HALTED, np.int64(pc), block_steps + np.int64(pc - block_pc) + 1
            elif op == FUEL_OUT:
                return S_FUEL, np.int64(pc), block_steps + np.int64(pc - block_pc)
            else:  # FALL_OFF: ran past the last instruction
                return S_BADPC, np.int64(pc), block_steps + np.int64(pc - block_pc)
            pc += ONE


@njit(inline="always")
def _run_row(code, runlen, mem, sizes, regs, fuel, take, status, pcs, steps, i):
    """Row i, if RUNNING, for up to `take` more steps (within `fuel` in all)."""
    if status[i] == RUNNING:
        limit = steps[i] + min(fuel - steps[i], take)
        status[i], pcs[i], steps[i] = _execute(code, runlen, mem[i], sizes[i], regs[i], limit, pcs[i], steps[i])


@njit(cache=True, parallel=True)
def _execute_batch(code, runlen, mem, sizes, regs, fuel, take, status, pcs, steps):
    for i in prange(mem.shape[0]):
        _run_row(code, runlen, mem, sizes, regs, fuel, take, status, pcs, steps, i)


@njit(cache=True)
def _execute_batch_serial(code, runlen, mem, sizes, regs, fuel, take, status, pcs, steps):
    """One thread: no threading layer to start, nothing to contend for on a busy machine."""
    for i in range(mem.shape[0]):
        _run_row(code, runlen, mem, sizes, regs, fuel, take, status, pcs, steps, i)


_loaded = False  # whether warm_up has loaded the njit functions in this process


def warm_up() -> float:
    """Load (or compile) the njit functions on first use; return the seconds that took (0.0 once loaded), so that
    run times measured afterwards hold no set-up. (A flag, not the dispatcher's `signatures`: that costs ~20 µs.)"""
    global _loaded
    if _loaded:
        return 0.0
    t0 = time.perf_counter()
    prep = _HALT
    z1, z2 = np.zeros(0, np.int64), np.zeros((0, 1), np.int64)
    _execute_batch_serial(prep.code, prep.runlen, z2, z1, np.zeros((0, spec.NUM_REGS), np.int64), 10, 10, z1, z1, z1)
    _loaded = True
    return time.perf_counter() - t0


def execute_batch(prep: Prepared, mem: np.ndarray, sizes: np.ndarray, regs: np.ndarray, fuel: int, threads: int = 1):
    """All rows, in place on mem (B, M) and regs (B, 16); row i uses mem[i, :sizes[i]].
    Returns (status, pcs, steps, seconds inside the compiled call, threads used)."""
    return in_slices((_execute_batch_serial, _execute_batch), (prep.code, prep.runlen, mem, sizes, regs, fuel),
                     np.full(len(mem), RUNNING, np.int64), fuel, threads)

