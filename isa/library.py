"""The program library: each isa/programs/NAME.s with the binding that lays its input in memory and reads its answer.

    solve("square", 12345).value          -> 152399025, computed digit by digit by the register machine
    solve_many("add", [(98, 45), (1, 2)])  -> one compiled batch run
    solve_batch("add", [(98, 45), (1, 2)]) -> the same, with the machine's time measured apart (isa/batch.py)

Tiers: any of isa.machine.TIERS, or "auto" for single solves: the reference interpreter when the step budget is at
most AUTO_REF_STEPS (it starts in milliseconds, and importing this module imports neither numba nor llvmlite), the
compiled tier above it. Every tier gives the same values and steps.

Inputs: square: int >= 0 (any digits); square_mul: int with x*x in int64; add/sub/mul: (a, b) non-negative ints;
expr: str; wordfreq: str (or bytes: the UTF-8 the program reads). Each program's memory layout, algorithm and
limits are in its .s header; inputs past the limits raise LibraryInputError, a run that traps ProgramTrapError.
"""
from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from isa import words as _words
from isa.digits import _show, from_digits, to_digits  # noqa: F401 - to_digits/from_digits are part of this API
from isa.asm import assemble_file
from isa.machine import RunResult, Status, run, run_batch
from isa.program import Program

# "auto" runs step budgets up to this on the reference tier, larger ones compiled. Measured (2-core EPYC, user+sys
# CPU of a fresh `python -c "...solve('square', X, tier=T)"`, warm disk cache): the compiled tier costs ~50 ms more
# to start than the reference (importing llvmlite, loading the cached object; the JIT tier ~450 ms more: numba),
# and the reference runs ~2.8 M instructions/s with budgets ~1.5x the steps, so the two cross near a budget of
# 150_000-200_000 (square of 90 digits, budget 102_700: 0.18 s either way). Below the crossing, ref.
AUTO_REF_STEPS = 100_000

PROGRAM_DIR = Path(__file__).parent / "programs"
WORD_RULE = _words.__doc__  # the one definition of a word, shared with bench/tasks and the prompts
words, word_counts = _words.words, _words.word_counts

SQUARE_MAX_DIGITS = 10_000  # about 8e8 instructions
MUL_MAX_DIGITS = 10_000  # per operand
ADD_MAX_DIGITS = 100_000  # per operand, add and sub; linear, but Python's own int <-> decimal is quadratic
SQUARE_MUL_MAX = 3_037_000_499  # the largest |x| whose square fits int64
EXPR_MAX_CHARS = 100_000
WORDFREQ_MAX_BYTES = 2_000_000  # about 5 words of memory a byte
WORDFREQ_ENTRY = 4  # words per entry record: address, length, count, code
EXPR_ERRORS = {
    1: "character {char} is not allowed (only digits, + - *, parentheses and spaces)",
    2: "unexpected {char}",
    3: "')' without a matching '('",
    4: "'(' is never closed",
    5: "the expression ends where a number or '(' is expected",
}


class LibraryInputError(ValueError):
    """An input the program does not take: the wrong type, out of range, or malformed text (the message says where)."""


class ProgramTrapError(RuntimeError):
    """A library program's run stopped without HALT: a bug, since inputs within the limits never trap."""


@dataclass
class ProgramRun:
    value: object  # int for arithmetic and expr, list[tuple[str, int]] for wordfreq
    status: str  # Status name: "HALTED" for every run that returns
    steps: int  # instructions executed
    result: RunResult


@dataclass(frozen=True)
class Binding:
    description: str
    lay: Callable[[Program, object], np.ndarray]  # checks the input, returns the whole initial memory
    read: Callable[[Program, object, RunResult], object]  # final memory -> value
    fuel: Callable[[Program, np.ndarray], int]  # from the laid memory: a budget well above the worst case


class _Programs(dict):
    def __missing__(self, name):
        raise KeyError(f"unknown program {name!r}; known programs: {', '.join(self)}")


