"""Numbers as digit arrays, least significant first: the layout of the arithmetic programs (isa/programs/*.s)."""
from __future__ import annotations

import numpy as np


def _decimal(x: int) -> str:
    """str(x) without Python's 4300-digit limit (sys.set_int_max_str_digits would change it for everyone)."""
    if x < 10**1000:
        return str(x)
    k = int(x.bit_length() * 0.30103) // 2
    hi, lo = divmod(x, 10**k)
    return _decimal(hi) + _decimal(lo).zfill(k)


def _integer(s: str) -> int:
    if len(s) <= 1000:
        return int(s)
    k = len(s) // 2
    return _integer(s[:-k]) * 10**k + _integer(s[-k:])


def to_digits(x: int) -> np.ndarray:
    return np.frombuffer(_decimal(x)[::-1].encode(), np.uint8).astype(np.int64) - ord("0")


def from_digits(digits) -> int:
    d = np.asarray(digits, np.int64)
    if d.size and (d.min() < 0 or d.max() > 9):
        raise ValueError(f"not a digit array: values {d.min()}..{d.max()}")
    return _integer((d[::-1] + ord("0")).astype(np.uint8).tobytes().decode() or "0")


def _show(x) -> str:
    """A short repr for messages, also of ints past Python's 4300-digit str() limit."""
    if isinstance(x, int) and x.bit_length() > 300:
        return f"<{'-' if x < 0 else ''}int of about {int(x.bit_length() * 0.30103) + 1} digits>"
    if isinstance(x, (tuple, list)):
        return "(" + ", ".join(map(_show, x)) + ")"
    text = repr(x)
    return text if len(text) < 80 else text[:77] + "..."
