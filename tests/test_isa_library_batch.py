"""solve_batch (whole-batch lay-out and decoding, phases timed apart) against one solve per input and the reference;
tier "auto" and the promise that importing the library, or a small auto solve, loads neither numba nor llvmlite."""
from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from isa import library as L
from isa.machine import THREADS_ENV

ROOT = Path(__file__).resolve().parents[1]


def inputs_for(name: str, rng: random.Random, count: int) -> list:
    def number(digits):
        return rng.randrange(10 ** (digits - 1) if digits > 1 else 0, 10**digits)

    if name == "square":
        return [number(rng.choice([1, 2, 3, 3, 5, 12, 19, 40])) for _ in range(count)] + [0, 10**18 - 1, 10**18]
    if name == "square_mul":
        return [rng.randint(-L.SQUARE_MUL_MAX, L.SQUARE_MUL_MAX) for _ in range(count)] + [0, -L.SQUARE_MUL_MAX]
    if name == "expr":
        return [rng.choice(["1+2*3", "(6 + 7) * 3", "9-8-7", "((2))", "4*5*6-7", "123 * 456"]) for _ in range(count)]
    if name == "wordfreq":
        return [rng.choice(["", "the cat saw the cat", "A-a_a.B", "café é"]) for _ in range(count)]
    pairs = [(number(rng.choice([1, 2, 5, 5, 9, 18, 25])), number(rng.choice([1, 3, 5, 5, 11, 19]))) for _ in range(count)]
    return pairs + [(0, 0), (10**18, 1), (1, 10**18 - 1), (5, 5), [7, 70]]


@pytest.mark.parametrize("tier", ["jit", "compiled"])
@pytest.mark.parametrize("name", list(L.PROGRAMS))
def test_solve_batch_equals_one_solve_per_input(name, tier):
    """A batch pads every row to the longest and runs all with the largest budget: each row's answer and steps must
    still be those of the input solved alone (a batch of one, its own size and budget)."""
    inputs = inputs_for(name, random.Random(name), 300)
    alone = [L.solve(name, x, tier="ref" if i % 7 else tier) for i, x in enumerate(inputs)]
    out = L.solve_batch(name, inputs, tier=tier)
    assert out.values == [r.value for r in alone]
    assert out.steps.tolist() == [r.steps for r in alone]
    assert [r.value for r in L.solve_many(name, inputs, tier=tier)] == out.values
    assert out.status == ["HALTED"] * len(inputs) and len(out) == len(inputs)
    assert out.tier == tier and out.threads == 1
    assert min(out.lay_s, out.machine_s, out.decode_s) > 0 and out.total_s > out.machine_s
    assert out.fuel == max(L.budget(name, x) for x in inputs)


def test_solve_batch_agrees_with_the_reference_tier():
    inputs = inputs_for("sub", random.Random(3), 20)
    out = L.solve_batch("sub", inputs, tier="compiled")
    for x, value, steps in zip(inputs, out.values, out.steps.tolist()):
        ref = L.solve("sub", x, tier="ref")
        assert (ref.value, ref.steps) == (value, steps) and value == x[0] - x[1]


def test_numbers_past_int64_and_past_str_limits():
    x = 3**9000  # 4295 digits: past str()'s 4300-digit reach once doubled, decoded digit by digit
    out = L.solve_batch("add", [(x, x), (1, 2)], tier="compiled")
    assert out.values == [2 * x, 3]
    square = L.solve_batch("square", [10**1500 - 1], tier="compiled")  # fast lay-out, a 3000-digit answer
    assert square.values == [(10**1500 - 1) ** 2]


@pytest.mark.parametrize("name, inputs, message", [
    ("square", [3, -1], "inputs[1]: square: x must be non-negative"),
    ("square", [3, True], "inputs[1]: square: x must be an integer"),
    ("square", [np.int64(3), 2.5], "inputs[1]: square: x must be an integer"),
    ("add", [(1, 2), (1, 2, 3)], "inputs[1]: add: the input must be a pair"),
    ("mul", [(1, 2), (10**10_001, 2)], "inputs[1]: mul: a has 10002 digits; the limit is 10000"),
    ("square_mul", [1, L.SQUARE_MUL_MAX + 1], "inputs[1]: square_mul: |x| must be at most"),
    ("expr", ["1 + 1", "3 + x"], "inputs[1]: expr: character 'x' is not allowed"),
    ("expr", ["1", 7], "inputs[1]: expr: the input must be a str"),
])
def test_bad_inputs_are_named_as_solve_many_names_them(name, inputs, message):
    with pytest.raises(L.LibraryInputError, match=re.escape(message)):
        L.solve_batch(name, inputs, tier="compiled")


def test_a_trap_names_the_input():
    with pytest.raises(L.ProgramTrapError, match=r"inputs\[1\].*OUT_OF_FUEL"):
        L.solve_batch("square", [1, 10**30], fuel=200, tier="compiled")
    assert len(L.solve_batch("square", [])) == 0


def test_threads_are_chosen_and_recorded(monkeypatch):
    inputs = inputs_for("mul", random.Random(5), 50)
    one = L.solve_batch("mul", inputs, tier="compiled")
    two = L.solve_batch("mul", inputs, tier="compiled", threads=2)
    assert (one.threads, two.threads) == (1, 2) and one.values == two.values
    monkeypatch.setenv(THREADS_ENV, "2")
    assert L.solve_batch("mul", inputs, tier="jit").threads == 2
    monkeypatch.setenv(THREADS_ENV, "many")
    with pytest.raises(ValueError, match="ISABENCH_ISA_THREADS"):
        L.solve_batch("mul", inputs)
    with pytest.raises(ValueError, match="threads must be an integer >= 1"):
        L.solve_many("mul", inputs, threads=0)


@pytest.mark.parametrize("name, inp", [("square", 12345), ("square", 10**200 - 7), ("add", (98, 45)),
                                       ("expr", "(6 + 7) * 3"), ("wordfreq", "the cat saw the cat")])
def test_auto_tier_gives_the_same_values_and_steps(name, inp):
    auto, jit = L.solve(name, inp, tier="auto"), L.solve(name, inp, tier="jit")
    assert (auto.value, auto.steps) == (jit.value, jit.steps)
    budget = L.budget(name, inp)
    assert auto.result.tier == ("ref" if budget <= L.AUTO_REF_STEPS else "compiled")
    assert L.solve(name, inp, backend="auto").result.tier == auto.result.tier


def python(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_library_and_a_small_auto_solve_load_neither_numba_nor_llvmlite():
    got = python("import json, sys\nfrom isa import library\nloaded = ['numba' in sys.modules]\n"
                 "run = library.solve('square', 12345, tier='auto')\n"
                 "print(json.dumps({'value': run.value, 'tier': run.result.tier, 'after_import': loaded[0], "
                 "'after_solve': sorted(m for m in ('numba', 'llvmlite') if m in sys.modules)}))")
    assert got == {"value": 152399025, "tier": "ref", "after_import": False, "after_solve": []}
