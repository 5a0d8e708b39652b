"""The reference interpreter: plain Python, one loop of tiny cases, written to be read rather than to be fast.

It defines the semantics the JIT must match bit for bit (the differential tests compare them). Every result goes
through spec.wrap64, so Python's unbounded ints never leak; division truncates and shifts saturate explicitly.
"""
from __future__ import annotations

from typing import Callable

from isa import spec
from isa.spec import Status

S = spec  # opcodes as S.OP_ADD, ... (one short prefix keeps the cases one line each)
MASK64 = (1 << 64) - 1


def div_trunc(a: int, b: int) -> int:
    """C-style division (b != 0): truncate towards zero; INT_MIN / -1 wraps to INT_MIN."""
    q = abs(a) // abs(b)
    return spec.wrap64(q if (a < 0) == (b < 0) else -q)


def mod_trunc(a: int, b: int) -> int:
    """C-style remainder (b != 0): the sign of a; INT_MIN % -1 == 0."""
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def shl(a: int, n: int) -> int:
    return spec.wrap64(a << n) if 0 <= n < 64 else 0


def shr(a: int, n: int) -> int:
    return spec.wrap64((a & MASK64) >> n) if 0 <= n < 64 else 0  # logical: shift the unsigned bit pattern


def sar(a: int, n: int) -> int:
    return a >> n if 0 <= n < 64 else (-1 if a < 0 else 0)


def execute(code: list[list[int]], mem: list[int], regs: list[int], fuel: int,
            trace: Callable[[int, list[int]], None] | None = None) -> tuple[Status, int, int]:
    """Run validated code in place on mem and regs; return (status, pc, steps). `trace(pc, regs)` sees each step."""
    n, size = len(code), len(mem)
    pc = steps = 0
    w = spec.wrap64
    while True:
        if not 0 <= pc < n:
            return Status.BAD_PC, pc, steps  # fell off the end (jumps are checked at load time)
        if steps == fuel:
            return Status.OUT_OF_FUEL, pc, steps
        op, a, b, c = code[pc]
        if trace is not None:
            trace(pc, regs)
        nxt = pc + 1
        if op == S.OP_HALT:
            return Status.HALTED, pc, steps + 1
        elif op == S.OP_LI: regs[a] = b
        elif op == S.OP_MOV: regs[a] = regs[b]
        elif op == S.OP_ADD: regs[a] = w(regs[b] + regs[c])
        elif op == S.OP_SUB: regs[a] = w(regs[b] - regs[c])
        elif op == S.OP_MUL: regs[a] = w(regs[b] * regs[c])
        elif op in (S.OP_DIV, S.OP_MOD, S.OP_DIVI, S.OP_MODI):
            d = regs[c] if op in (S.OP_DIV, S.OP_MOD) else c
            if d == 0:
                return Status.DIV_ZERO, pc, steps
            regs[a] = div_trunc(regs[b], d) if op in (S.OP_DIV, S.OP_DIVI) else mod_trunc(regs[b], d)
        elif op == S.OP_AND: regs[a] = regs[b] & regs[c]
        elif op == S.OP_OR: regs[a] = regs[b] | regs[c]
        elif op == S.OP_XOR: regs[a] = regs[b] ^ regs[c]
        elif op == S.OP_SHL: regs[a] = shl(regs[b], regs[c])
        elif op == S.OP_SHR: regs[a] = shr(regs[b], regs[c])
        elif op == S.OP_SAR: regs[a] = sar(regs[b], regs[c])
        elif op == S.OP_ADDI: regs[a] = w(regs[b] + c)
        elif op == S.OP_SUBI: regs[a] = w(regs[b] - c)
        elif op == S.OP_MULI: regs[a] = w(regs[b] * c)
        elif op == S.OP_ANDI: regs[a] = regs[b] & c
        elif op == S.OP_ORI: regs[a] = regs[b] | c
        elif op == S.OP_XORI: regs[a] = regs[b] ^ c
        elif op == S.OP_SHLI: regs[a] = shl(regs[b], c)
        elif op == S.OP_SHRI: regs[a] = shr(regs[b], c)
        elif op == S.OP_SARI: regs[a] = sar(regs[b], c)
        elif op == S.OP_SLT: regs[a] = int(regs[b] < regs[c])
        elif op == S.OP_SLTI: regs[a] = int(regs[b] < c)
        elif op in (S.OP_LD, S.OP_ST):
            addr = regs[b] + c  # exact (Python int): no wrap-around can sneak an address into range
            if not 0 <= addr < size:
                return Status.MEM_OOB, pc, steps
            if op == S.OP_LD:
                regs[a] = mem[addr]
            else:
                mem[addr] = regs[a]
        elif op == S.OP_JMP: nxt = a
        elif op == S.OP_BEQ: nxt = c if regs[a] == regs[b] else nxt
        elif op == S.OP_BNE: nxt = c if regs[a] != regs[b] else nxt
        elif op == S.OP_BLT: nxt = c if regs[a] < regs[b] else nxt
        elif op == S.OP_BGE: nxt = c if regs[a] >= regs[b] else nxt
        elif op == S.OP_BEQI: nxt = c if regs[a] == b else nxt
        elif op == S.OP_BNEI: nxt = c if regs[a] != b else nxt
        elif op == S.OP_BLTI: nxt = c if regs[a] < b else nxt
        elif op == S.OP_BGEI: nxt = c if regs[a] >= b else nxt
        elif op == S.OP_CALL:
            regs[spec.LINK_REG] = nxt
            nxt = a
        elif op in (S.OP_RET, S.OP_JR):
            target = regs[spec.LINK_REG] if op == S.OP_RET else regs[a]
            if not 0 <= target < n:
                return Status.BAD_PC, pc, steps
            nxt = target
        else:  # unreachable for validated code; kept so that a validator bug cannot pass silently
            raise AssertionError(f"invalid opcode {op} at pc {pc}")
        steps += 1
        pc = nxt
