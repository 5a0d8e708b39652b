"""Each library program's memory layout, step budget and answer, written once, for a whole batch of inputs.

    laid = lay("add", program, [(98, 45), (1, 2)])  -> Laid(mem (B, M), sizes (B,), budgets (B,))
    read("add", program, inputs, final_mem)          -> [143, 3]

One layout per program (the layout of each .s file's header): a single input is a batch of one, so `isa.library`'s
solve and `isa.batch`'s solve_batch lay and read memory through the same code. The work is done for the whole batch
at once: digits of every number come from int64 arithmetic (or one decimal text each, past 18 digits) and are
scattered into one (B, M) memory by array indexing; answers are gathered the same way. Inputs are checked first, with
vectorised screens; when one fails, the first bad input is found and named ("inputs[3]: square: x must be
non-negative, got -1"; a batch of one drops the "inputs[0]: ").
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from isa.asm import assemble_file
from isa.digit_rows import (POW10, ZERO, LibraryInputError, answer_digits, answer_text, check_natural, digit_rows,
                            first_bad, header, named, place)
from isa.digits import shown
from isa.program import Program

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
PROGRAM_DIR = Path(__file__).parent / "programs"


@dataclass
class Laid:
    mem: np.ndarray  # (B, M) int64, C-contiguous: every row's initial memory, zero-padded past its size
    sizes: np.ndarray  # (B,) the memory size each row runs with
    budgets: np.ndarray  # (B,) a step budget per row, well above its worst case


@dataclass(frozen=True)
class Layout:
    description: str
    lay: Callable[..., Laid]  # (program, inputs, batch=True): checks every input, lays the batch
    read: Callable[..., list]  # (program, inputs, final memories (B, M), batch=True) -> values
    # Numeric programs also take their operands as digit rows (isa.text_fields.read_fields: what a task reads out
    # of its texts in bulk) and give their answers as canonical decimal text, with no Python int in between.
    lay_digits: Callable[..., Laid] | None = None  # (program, [(digits (B, W), lengths (B,)) per operand]) -> Laid
    # (program, inputs, final memories, batch=True) -> the answers as text, written in bulk ("143", "the 2 cat 1")
    read_text: Callable[..., list] | None = None


# ---- per program -----------------------------------------------------------------------------------------------------
def lay_square(program: Program, inputs: list, batch: bool = True) -> Laid:
    return lay_square_digits(program, [digit_rows(inputs, "square", "x", SQUARE_MAX_DIGITS, batch)])


def lay_square_digits(program: Program, operands: list) -> Laid:
    [(digits, n)] = operands
    at = program.symbols["input"]
    sizes = at + 3 * n
    mem = header(program, len(n), max(int(sizes.max(initial=at)), at + digits.shape[1]))
    mem[:, program.symbols["n"]] = n
    place(mem, at, digits)  # zeros past a row's digits fall in its workspace or its padding: both zero anyway
    return Laid(mem, sizes, 12 * n * n + 60 * n + 100)


def check_pair(name: str, max_digits: int):
    def check(x) -> None:
        if not isinstance(x, (tuple, list)) or len(x) != 2:
            raise LibraryInputError(f"{name}: the input must be a pair (a, b) of non-negative integers, got {shown(x)}")
        check_natural(name, x[0], "a", max_digits)
        check_natural(name, x[1], "b", max_digits)

    return check


PAIRS = {  # name -> (digit limit, result words after a and b, step budget)
    "add": (ADD_MAX_DIGITS, lambda na, nb: np.maximum(na, nb) + 1, lambda a, b: 25 * np.maximum(a, b) + 100),
    "sub": (ADD_MAX_DIGITS, np.maximum, lambda a, b: 50 * np.maximum(a, b) + 100),
    "mul": (MUL_MAX_DIGITS, np.add, lambda a, b: 12 * a * b + 40 * (a + b) + 100),
}


def lay_pair(name: str):
    """(lay from (a, b) pairs of ints, lay from the two operands' digit rows) for add, sub or mul."""
    limit, extra, budget = PAIRS[name]
    check = check_pair(name, limit)

    def lay(program: Program, inputs: list, batch: bool = True) -> Laid:
        if not set(map(type, inputs)) <= {tuple, list} or set(map(len, inputs)) - {2}:
            first_bad(inputs, check, batch)
        a_vals, b_vals = [x[0] for x in inputs], [x[1] for x in inputs]
        try:
            operands = [digit_rows(a_vals, name, "a", limit, False), digit_rows(b_vals, name, "b", limit, False)]
        except LibraryInputError:
            first_bad(inputs, check, batch)
        return lay_digits(program, operands)

    def lay_digits(program: Program, operands: list) -> Laid:
        (da, na), (db, nb) = operands
        at = program.symbols["input"]
        sizes = at + na + nb + extra(na, nb)
        mem = header(program, len(na), max(int(sizes.max(initial=at)), at + da.shape[1] + db.shape[1]))
        mem[:, program.symbols["na"]] = na
        mem[:, program.symbols["nb"]] = nb
        place(mem, at, da)
        place(mem, at + na, db)  # b's zeros past its digits land in the result area: zero until the run
        return Laid(mem, sizes, budget(na, nb))

    return lay, lay_digits


def check_square_mul(x) -> None:
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        raise LibraryInputError(f"square_mul: x must be an integer, got {shown(x)}")
    if abs(int(x)) > SQUARE_MUL_MAX:
        raise LibraryInputError(f"square_mul: |x| must be at most {SQUARE_MUL_MAX} so that x*x fits int64, "
                                f"got {shown(int(x))}")


def lay_square_mul(program: Program, inputs: list, batch: bool = True) -> Laid:
    if not set(map(type, inputs)) <= {int} or max(map(abs, inputs), default=0) > SQUARE_MUL_MAX:
        first_bad(inputs, check_square_mul, batch)
    mem = header(program, len(inputs), len(program.data))
    mem[:, program.symbols["x"]] = [int(x) for x in inputs]
    return Laid(mem, np.full(len(inputs), mem.shape[1], np.int64), np.full(len(inputs), 100, np.int64))


def check_expr(x) -> None:
    if not isinstance(x, str):
        raise LibraryInputError(f"expr: the input must be a str, got {type(x).__name__} {shown(x)}")
    if len(x) > EXPR_MAX_CHARS:
        raise LibraryInputError(f"expr: the text has {len(x)} characters; the limit is {EXPR_MAX_CHARS}")


def lay_expr(program: Program, inputs: list, batch: bool = True) -> Laid:
    if not set(map(type, inputs)) <= {str} or max(map(len, inputs), default=0) > EXPR_MAX_CHARS:
        first_bad(inputs, check_expr, batch)
    n = np.fromiter(map(len, inputs), np.int64, len(inputs))
    # one character a word (its code point): errors index characters
    codes = np.frombuffer("".join(inputs).encode("utf-32-le", errors="surrogatepass"), np.uint32).astype(np.int64)
    at = program.symbols["input"]
    sizes = at + 4 * n
    mem = header(program, len(n), int(sizes.max(initial=at)))
    mem[:, program.symbols["len"]] = n
    starts = np.cumsum(n) - n
    mem[np.repeat(np.arange(len(n)), n), at + np.arange(len(codes)) - np.repeat(starts, n)] = codes
    return Laid(mem, sizes, 60 * n + 100)


def read_expr(program: Program, inputs: list, mem: np.ndarray, batch: bool = True) -> list[int]:
    s = program.symbols
    bad = np.flatnonzero(mem[:, s["error"]])
    if len(bad):  # the first malformed text raises, with its index
        i = int(bad[0])
        code, pos, text = int(mem[i, s["error"]]), int(mem[i, s["err_pos"]]), inputs[i]
        char = repr(text[pos]) if pos < len(text) else "end of text"
        what = EXPR_ERRORS.get(code, f"error code {code}").format(char=char)
        if code == 5 and not text.strip():
            what = "the expression is empty"
        raise named(i, batch, f"expr: {what} at position {pos} (column {pos + 1}) in {shown(text)}")
    return mem[:, s["value"]].tolist()


def wordfreq_table_slots(n_bytes):
    """The hash table's size for an n-byte text, as wordfreq.s computes it: a power of two >= 2 * max words."""
    need = np.maximum(2 * ((np.asarray(n_bytes) + 1) // 2), 2)
    return (1 << np.ceil(np.log2(need)).astype(np.int64)).astype(np.int64)


def text_bytes(x) -> bytes:
    if isinstance(x, str):
        data = x.encode("utf-8", errors="surrogatepass")
    elif isinstance(x, (bytes, bytearray)):
        data = bytes(x)
    else:
        raise LibraryInputError(f"wordfreq: the input must be a str or bytes, got {type(x).__name__}")
    if len(data) > WORDFREQ_MAX_BYTES:
        raise LibraryInputError(f"wordfreq: the text has {len(data)} bytes; the limit is {WORDFREQ_MAX_BYTES}")
    return data


def lay_wordfreq(program: Program, inputs: list, batch: bool = True) -> Laid:
    try:
        data = [text_bytes(x) for x in inputs]
    except LibraryInputError:
        first_bad(inputs, text_bytes, batch)
    n = np.fromiter(map(len, data), np.int64, len(data))
    at = program.symbols["input"]
    sizes = at + n + 1 + WORDFREQ_ENTRY * ((n + 1) // 2) + wordfreq_table_slots(n)
    mem = header(program, len(n), int(sizes.max(initial=at)))
    mem[:, program.symbols["n"]] = n
    codes = np.frombuffer(b"".join(data), np.uint8).astype(np.int64)
    starts = np.cumsum(n) - n
    mem[np.repeat(np.arange(len(n)), n), at + np.arange(len(codes)) - np.repeat(starts, n)] = codes
    return Laid(mem, sizes, 100 * n + 10_000)


def read_wordfreq(program: Program, inputs: list, mem: np.ndarray, batch: bool = True) -> list:
    """Per input, [(word, count), ...] in order of first appearance."""
    s, out = program.symbols, []
    inp = s["input"]
    for row in mem:
        at, count, n = int(row[s["entries"]]), int(row[s["nwords"]]), int(row[s["n"]])
        entries = row[at : at + WORDFREQ_ENTRY * count].reshape(count, WORDFREQ_ENTRY).tolist()
        # the program left letter numbers 1..26 over each word's first occurrence in the text
        text = (row[inp : inp + n] + (ord("a") - 1)).astype(np.uint8).tobytes()
        out.append([(text[start - inp : start - inp + length].decode("ascii"), k) for start, length, k, _ in entries])
    return out


def numeric(description: str, lays, negative: str | None = None) -> Layout:
    """A program whose input is decimal operands and whose answer is one decimal number (at out_at, out_len), its
    sign at `negative` where it has one; `lays` = (lay from ints, lay from digit rows)."""
    sign = (lambda p, m: m[:, p.symbols[negative]]) if negative else (lambda p, m: None)
    return Layout(description, lays[0], lambda p, i, m, batch=True: answer_digits(p, m, sign(p, m)), lays[1],
                  lambda p, i, m, batch=True: answer_text(p, m, sign(p, m)))


def wordfreq_text(program: Program, mem: np.ndarray) -> list[str]:
    """Every row's words and counts as the answer is written, "the 2 cat 2 saw 1", built for the whole batch in one
    byte array: each entry's letters (the program left letter numbers 1..26 over the word's first occurrence), a
    space, its count's digits, a space (a newline after a row's last entry), then decoded and split once."""
    s, rows = program.symbols, len(mem)
    flat = mem.reshape(-1)
    base = np.arange(rows) * mem.shape[1]
    nwords = mem[:, s["nwords"]]
    row = np.repeat(np.arange(rows), nwords)
    k = np.arange(len(row)) - np.repeat(np.cumsum(nwords) - nwords, nwords)
    entry = base[row] + mem[row, s["entries"]] + WORDFREQ_ENTRY * k
    starts, lengths, counts = flat[entry], flat[entry + 1], flat[entry + 2]
    digits = np.searchsorted(POW10[1:], counts, side="right") + 1
    piece = lengths + 1 + digits + 1  # word, space, count, separator
    at = np.cumsum(piece) - piece
    # every row ends with its own newline, so a row without words is an empty line, not a missing one
    ends = np.cumsum(np.bincount(row, piece, minlength=rows).astype(np.int64) + 1) - 1
    at = at + np.arange(rows)[row]  # each earlier row's newline shifts what follows
    out = np.full(int(piece.sum()) + rows, ord(" "), np.uint8)
    out[ends] = ord("\n")
    letter = np.repeat(at, lengths) + (np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths))
    source = np.repeat(base[row] + starts, lengths) + (letter - np.repeat(at, lengths))
    out[letter] = flat[source] + (ord("a") - 1)
    digit_at = np.repeat(at + lengths + 1, digits)
    j = np.arange(int(digits.sum())) - np.repeat(np.cumsum(digits) - digits, digits)
    power = POW10[np.repeat(digits, digits) - 1 - j]
    out[digit_at + j] = np.repeat(counts, digits) // power % 10 + ZERO
    lines = out.tobytes().decode("ascii").split("\n")[:rows]
    return [line.rstrip(" ") for line in lines]


LAYOUTS: dict[str, Layout] = {
    "square": numeric(f"x*x of an integer of up to {SQUARE_MAX_DIGITS} digits, schoolbook on digits",
                      (lay_square, lay_square_digits)),
    "square_mul": Layout(f"x*x with one MUL instruction, |x| <= {SQUARE_MUL_MAX}", lay_square_mul,
                         lambda p, i, m, batch=True: m[:, p.symbols["out"]].tolist()),
    "add": numeric(f"a + b of non-negative integers of up to {ADD_MAX_DIGITS} digits", lay_pair("add")),
    "sub": numeric(f"a - b (may be negative) of non-negative integers of up to {ADD_MAX_DIGITS} digits",
                   lay_pair("sub"), negative="neg"),
    "mul": numeric(f"a * b of non-negative integers of up to {MUL_MAX_DIGITS} digits, schoolbook on digits",
                   lay_pair("mul")),
    "expr": Layout(f"the value of an expression text of + - * ( ) and integers, up to {EXPR_MAX_CHARS} characters",
                   lay_expr, read_expr, read_text=lambda p, i, m, batch=True: list(map(str, read_expr(p, i, m, batch)))),
    "wordfreq": Layout(f"every word with its count in order of first appearance, up to {WORDFREQ_MAX_BYTES} bytes",
                       lay_wordfreq, read_wordfreq, read_text=lambda p, i, m, batch=True: wordfreq_text(p, m)),
}


def layout(name: str) -> Layout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise KeyError(f"unknown program {name!r}; known programs: {', '.join(LAYOUTS)}") from None


@functools.cache
def load(name: str) -> Program:
    """isa/programs/NAME.s, assembled once per process."""
    layout(name)  # a KeyError listing the known programs
    return assemble_file(PROGRAM_DIR / f"{name}.s", name=name)
