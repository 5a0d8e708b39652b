"""The native baselines compute what the library programs compute (same algorithm, same entries), and the benchmark
input generators are deterministic and well formed. The timings, engine beside engine on equal work, are
tests/benchmarks/test_bench_isa.py's (`pytest --benchmark`)."""
from __future__ import annotations

import random

import numpy as np
import pytest

from isa import baselines as B
from isa import library as L


def test_digit_baselines_equal_python():
    rng = random.Random(3)
    for n in (1, 2, 7, 30, 200):
        a, b = B.make_number(n, seed=n), rng.randrange(10**n)
        da, db = L.to_digits(a), L.to_digits(b)
        assert L.from_digits(B.square_digits(da)) == a * a
        assert L.from_digits(B.mul_digits(da, db)) == a * b
        assert L.from_digits(B.add_digits(da, db)) == a + b
    assert L.from_digits(B.square_digits(np.zeros(3, np.int64))) == 0


def test_make_digits_and_number_have_exactly_n_digits():
    for n in (1, 5, 100):
        d = B.make_digits(n, seed=1)
        assert len(d) == n and d.min() >= 0 and d.max() <= 9 and (n == 1 or d[-1] != 0)
        assert len(str(B.make_number(n, seed=1))) == n
    assert np.array_equal(B.make_digits(50, 9), B.make_digits(50, 9))
    with pytest.raises(ValueError, match="n must be >= 1"):
        B.make_digits(0)


def test_make_text_is_deterministic_sized_and_wordy():
    t = B.make_text(20_000, seed=4)
    assert t == B.make_text(20_000, seed=4) != B.make_text(20_000, seed=5)
    assert len(t.encode()) == 20_000 and len(B.make_text(0)) == 0 and len(B.make_text(3).encode()) == 3
    counts = dict(L.word_counts(t))
    assert 300 < len(counts) < 3000 and max(counts.values()) > 50
    assert "caf" in counts and "internationalization" in counts and not t.isascii()


def test_native_wordfreq_has_the_programs_entries():
    for seed, n in [(0, 0), (1, 1), (2, 50), (3, 5000)]:
        t = B.make_text(n, seed) if seed != 2 else "Ab ab AB aB; x " * 3 + "Internationalization internationalization"
        run = L.solve("wordfreq", t)
        assert B.wordfreq(t) == run.value == L.word_counts(t)
        p, mem = run.result.mem, L.load("wordfreq").symbols
        native = B.wordfreq_entries(np.frombuffer(t.encode(), np.uint8))
        at, k = int(p[mem["entries"]]), int(p[mem["nwords"]])
        program = p[at : at + 4 * k].reshape(k, 4).copy()
        program[:, 0] -= mem["input"]  # the program records addresses, the native code offsets
        assert np.array_equal(program, native)
