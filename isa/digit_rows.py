"""Numbers as rows of digit words in a batch's memory, and back: what every numeric layout (isa/layouts.py) lays and
reads, in bulk over the whole batch. Digits are least significant first, one int64 word each; the errors name the
first bad input of a batch."""
from __future__ import annotations

import operator
from collections.abc import Callable

import numpy as np

from isa.digits import from_digits, shown
from isa.numtext import to_decimal
from isa.program import Program

POW10 = 10 ** np.arange(0, 19, dtype=np.int64)  # 1 .. 10**18: digits and digit counts of int64 values
ZERO = ord("0")


class LibraryInputError(ValueError):
    """An input the program does not take: the wrong type, out of range, or malformed text (the message says where)."""


class ProgramTrapError(RuntimeError):
    """A library program's run stopped without HALT: a bug, since inputs within the limits never trap."""


def named(i: int, batch: bool, message: str) -> LibraryInputError:
    return LibraryInputError(f"inputs[{i}]: {message}" if batch else message)


def first_bad(inputs: list, check: Callable[[object], None], batch: bool = True) -> None:
    """Raise for the first input `check` refuses, naming it; the vectorised screens call this when they fail."""
    for i, x in enumerate(inputs):
        try:
            check(x)
        except LibraryInputError as e:
            raise named(i, batch, str(e)) from None


# ---- numbers as digit rows -------------------------------------------------------------------------------------------
def check_natural(name: str, x, what: str, max_digits: int) -> None:
    if isinstance(x, bool):
        raise LibraryInputError(f"{name}: {what} must be an integer, got {x!r}")
    try:
        x = operator.index(x)
    except TypeError:
        raise LibraryInputError(f"{name}: {what} must be an integer, got {type(x).__name__} {shown(x)}") from None
    if x < 0:
        raise LibraryInputError(f"{name}: {what} must be non-negative, got {shown(x)}")
    if x.bit_length() > 3.33 * max_digits + 4:  # surely past the limit: don't spend quadratic time converting it
        raise LibraryInputError(f"{name}: {what} has about {int(x.bit_length() * 0.30103)} digits; "
                                f"the limit is {max_digits}")
    if x >= 10**18 and len(to_decimal(x)) > max_digits:
        raise LibraryInputError(f"{name}: {what} has {len(to_decimal(x))} digits; the limit is {max_digits}")


def digit_rows(values: list, name: str, what: str, max_digits: int, batch: bool):
    """(B, W) digit words, least significant first, zero past each value's length; the lengths. Plain ints below
    10**18 take int64 arithmetic over the whole batch; larger ones one decimal text each."""
    small = None
    if set(map(type, values)) <= {int}:
        try:
            small = np.array(values, np.int64)
        except OverflowError:
            small = None
        if small is not None and (small.min(initial=0) < 0 or small.max(initial=0) >= POW10[-1]):
            small = None
    if small is not None:
        lengths = np.searchsorted(POW10[1:], small, side="right") + 1
        width = int(lengths.max(initial=1))
        return (small[:, None] // POW10[:width]) % 10, lengths
    first_bad(values, lambda x: check_natural(name, x, what, max_digits), batch)
    texts = [to_decimal(operator.index(x)) for x in values]  # most significant first
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    width = int(lengths.max(initial=1))
    chars = np.array(texts, dtype=f"S{width}").view(np.uint8).reshape(len(texts), width).astype(np.int64)
    at = lengths[:, None] - 1 - np.arange(width)  # column of digit j in row i's text
    digits = np.take_along_axis(chars, np.maximum(at, 0), axis=1) - ZERO
    return np.where(at >= 0, digits, 0), lengths


def header(program: Program, rows: int, width: int) -> np.ndarray:
    """Every row's memory: the data image up to the `input` label (the image's own input, a golden case, is dropped:
    workspaces such as wordfreq's hash table must start empty), zeros after it."""
    at = program.symbols.get("input", len(program.data))
    mem = np.zeros((rows, max(width, at)), np.int64)
    mem[:, :at] = program.data[:at]
    return mem


def place(mem: np.ndarray, column, block: np.ndarray) -> None:
    """Row i's block from mem[i, column[i]] on (column a scalar or per row); the block fits every row."""
    if np.isscalar(column):
        mem[:, column : column + block.shape[1]] = block
        return
    flat = (np.arange(len(mem)) * mem.shape[1] + column)[:, None] + np.arange(block.shape[1])
    mem.reshape(-1)[flat] = block


def read_numbers(mem: np.ndarray, starts: np.ndarray, lengths: np.ndarray, negative=None) -> list[int]:
    """Every row's `lengths[i]` digits at `starts[i]` (least significant first) as ints, negated where `negative`.
    Up to 18 digits the values are summed in int64; longer ones go through one fixed-width text and map(int), or
    from_digits past Python's 4300-digit str() limit."""
    if len(mem) and (lengths.min() < 1 or starts.min() < 0 or (starts + lengths).max() > mem.shape[1]):
        raise ProgramTrapError("the program's answer lies outside its memory")
    width = int(lengths.max(initial=1))
    inside = np.arange(width) < lengths[:, None]
    digits = np.where(inside, np.take_along_axis(mem, np.where(inside, starts[:, None] + np.arange(width),
                                                                   starts[:, None]), axis=1), 0)
    if digits.min(initial=0) < 0 or digits.max(initial=0) > 9:
        raise ProgramTrapError("the program's answer holds a word that is not a digit")
    neg = np.zeros(len(mem), bool) if negative is None else np.asarray(negative) != 0
    if width <= 18:
        values = digits @ POW10[:width]
        return np.where(neg, -values, values).tolist()
    if width <= 4000:
        text = np.full((len(mem), width + 1), ord(" "), np.uint8)  # right-aligned digits, a space between rows
        text[:, :width] = np.where(inside, digits + ZERO, ord(" "))[:, ::-1]
        values = list(map(int, text.tobytes().split()))
    else:
        values = [from_digits(row[:n]) for row, n in zip(digits, lengths.tolist())]
    return [-v if n else v for v, n in zip(values, neg.tolist())]


def answer_digits(program: Program, mem: np.ndarray, negative=None) -> list[int]:
    s = program.symbols
    return read_numbers(mem, mem[:, s["out_at"]], mem[:, s["out_len"]], negative)


def read_decimals(mem: np.ndarray, starts: np.ndarray, lengths: np.ndarray, negative=None) -> list[str]:
    """Every row's answer as canonical decimal text ("143", "-98762"), written in one compiled pass
    (isa/text_fields.py); a row whose answer is not digits inside its memory is a ProgramTrapError."""
    from isa.text_fields import write_decimals  # numba: loaded by a batch, not by importing the library

    out = write_decimals(mem, starts, lengths, negative)
    if out is None:
        read_numbers(mem, starts, lengths, negative)  # raises, saying which of the two is wrong
        raise ProgramTrapError("the program's answer is not a decimal number in its memory")
    return out


def answer_text(program: Program, mem: np.ndarray, negative=None) -> list[str]:
    s = program.symbols
    return read_decimals(mem, mem[:, s["out_at"]], mem[:, s["out_len"]], negative)