def _digits_of(name: str, x, what: str, max_digits: int) -> np.ndarray:
    if isinstance(x, bool):
        raise LibraryInputError(f"{name}: {what} must be an integer, got {x!r}")
    try:
        x = operator.index(x)
    except TypeError:
        raise LibraryInputError(f"{name}: {what} must be an integer, got {type(x).__name__} {_show(x)}") from None
    if x < 0:
        raise LibraryInputError(f"{name}: {what} must be non-negative, got {_show(x)}")
    if x.bit_length() > 3.33 * max_digits + 4:  # surely past the limit: don't spend quadratic time converting it
        raise LibraryInputError(f"{name}: {what} has about {int(x.bit_length() * 0.30103)} digits; "
                                f"the limit is {max_digits}")
    d = to_digits(x)
    if len(d) > max_digits:
        raise LibraryInputError(f"{name}: {what} has {len(d)} digits; the limit is {max_digits}")
    return d


def _pair(name: str, inp, max_digits: int) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(inp, (tuple, list)) or len(inp) != 2:
        raise LibraryInputError(f"{name}: the input must be a pair (a, b) of non-negative integers, got {_show(inp)}")
    return _digits_of(name, inp[0], "a", max_digits), _digits_of(name, inp[1], "b", max_digits)


def _memory(program: Program, size: int, words: dict[str, int], tail=()) -> np.ndarray:
    """`size` words: the data image up to the `input` label, scalar `words` set by symbol, `tail` laid from `input`,
    zeros after it. The image's own input (the golden case's) is dropped: workspaces such as wordfreq's hash table
    must start empty."""
    at = program.symbols.get("input", len(program.data))
    mem = np.zeros(max(size, at), np.int64)
    mem[:at] = program.data[:at]
    for symbol, value in words.items():
        mem[program.symbols[symbol]] = value
    mem[at : at + len(tail)] = tail
    return mem


def _read_digits(mem: np.ndarray, program: Program) -> int:
    at, n = int(mem[program.symbols["out_at"]]), int(mem[program.symbols["out_len"]])
    return from_digits(mem[at : at + n])


# --- per program ----------------------------------------------------------------------------------------------------
def _lay_square(p: Program, inp) -> np.ndarray:
    d = _digits_of("square", inp, "x", SQUARE_MAX_DIGITS)
    return _memory(p, p.symbols["input"] + 3 * len(d), {"n": len(d)}, d)


def _lay_square_mul(p: Program, inp) -> np.ndarray:
    if isinstance(inp, bool) or not isinstance(inp, (int, np.integer)):
        raise LibraryInputError(f"square_mul: x must be an integer, got {_show(inp)}")
    if abs(int(inp)) > SQUARE_MUL_MAX:
        raise LibraryInputError(f"square_mul: |x| must be at most {SQUARE_MUL_MAX} so that x*x fits int64, "
                                f"got {_show(int(inp))}")
    return _memory(p, len(p.data), {"x": int(inp)})


def _lay_binary(name: str, max_digits: int, result_words: Callable[[int, int], int]):
    def lay(p: Program, inp) -> np.ndarray:
        da, db = _pair(name, inp, max_digits)
        size = p.symbols["input"] + len(da) + len(db) + result_words(len(da), len(db))
        return _memory(p, size, {"na": len(da), "nb": len(db)}, np.concatenate([da, db]))

    return lay


def _read_sub(p: Program, inp, r: RunResult) -> int:
    magnitude = _read_digits(r.mem, p)
    return -magnitude if r.mem[p.symbols["neg"]] else magnitude


def _expr_text(inp) -> str:
    if not isinstance(inp, str):
        raise LibraryInputError(f"expr: the input must be a str, got {type(inp).__name__} {_show(inp)}")
    if len(inp) > EXPR_MAX_CHARS:
        raise LibraryInputError(f"expr: the text has {len(inp)} characters; the limit is {EXPR_MAX_CHARS}")
    return inp


def _lay_expr(p: Program, inp) -> np.ndarray:
    text = _expr_text(inp)
    codes = np.fromiter(map(ord, text), np.int64, len(text))  # one character a word: errors index characters
    return _memory(p, p.symbols["input"] + 4 * len(text), {"len": len(text)}, codes)


def _read_expr(p: Program, inp, r: RunResult) -> int:
    code, pos = int(r.mem[p.symbols["error"]]), int(r.mem[p.symbols["err_pos"]])
    if code:
        char = repr(inp[pos]) if pos < len(inp) else "end of text"
        what = EXPR_ERRORS.get(code, f"error code {code}").format(char=char)
        if code == 5 and not inp.strip():
            what = "the expression is empty"
        raise LibraryInputError(f"expr: {what} at position {pos} (column {pos + 1}) in {_show(inp)}")
    return int(r.mem[p.symbols["value"]])


