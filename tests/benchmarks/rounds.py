"""Interleaved rounds: how the benchmarks here compare ways of doing the same work on a shared, busy machine.

Each round runs every contender once, in alternating order (forward on even rounds, backward on odd), so a busy
moment hits them alike; a ratio is taken within each round, and summarised over the rounds by its median and spread
(quartiles, min-max). Minima taken one contender after another (all rounds of one, then the next) swung 2.0-4.7x
between runs of the same benchmark here (issue 17). One clock for every time: `now`, wall time, as bench/timing.py.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.stats import quartiles

now = time.perf_counter
SUMMARIES = Path(__file__).resolve().parents[2] / "results" / "benchmarks"  # beside pytest-benchmark's JSON


@dataclass(frozen=True)
class Contender:
    """One way of doing the work: `call(*setup())`, with only the call on the clock."""

    call: Callable[..., object]
    setup: Callable[[], tuple] = tuple  # untimed, before each call: its fresh arguments


def interleave(contenders: dict[str, Contender], rounds: int, warm_up: bool = True) -> dict[str, list[float]]:
    """Seconds per call of each contender in each of `rounds` rounds, the order alternating round by round (after
    one untimed warm-up round, unless `warm_up` is False)."""
    names = list(contenders)
    for name in names if warm_up else ():
        contenders[name].call(*contenders[name].setup())
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names if r % 2 == 0 else reversed(names):
            c = contenders[name]
            args = c.setup()
            start = now()
            c.call(*args)
            times[name].append(now() - start)
    return times


@dataclass(frozen=True)
class Spread:
    """A figure over rounds: its median, quartiles and extremes, and how many rounds."""

    median: float
    q1: float
    q3: float
    min: float
    max: float
    rounds: int

    def text(self, fmt: str = "{:.2f}") -> str:
        """'2.31 (2.10-2.60)': the median and, in brackets, the quartiles."""
        return f"{fmt.format(self.median)} ({fmt.format(self.q1)}-{fmt.format(self.q3)})"

    def as_dict(self) -> dict:
        return asdict(self)


def spread(values: list[float]) -> Spread:
    q1, median, q3 = quartiles(values)
    return Spread(median, q1, q3, min(values), max(values), len(values))


def per_round_ratio(a: list[float], b: list[float], scale: float = 1.0) -> Spread:
    """a[i] / b[i] * scale within each round i (scale: e.g. b's work over a's, to compare per unit of work)."""
    if len(a) != len(b) or not a:
        raise ValueError(f"per_round_ratio needs two equal, non-empty lists of rounds, got {len(a)} and {len(b)}")
    return spread([x / y * scale for x, y in zip(a, b)])


def load_1min() -> float | None:
    """The 1-minute load average now (how busy the machine was), None where the OS does not say."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def write_summary(name: str, text: str) -> Path:
    """Write a benchmark module's markdown summary beside the JSON (results/benchmarks/<name>) and print it."""
    print("\n" + text)
    path = SUMMARIES / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
