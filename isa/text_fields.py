"""Decimal numbers read out of, and written into, one bytes buffer for a whole batch, in compiled code.

A numeric task's texts as its generator writes them ("98 + 45", "12345") are joined into one buffer; `read_fields`
checks every line's form and returns each field's digit rows (least significant first, as isa/digit_rows.py lays
them). `write_decimals` turns every row's answer digits in memory into one buffer of canonical decimal text. Each is
one pass over bytes: in numpy the same work was some fifty array calls a batch, which at the harness's 250 texts a
chunk cost more than the machine's own run (issue 19).
"""
from __future__ import annotations

import numpy as np
from numba import njit

NL, ZERO, NINE, SPACE, MINUS = 10, 48, 57, 32, 45


@njit(cache=True)
def _scan(buf, sep, fields):
    """(starts, lengths) of shape (lines, fields) and whether every line is exactly `fields` decimals (0 or no
    leading zero) joined by `sep`, the lines joined by newlines."""
    lines = 1
    for c in buf:
        if c == NL:
            lines += 1
    starts = np.zeros((lines, fields), np.int64)
    lengths = np.zeros((lines, fields), np.int64)
    i, end, width = 0, len(buf), len(sep)
    for line in range(lines):
        for f in range(fields):
            if f > 0:
                if i + width > end:
                    return starts, lengths, False
                for k in range(width):
                    if buf[i + k] != sep[k]:
                        return starts, lengths, False
                i += width
            start = i
            while i < end and ZERO <= buf[i] <= NINE:
                i += 1
            n = i - start
            if n == 0 or (n > 1 and buf[start] == ZERO):
                return starts, lengths, False
            starts[line, f], lengths[line, f] = start, n
        if line < lines - 1:
            if i >= end or buf[i] != NL:
                return starts, lengths, False
            i += 1
    return starts, lengths, i == end


@njit(cache=True)
def _digit_rows(buf, starts, lengths, width):
    out = np.zeros((len(starts), width), np.int64)
    for r in range(len(starts)):
        last = starts[r] + lengths[r] - 1
        for j in range(lengths[r]):
            out[r, j] = buf[last - j] - ZERO
    return out


def read_fields(texts: list[str], sep: bytes, fields: int, limit: int) -> list | None:
    """Each field's (digits (B, W), lengths (B,)) when every text is exactly `fields` decimals joined by `sep`, none
    longer than `limit` digits; else None (the caller then parses the texts one by one)."""
    if not texts:
        return None
    try:
        joined = "\n".join(texts).encode("ascii")
    except UnicodeEncodeError:
        return None
    buf = np.frombuffer(joined, np.uint8)
    starts, lengths, ok = _scan(buf, np.frombuffer(sep, np.uint8), fields)
    if not ok or len(starts) != len(texts) or lengths.max() > limit:  # a text holding a newline is two lines
        return None
    # Contiguous columns whatever `fields` is: one array layout, so _digit_rows compiles once, not once per layout.
    columns = [(np.ascontiguousarray(starts[:, f]), lengths[:, f].copy()) for f in range(fields)]
    return [(_digit_rows(buf, first, length, int(length.max())), length) for first, length in columns]


@njit(cache=True)
def _write(mem, starts, lengths, negative):
    """Every row's digits as text, a space after each; ok False if an answer lies outside its row or holds a word
    that is not a digit."""
    rows, words = mem.shape
    size = 0
    for r in range(rows):  # every row's bounds before the buffer is sized by them (they come from the program)
        if lengths[r] < 1 or starts[r] < 0 or starts[r] + lengths[r] > words:
            return np.empty(0, np.uint8), False
        size += lengths[r] + 2
    out = np.empty(size, np.uint8)
    at = 0
    for r in range(rows):
        start, n = starts[r], lengths[r]
        if negative[r]:
            out[at] = MINUS
            at += 1
        for j in range(n - 1, -1, -1):
            d = mem[r, start + j]
            if d < 0 or d > 9:
                return out[:0], False
            out[at] = ZERO + d
            at += 1
        out[at] = SPACE
        at += 1
    return out[:at], True


def write_decimals(mem: np.ndarray, starts: np.ndarray, lengths: np.ndarray, negative=None) -> list[str] | None:
    """Every row's `lengths[i]` digits at `starts[i]` (least significant first) as decimal text, "-" where
    `negative`; None when some row's answer is not digits inside its memory (the caller says which)."""
    neg = np.zeros(len(mem), np.bool_) if negative is None else np.asarray(negative) != 0
    text, ok = _write(mem, np.asarray(starts, np.int64), np.asarray(lengths, np.int64), neg)
    return text.tobytes().decode("ascii").split() if ok else None


@njit(cache=True)
def _write_ints(values):
    """Every int64 as decimal text, a space after each (the magnitude in uint64: INT64_MIN has no int64 negation)."""
    out = np.empty(21 * len(values), np.uint8)
    digits = np.empty(20, np.uint8)
    at = 0
    for v in values:
        if v < 0:
            out[at] = MINUS
            at += 1
        magnitude = np.uint64(v) if v >= 0 else np.uint64(0) - np.uint64(v)
        n = 0
        while True:
            digits[n] = ZERO + np.uint8(magnitude % np.uint64(10))
            magnitude //= np.uint64(10)
            n += 1
            if magnitude == 0:
                break
        for k in range(n - 1, -1, -1):
            out[at] = digits[k]
            at += 1
        out[at] = SPACE
        at += 1
    return out[:at]


def write_ints(values: np.ndarray) -> list[str]:
    """Every int64 of `values` as its decimal text (str(int(v)) for each, in one compiled pass)."""
    return _write_ints(np.ascontiguousarray(values, np.int64)).tobytes().decode("ascii").split()
