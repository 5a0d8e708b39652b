"""The program library: every .s file's golden expectations (read by test_isa_golden's runner), every program against
plain Python on seeded random inputs across sizes (compiled tier, batched and single; a few on the reference tier),
worst cases within the step budgets, and the input errors."""
from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pytest

from isa import library as L
from isa.asm import assemble, assemble_file
from isa.disasm import disassemble
from isa.machine import TIERS, run
from isa.spec import Status
from test_isa_golden import check, expectations  # the core's golden-runner: `; run:` / `; expect:` lines

PROGRAMS = sorted(Path(L.PROGRAM_DIR).glob("*.s"))


# Programs bound by their own module rather than isa/library.py: sentiment.s and svamp.s run a whole corpus with a
# table laid once (isa/sentiment.py, isa/svamp.py), which the one-input-per-run bindings do not fit.
OWN_BINDINGS = {"sentiment", "svamp"}


def test_every_program_has_a_binding_and_a_golden_case():
    assert {p.stem for p in PROGRAMS} == set(L.PROGRAMS) | OWN_BINDINGS
    for path in PROGRAMS:
        _, checks = expectations(path.read_text())
        assert ("status", 0, Status.HALTED) in checks, path.name
        assert any(kind in ("mem", "reg") for kind, _, _ in checks), path.name


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.stem)
def test_golden(path, tier):
    params, checks = expectations(path.read_text())
    check(run(assemble_file(path), tier=tier, **params), checks)


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.stem)
def test_disassembly_round_trips(path):
    program = assemble_file(path)
    assert assemble(disassemble(program), "<disassembly>") == program


# --- agreement with plain Python ------------------------------------------------------------------------------------
def number(rng: random.Random, digits: int) -> int:
    return rng.randrange(10 ** (digits - 1) if digits > 1 else 0, 10**digits)


def expression(rng: random.Random, operands: int) -> str:
    """A random well-formed expression: digits, + - *, redundant parentheses and spaces now and then."""
    if operands == 1:
        text = str(rng.randrange(10))
    else:
        left = rng.randint(1, operands - 1)
        text = f"{expression(rng, left)}{rng.choice(['', ' '])}{rng.choice('+-*')} {expression(rng, operands - left)}"
    return f"({text})" if rng.random() < 0.3 else text


ALPHABET = "abcXYZ  .,;!?'-\n\t0123456789éü—"


def text(rng: random.Random, n: int) -> str:
    vocab = ["".join(rng.choice("aAbBcCzZqQ") for _ in range(rng.randint(1, 16))) for _ in range(8)]
    parts = [rng.choice(vocab) if rng.random() < 0.6 else rng.choice(ALPHABET) for _ in range(n)]
    return "".join(parts)


def cases(rng: random.Random) -> dict[str, list[tuple[object, object]]]:
    """name -> (input, expected value) over the sizes the brief names."""
    out: dict[str, list] = {
        "square": [(x, x * x) for d in range(1, 61) for x in (number(rng, d), 10**d - 1)] + [(0, 0)],
        "square_mul": [(x, x * x) for x in [0, 1, -1, L.SQUARE_MUL_MAX, -L.SQUARE_MUL_MAX]
                       + [rng.randint(-L.SQUARE_MUL_MAX, L.SQUARE_MUL_MAX) for _ in range(30)]],
        "expr": [],
        "wordfreq": [(t, L.word_counts(t)) for t in ["", "   ", "123 !?", "é", "a", "A-a_a.B", "The the THE tHe"]],
    }
    pairs = [(number(rng, rng.randint(1, 30)), number(rng, rng.randint(1, 30))) for _ in range(120)]
    pairs += [(0, 0), (0, 7), (7, 0), (10**30 - 1, 1), (10**29, 10**29), (5, 5), (12, 1000), (1000, 12)]
    for name, f in (("add", int.__add__), ("sub", int.__sub__), ("mul", int.__mul__)):
        out[name] = [((a, b), f(a, b)) for a, b in pairs]
    for k in range(1, 7):
        for _ in range(25):
            e = expression(rng, k)
            out["expr"].append((e, eval(e)))  # the expressions are ours: digits, + - * and parentheses only
    for n in (1, 2, 5, 20, 100, 400, 2000):
        for _ in range(4):
            t = text(rng, n)
            out["wordfreq"].append((t, L.word_counts(t)))
    return out


CASES = cases(random.Random(20240601))


@pytest.mark.parametrize("name", sorted(CASES))
def test_agrees_with_python_batched(name):
    inputs, expected = zip(*CASES[name])
    runs = L.solve_many(name, inputs)
    for inp, want, got in zip(inputs, expected, runs):
        assert got.status == "HALTED" and got.value == want, (name, inp)
        assert got.steps == got.result.steps > 0


@pytest.mark.parametrize("name", sorted(CASES))
def test_single_runs_match_batch_and_reference_tier(name):
    rng = random.Random(name)
    picks = rng.sample(CASES[name], 6)
    batch = L.solve_many(name, [inp for inp, _ in picks])
    for (inp, want), b in zip(picks, batch):
        jit, ref = L.solve(name, inp), L.solve(name, inp, backend="ref")
        assert jit.value == ref.value == b.value == want
        assert jit.steps == ref.steps == b.steps
        assert np.array_equal(jit.result.mem, ref.result.mem)


