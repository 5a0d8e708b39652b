"""Small statistics the summary needs: Wilson score intervals for accuracy, quartiles for timings."""
from __future__ import annotations

import math

Z95 = 1.959963984540054  # two-sided 95 % normal quantile


def wilson(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Chosen over the normal (Wald) interval because accuracies near 0 % or 100 % on a few dozen samples are the
    common case here, and Wald collapses to zero width there.
    """
    if n < 0 or correct < 0 or correct > n:
        raise ValueError(f"wilson: need 0 <= correct <= n, got correct={correct}, n={n}")
    if n == 0:
        return (math.nan, math.nan)
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At 0 and n the bounds are exactly 0 and 1 in exact arithmetic; floats leave 5e-17 crumbs.
    lo = 0.0 if correct == 0 else max(0.0, centre - half)
    hi = 1.0 if correct == n else min(1.0, centre + half)
    return (lo, hi)


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """(q1, median, q3) with linear interpolation (numpy's default); NaNs when there is nothing to summarise."""
    xs = sorted(v for v in values if v is not None and not math.isnan(v))
    if not xs:
        return (math.nan, math.nan, math.nan)

    def at(q: float) -> float:
        pos = q * (len(xs) - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, len(xs) - 1)
        return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)

    return (at(0.25), at(0.5), at(0.75))
