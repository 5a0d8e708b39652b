"""Property tests: the digit-array programs equal Python's integers on any operands within the tested sizes."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from isa import library as L

# Mostly short operands (where carries and borrows run off the ends) and some up to 40 digits.
NATURALS = st.one_of(st.integers(0, 10**6), st.integers(0, 10**40 - 1), st.sampled_from([0, 9, 10, 99, 10**20]))
EXAMPLES = settings(max_examples=250, deadline=None)


@EXAMPLES
@given(NATURALS, NATURALS)
def test_add(a, b):
    assert L.solve("add", (a, b)).value == a + b


@EXAMPLES
@given(NATURALS, NATURALS)
def test_sub(a, b):
    run = L.solve("sub", (a, b))
    assert run.value == a - b
    assert run.result.mem[L.load("sub").symbols["neg"]] == (a < b)


@EXAMPLES
@given(NATURALS, NATURALS)
def test_mul(a, b):
    assert L.solve("mul", (a, b)).value == a * b


@EXAMPLES
@given(st.one_of(NATURALS, st.integers(0, 10**60)))
def test_square(x):
    run = L.solve("square", x)
    assert run.value == x * x
    assert run.value == L.solve("mul", (x, x)).value


@EXAMPLES
@given(st.integers(-L.SQUARE_MUL_MAX, L.SQUARE_MUL_MAX))
def test_square_mul(x):
    assert L.solve("square_mul", x).value == x * x


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("abAB zZ.,'\n1é"), max_size=60))
def test_wordfreq(text):
    assert L.solve("wordfreq", text).value == L.word_counts(text)
