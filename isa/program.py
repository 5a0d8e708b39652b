"""A loaded program: code words, initial data image and symbols, validated once so that runs never see bad fields.

Validation happens here (and only here) because the interpreters trust it: the JIT masks register fields with
`& 15` and indexes code by label fields without bounds checks, and the compiled tier turns jump fields into direct
branches. Raw arrays from anywhere (the assembler, a test's random generator, a file) go through the same check.

The validated words live in an immutable bytes object: `program.code` is a read-only view of it that numpy refuses to
make writable again (`code.flags.writeable = True` raises), and the tiers read `trusted_code()`, the same bytes, so
nothing done to the public attribute can put unchecked words in front of them or leave a stale compiled copy.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from isa import spec


class ProgramError(ValueError):
    """A program that cannot be loaded: the message names the instruction index and the problem."""


@dataclass(eq=False, frozen=True)
class Program:
    code: np.ndarray  # int64 (n, 4): [opcode, a, b, c] per instruction
    data: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # memory image from address 0
    symbols: dict[str, int] = field(default_factory=dict)  # labels and .equ constants -> value
    lines: list[int] = field(default_factory=list)  # source line of each instruction (empty: unknown)
    name: str = "<program>"

    def __post_init__(self) -> None:
        # Frozen, with arrays over immutable bytes: the tiers trust validated code (and cache what they derive from it
        # on the Program), so it must not change after validation.
        code, data = _as_code(self.code), _as_words(self.data, "data")
        validate(code)
        if self.lines and len(self.lines) != len(code):
            raise ProgramError(f"{self.name}: {len(self.lines)} line numbers for {len(code)} instructions")
        raw = code.tobytes()
        object.__setattr__(self, "_code_bytes", raw)
        object.__setattr__(self, "code", _frozen(raw, code.shape))
        object.__setattr__(self, "data", _frozen(data.tobytes(), data.shape))

    def trusted_code(self) -> np.ndarray:
        """The validated (n, 4) words, read-only: what every tier runs, whatever happens to `self.code`."""
        return _frozen(self._code_bytes, (len(self._code_bytes) // (8 * spec.INSTR_WIDTH), spec.INSTR_WIDTH))

    def __len__(self) -> int:
        return len(self._code_bytes) // (8 * spec.INSTR_WIDTH)

    # Programs are equal when they execute identically: same code and data image. Names, symbols and line numbers
    # are metadata (a disassembled program gets synthetic labels), so they do not take part.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Program):
            return NotImplemented
        return self._code_bytes == other._code_bytes and np.array_equal(self.data, other.data)

    __hash__ = None  # mutable-looking container of arrays

    def line_of(self, pc: int) -> int | None:
        """Source line of instruction `pc`, if known."""
        return self.lines[pc] if self.lines and 0 <= pc < len(self.lines) else None

    def initial_memory(self, mem_size: int | None = None) -> np.ndarray:
        """The data image zero-padded to mem_size words (default: just the image)."""
        n = len(self.data) if mem_size is None else int(mem_size)
        if n < len(self.data):
            raise ValueError(f"mem_size {n} is smaller than the program's data image ({len(self.data)} words)")
        mem = np.zeros(n, np.int64)
        mem[: len(self.data)] = self.data
        return mem


def _frozen(raw: bytes, shape: tuple[int, ...]) -> np.ndarray:
    return np.frombuffer(raw, np.int64).reshape(shape)  # over bytes: read-only for good


def load_program(code, data=None, *, name: str = "<program>", symbols=None, lines=None) -> Program:
    """Build a validated Program from raw words (any int array-like); raises ProgramError."""
    return Program(code, np.zeros(0, np.int64) if data is None else data, dict(symbols or {}), list(lines or []), name)


def _as_words(x, what: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.size == 0:
        return np.zeros(0, np.int64)
    if arr.ndim != 1:
        raise ProgramError(f"{what} must be a 1-D array of words, got shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise ProgramError(f"{what} must hold integers, got dtype {arr.dtype}")
    if arr.dtype == np.uint64 and (arr > np.uint64(spec.INT64_MAX)).any():
        raise ProgramError(f"{what} holds values above int64's range")
    return np.ascontiguousarray(arr, dtype=np.int64).copy()


def _as_code(x) -> np.ndarray:
    arr = np.asarray(x)
    if arr.size == 0:
        return np.zeros((0, spec.INSTR_WIDTH), np.int64)
    if arr.ndim != 2 or arr.shape[1] != spec.INSTR_WIDTH:
        raise ProgramError(f"code must have shape (n, {spec.INSTR_WIDTH}), got {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise ProgramError(f"code must hold integers, got dtype {arr.dtype}")
    if arr.dtype == np.uint64 and (arr > np.uint64(spec.INT64_MAX)).any():
        raise ProgramError("code holds values above int64's range")
    return np.ascontiguousarray(arr, dtype=np.int64).copy()


def validate(code: np.ndarray) -> None:
    """Raise ProgramError at the first instruction with a bad opcode, register, label or non-zero unused field."""
    n = len(code)
    for pc in range(n):
        opcode = int(code[pc, 0])
        if not 0 <= opcode < spec.NUM_OPS:
            raise ProgramError(f"instruction {pc}: invalid opcode {opcode} (valid: 0..{spec.NUM_OPS - 1})")
        op = spec.BY_CODE[opcode]
        slot = 1
        for kind in op.operands:
            value = int(code[pc, slot])
            if kind in "rm" and not 0 <= value < spec.NUM_REGS:
                raise ProgramError(f"instruction {pc} ({op.name}): field {slot} is register {value}, not in r0..r15")
            if kind == "l" and not 0 <= value < n:
                raise ProgramError(f"instruction {pc} ({op.name}): jump target {value} is outside the program (0..{n - 1})")
            slot += spec.OPERAND_FIELDS[kind]
        for unused in range(slot, spec.INSTR_WIDTH):
            if code[pc, unused] != 0:
                raise ProgramError(f"instruction {pc} ({op.name}): unused field {unused} must be 0, got {int(code[pc, unused])}")