def test_wordfreq_reads_utf8_bytes_and_keeps_first_appearance_order():
    t = "Zebra ápple zebra, APPLE-pie; ñandú zebra\x00"
    assert L.solve("wordfreq", t).value == [("zebra", 3), ("pple", 1), ("apple", 1), ("pie", 1), ("and", 1)]
    assert L.solve("wordfreq", t.encode()).value == L.word_counts(t)
    long = "Supercalifragilistic " * 3 + "supercalifragilistix supercalifragilistic"
    assert L.solve("wordfreq", long).value == [("supercalifragilistic", 4), ("supercalifragilistix", 1)]


def test_wordfreq_over_a_long_text_of_many_distinct_words():
    rng = random.Random(7)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 20))) for _ in range(3000)]
    t = " ".join(rng.choice(words) for _ in range(20_000))
    got = L.solve("wordfreq", t)
    assert got.value == L.word_counts(t)
    assert got.steps < 15 * len(t)  # linear: about 8-9 instructions a byte, never quadratic probing


def test_square_work_grows_quadratically_with_digits():
    steps = {d: L.solve("square", 10**d - 1).steps for d in (10, 20, 40)}
    assert 3.5 < steps[40] / steps[20] < 4.1 and 3 < steps[20] / steps[10] < 4.1
    assert L.solve("square_mul", 10**9).steps == L.solve("square_mul", 3).steps == 5


def test_big_numbers_past_pythons_decimal_limit():
    x = 3 ** 12_000  # 5726 digits: str(x) alone would raise under Python's default 4300-digit limit
    assert L.solve("add", (x, x + 1)).value == 2 * x + 1
    assert L.solve("sub", (x, x + 5)).value == -5
    assert L.from_digits(L.to_digits(x)) == x


# --- bad inputs -----------------------------------------------------------------------------------------------------
REFUSED = [
    ("square", -1, "must be non-negative"),
    ("square", 2.0, "must be an integer"),
    ("square", True, "must be an integer"),
    ("square", 10**L.SQUARE_MAX_DIGITS, "the limit is 10000"),
    ("square_mul", L.SQUARE_MUL_MAX + 1, "fits int64"),
    ("add", (1, -2), "b must be non-negative"),
    ("add", 3, "must be a pair"),
    ("sub", (1, 2, 3), "must be a pair"),
    ("mul", ("12", 3), "a must be an integer"),
    ("mul", (10**10_001, 2), "the limit is 10000"),
    ("expr", 42, "must be a str"),
    ("expr", "1" * (L.EXPR_MAX_CHARS + 1), "the limit is"),
    ("wordfreq", 42, "str or bytes"),
    ("wordfreq", "a" * (L.WORDFREQ_MAX_BYTES + 1), "the limit is"),
]


@pytest.mark.parametrize("name, inp, message", REFUSED, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(REFUSED)])
def test_inputs_past_the_limits_are_refused(name, inp, message):
    with pytest.raises(L.LibraryInputError, match=re.escape(message)):
        L.solve(name, inp)


@pytest.mark.parametrize("text, message", [
    ("", "the expression is empty at position 0"),
    ("3 + x", "character 'x' is not allowed (only digits, + - *, parentheses and spaces) at position 4"),
    ("2 ÷ 3", "character '÷' is not allowed"),
    ("1 + 2)", "')' without a matching '(' at position 5"),
    ("(1 + (2)", "'(' is never closed at position 0"),
    ("1 +", "the expression ends where a number or '(' is expected at position 3"),
    ("-3", "unexpected '-' at position 0"),
    ("4 (5)", "unexpected '(' at position 2"),
    ("4 * * 5", "unexpected '*' at position 4"),
    ("()", "unexpected ')' at position 1"),
])
def test_malformed_expressions_name_the_position(text, message):
    with pytest.raises(L.LibraryInputError, match=re.escape(message)):
        L.solve("expr", text)
    with pytest.raises(ValueError, match=re.escape("inputs[1]: expr: " + message)):
        L.solve_many("expr", ["1 + 1", text])


def test_unknown_program_lists_the_known_ones():
    with pytest.raises(KeyError, match="known programs: square, square_mul, add"):
        L.solve("cube", 3)
    with pytest.raises(KeyError, match="known programs"):
        L.PROGRAMS["cube"]


def test_a_trapping_run_raises_program_trap_error():
    with pytest.raises(L.ProgramTrapError, match="OUT_OF_FUEL"):
        L.solve("square", 10**30, fuel=100)
    assert L.solve_many("square", []) == []


def test_word_rule_is_the_shared_one():
    assert "maximal run of ASCII letters" in L.WORD_RULE
    assert L.words("Hello, WORLD! café x2y") == ["hello", "world", "caf", "x", "y"]


@pytest.mark.parametrize("name, inp", [
    ("sub", (10**500 - 1, 10**500 - 1)),  # full-length compare, all-zero result to trim
    ("sub", (10**500, 1)),  # a borrow through every digit
    ("add", (10**500 - 1, 1)),  # a carry through every digit
    ("mul", (10**60 - 1, 10**60 - 1)),
    ("expr", "(" * 300 + "1" + ")" * 300),
    ("expr", " * ".join(["1"] * 300)),
    ("expr", "1 - 1 * (1 + 1) - " * 100 + "0"),
    ("wordfreq", " ".join(f"{a}{b}" for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz")),
    ("wordfreq", "x" * 5000 + " " + "X" * 5000),
])
def test_worst_cases_halt_within_the_default_budget(name, inp):
    run = L.solve(name, inp)  # solve's default budget: a trap here would raise ProgramTrapError
    assert run.status == "HALTED"
    prog, memory = L.prepare(name, inp)
    assert run.steps * 1.4 < L.budget(name, inp)  # with room to spare
