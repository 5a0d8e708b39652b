"""The interleaved rounds every benchmark here compares by (tests/benchmarks/rounds.py), on a counter for a clock:
the order alternates round by round, only the call is on the clock, ratios are taken within a round."""
from __future__ import annotations

import pytest

from tests.benchmarks import rounds


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_rounds_alternate_and_time_only_the_call(monkeypatch):
    clock, order = Clock(), []
    monkeypatch.setattr(rounds, "now", clock)

    def contender(name: str, seconds: list[float]) -> rounds.Contender:
        spend = iter(seconds)

        def call(arg):
            assert arg == f"fresh {name}"
            order.append(name)
            clock.t += next(spend)

        def setup():
            clock.t += 100.0  # set-up time must never reach a figure
            return (f"fresh {name}",)

        return rounds.Contender(call, setup)

    times = rounds.interleave({"a": contender("a", [9, 1, 2, 3]), "b": contender("b", [9, 4, 8, 16])}, 3)
    assert order == ["a", "b", "a", "b", "b", "a", "a", "b"]  # the warm-up round, then a b | b a | a b
    assert times == {"a": [1, 2, 3], "b": [4, 8, 16]}
    ratio = rounds.per_round_ratio(times["b"], times["a"], scale=0.5)  # per round 4/1, 8/2, 16/3, halved
    assert (ratio.median, ratio.min, ratio.max, ratio.rounds) == (2.0, 2.0, pytest.approx(8 / 3), 3)
    assert (ratio.q1, ratio.q3) == (2.0, pytest.approx((2 + 8 / 3) / 2))
    assert ratio.text() == "2.00 (2.00-2.33)"
    with pytest.raises(ValueError, match="equal, non-empty"):
        rounds.per_round_ratio([1.0], [1.0, 2.0])
