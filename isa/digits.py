"""Numbers as digit arrays, least significant first: the layout of the arithmetic programs (isa/programs/*.s)."""
from __future__ import annotations

import numpy as np

from isa.numtext import from_decimal, to_decimal


def to_digits(x: int) -> np.ndarray:
    return np.frombuffer(to_decimal(x)[::-1].encode(), np.uint8).astype(np.int64) - ord("0")


def from_digits(digits) -> int:
    d = np.asarray(digits, np.int64)
    if d.size and (d.min() < 0 or d.max() > 9):
        raise ValueError(f"not a digit array: values {d.min()}..{d.max()}")
    return from_decimal((d[::-1] + ord("0")).astype(np.uint8).tobytes().decode() or "0")


def shown(x) -> str:
    """A short repr for messages, also of ints past Python's 4300-digit str() limit."""
    if isinstance(x, int) and x.bit_length() > 300:
        return f"<{'-' if x < 0 else ''}int of about {int(x.bit_length() * 0.30103) + 1} digits>"
    if isinstance(x, (tuple, list)):
        return "(" + ", ".join(map(shown, x)) + ")"
    text = repr(x)
    return text if len(text) < 80 else text[:77] + "..."