def _text_bytes(inp) -> bytes:
    if isinstance(inp, str):
        data = inp.encode("utf-8", errors="surrogatepass")
    elif isinstance(inp, (bytes, bytearray)):
        data = bytes(inp)
    else:
        raise LibraryInputError(f"wordfreq: the input must be a str or bytes, got {type(inp).__name__}")
    if len(data) > WORDFREQ_MAX_BYTES:
        raise LibraryInputError(f"wordfreq: the text has {len(data)} bytes; the limit is {WORDFREQ_MAX_BYTES}")
    return data


def wordfreq_table_slots(n_bytes: int) -> int:
    """The hash table's size for an n-byte text, as wordfreq.s computes it: a power of two >= 2 * max words."""
    return max(2, 1 << (2 * ((n_bytes + 1) // 2) - 1).bit_length())


def _lay_wordfreq(p: Program, inp) -> np.ndarray:
    data = _text_bytes(inp)
    n = len(data)
    size = p.symbols["input"] + n + 1 + WORDFREQ_ENTRY * ((n + 1) // 2) + wordfreq_table_slots(n)
    return _memory(p, size, {"n": n}, np.frombuffer(data, np.uint8).astype(np.int64))


def _read_wordfreq(p: Program, inp, r: RunResult) -> list[tuple[str, int]]:
    mem = r.mem
    at, count = int(mem[p.symbols["entries"]]), int(mem[p.symbols["nwords"]])
    out = []
    for start, length, n, _code in mem[at : at + WORDFREQ_ENTRY * count].reshape(count, WORDFREQ_ENTRY).tolist():
        letters = mem[start : start + length] + (ord("a") - 1)  # the program left letter numbers 1..26 there
        out.append((letters.astype(np.uint8).tobytes().decode("ascii"), n))
    return out


def _budget(symbols: tuple[str, ...], formula: Callable[..., int]):
    """A step budget from the sizes the laid memory holds at `symbols` (n, na, nb, len)."""
    return lambda p, mem: formula(*(int(mem[p.symbols[s]]) for s in symbols))


BINDINGS: dict[str, Binding] = {
    "square": Binding(f"x*x of an integer of up to {SQUARE_MAX_DIGITS} digits, schoolbook on digits",
                      _lay_square, lambda p, i, r: _read_digits(r.mem, p),
                      _budget(("n",), lambda n: 12 * n * n + 60 * n + 100)),
    "square_mul": Binding(f"x*x with one MUL instruction, |x| <= {SQUARE_MUL_MAX}",
                          _lay_square_mul, lambda p, i, r: int(r.mem[p.symbols["out"]]), lambda p, mem: 100),
    "add": Binding(f"a + b of non-negative integers of up to {ADD_MAX_DIGITS} digits",
                   _lay_binary("add", ADD_MAX_DIGITS, lambda na, nb: max(na, nb) + 1),
                   lambda p, i, r: _read_digits(r.mem, p),
                   _budget(("na", "nb"), lambda na, nb: 25 * max(na, nb) + 100)),
    "sub": Binding(f"a - b (may be negative) of non-negative integers of up to {ADD_MAX_DIGITS} digits",
                   _lay_binary("sub", ADD_MAX_DIGITS, max), _read_sub,
                   _budget(("na", "nb"), lambda na, nb: 50 * max(na, nb) + 100)),
    "mul": Binding(f"a * b of non-negative integers of up to {MUL_MAX_DIGITS} digits, schoolbook on digits",
                   _lay_binary("mul", MUL_MAX_DIGITS, operator.add), lambda p, i, r: _read_digits(r.mem, p),
                   _budget(("na", "nb"), lambda na, nb: 12 * na * nb + 40 * (na + nb) + 100)),
    "expr": Binding(f"the value of an expression text of + - * ( ) and integers, up to {EXPR_MAX_CHARS} characters",
                    _lay_expr, _read_expr, _budget(("len",), lambda n: 60 * n + 100)),
    "wordfreq": Binding(f"every word with its count in order of first appearance, up to {WORDFREQ_MAX_BYTES} bytes",
                        _lay_wordfreq, _read_wordfreq, _budget(("n",), lambda n: 100 * n + 10_000)),
}
PROGRAMS: dict[str, str] = _Programs((name, b.description) for name, b in BINDINGS.items())


def _binding(name: str) -> Binding:
    PROGRAMS[name]  # KeyError listing the known programs
    return BINDINGS[name]


@functools.cache
def load(name: str) -> Program:
    """isa/programs/NAME.s, assembled once per process."""
    _binding(name)
    return assemble_file(PROGRAM_DIR / f"{name}.s", name=name)


def prepare(name: str, inp) -> tuple[Program, np.ndarray]:
    """The program and its initial memory for `inp`, sized to fit; raises LibraryInputError past the limits."""
    program = load(name)
    return program, _binding(name).lay(program, inp)


def decode(name: str, inp, result: RunResult):
    return _binding(name).read(load(name), inp, result)


def image_answer(name: str, program: Program, result: RunResult):
    """The answer of a run of `program` (NAME.s as assembled, its data section holding the input, as when the file is
    run by `isabench asm --run`). Only expr's decoding needs the input itself (to quote it in errors)."""
    inp = None
    if name == "expr":
        at, n = program.symbols["input"], int(program.data[program.symbols["len"]])
        inp = "".join(map(chr, program.data[at : at + n].tolist()))
    return _binding(name).read(program, inp, result)


def _finish(name: str, inp, result: RunResult) -> ProgramRun:
    if result.status != Status.HALTED:
        raise ProgramTrapError(f"{name}: the run stopped with {result.trap_message} after {result.steps} steps "
                               f"on input {_show(inp)}")
    return ProgramRun(decode(name, inp, result), Status(result.status).name, int(result.steps), result)


def solve(name: str, inp, *, tier: str | None = None, fuel: int | None = None,
          backend: str | None = None) -> ProgramRun:
    """One input on `tier` (default "jit"; "auto" picks by the step budget, see AUTO_REF_STEPS; `backend=` is the
    old name of `tier`). `result.result.tier` says which tier ran."""
    program, memory = prepare(name, inp)
    budget = _binding(name).fuel(program, memory) if fuel is None else fuel
    tier = tier if tier is not None else backend
    if tier == "auto" or (tier is None and backend == "auto"):
        tier, backend = ("ref" if budget <= AUTO_REF_STEPS else "compiled"), None
    return _finish(name, inp, run(program, memory=memory, fuel=budget, tier=tier, backend=backend))


def solve_many(name: str, inputs, *, fuel: int | None = None, tier: str = "jit",
               threads: int | None = None) -> list[ProgramRun]:
    """Every input in one run_batch call (memories of different sizes are padded; each runs in its own size), on
    `threads` threads (default 1, see isa.machine). For the phases timed apart, use solve_batch."""
    inputs = list(inputs)
    if not inputs:
        return []
    program, binding = load(name), _binding(name)
    memories = [_at_index(i, binding.lay, program, x) for i, x in enumerate(inputs)]
    budget = max(binding.fuel(program, m) for m in memories) if fuel is None else fuel
    batch = run_batch(program, memories, fuel=budget, tier="compiled" if tier == "auto" else tier, threads=threads)
    return [_at_index(i, _finish, name, x, batch.row(i)) for i, x in enumerate(inputs)]


def solve_batch(name: str, inputs, *, tier: str = "jit", threads: int | None = None, fuel: int | None = None):
    """Every input in one batched run, lay-out and decoding done for the whole batch at once, each phase timed:
    a BatchSolve (values, status, steps, lay_s, machine_s, decode_s, compile_s, tier, threads); see isa/batch.py."""
    from isa.batch import solve_batch as batched

    return batched(name, inputs, tier=tier, threads=threads, fuel=fuel)


def __getattr__(attr: str):
    if attr == "BatchSolve":  # defined beside solve_batch, imported on first use
        from isa.batch import BatchSolve

        return BatchSolve
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")


def _at_index(i: int, f, *args):
    """f(*args), with a LibraryInputError saying which of the batch's inputs it is about."""
    try:
        return f(*args)
    except LibraryInputError as e:
        raise LibraryInputError(f"inputs[{i}]: {e}") from None

