"""Decimal text <-> int without Python's 4300-digit limit on str()/int() (sys.set_int_max_str_digits would change
it for the whole process). Divide and conquer keeps both near-linear for the sizes the programs take (10^5 digits)."""
from __future__ import annotations

CHUNK = 1000  # digits converted by Python's own str()/int(), well under its limit
BELOW = 10**CHUNK  # computed once: to_decimal runs for every answer of a batch


def to_decimal(x: int) -> str:
    if x < 0:
        return "-" + to_decimal(-x)
    if x < BELOW:
        return str(x)
    k = int(x.bit_length() * 0.30103) // 2
    hi, lo = divmod(x, 10**k)
    return to_decimal(hi) + to_decimal(lo).zfill(k)


def from_decimal(s: str) -> int:
    """int(s) for a string of ASCII digits (an optional leading '-'); ValueError otherwise."""
    if s.startswith("-"):
        return -from_decimal(s[1:])
    if len(s) <= CHUNK:
        return int(s)
    if not (s.isascii() and s.isdigit()):
        raise ValueError(f"not a decimal integer: {s[:20]!r}...")
    k = len(s) // 2
    return from_decimal(s[:-k]) * 10**k + from_decimal(s[-k:])


def digit_count(x: int) -> int:
    return len(to_decimal(abs(x)))
