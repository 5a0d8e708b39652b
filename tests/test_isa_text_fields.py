"""isa/text_fields.py: a batch's generated texts read into digit rows, and its answers written as decimal text, each in
one compiled pass. Read back against plain Python on every numeric task's generated texts; every form the generators
do not write is refused (the task then parses one by one), and an answer that is not digits in memory is a trap."""
from __future__ import annotations

import random

import numpy as np
import pytest

from bench.tasks import get_task
from isa.digit_rows import ProgramTrapError, read_decimals
from isa import text_fields
from isa.text_fields import read_fields, write_decimals

FORMS = {"square": (b"", 1), "add": (b" + ", 2), "sub": (b" - ", 2), "mul": (b" * ", 2)}


def by_hand(texts: list[str], sep: bytes, fields: int):
    """Each field's digit rows (least significant first, zero past its length, as wide as its longest) in Python."""
    numbers = [t.split(sep.decode()) if sep else [t] for t in texts]
    out = []
    for f in range(fields):
        column = [n[f] for n in numbers]
        width = max(map(len, column))
        rows = [[int(c) for c in reversed(x)] + [0] * (width - len(x)) for x in column]
        out.append((rows, [len(x) for x in column]))
    return out


@pytest.mark.parametrize("name", list(FORMS))
def test_generated_texts_read_as_plain_python_reads_them(name):
    task, (sep, fields) = get_task(name), FORMS[name]
    for d in task.difficulties:
        texts = [i.text for i in task.instances(d, 60, seed=3)]
        got = read_fields(texts, sep, fields, 10**5)
        assert got is not None and len(got) == fields
        for (digits, lengths), (rows, counts) in zip(got, by_hand(texts, sep, fields)):
            assert digits.dtype == np.int64 and digits.tolist() == rows and lengths.tolist() == counts


@pytest.mark.parametrize("texts", [
    ["01 + 2"],  # a leading zero: not the generator's form (canonical text keeps the split's hash)
    ["1 + 2", "+ 2"],  # an empty field
    ["1 + 2", "1 - 2"],  # another operation
    ["1 + 2 "],  # trailing text after the last field
    ["1 +  2"],  # the separator exactly
    ["1 + 2\n3 + 4"],  # one text holding two lines
    ["1 + 2", ""],
    ["\u0661 + 2"],  # a digit that is not ASCII
    ["123456 + 1"],  # past the limit (5 digits here)
    [],
])
def test_any_other_form_is_refused_so_the_task_parses_it_one_by_one(texts):
    assert read_fields(texts, b" + ", 2, 5) is None


def test_zero_and_the_limit_itself_are_taken():
    (a, na), (b, nb) = read_fields(["0 + 99999", "12345 + 0"], b" + ", 2, 5)
    assert na.tolist() == [1, 5] and nb.tolist() == [5, 1]
    assert a.tolist() == [[0, 0, 0, 0, 0], [5, 4, 3, 2, 1]] and b[:, 0].tolist() == [9, 0]


def test_a_task_given_other_forms_answers_them_all_the_same():
    add = get_task("add")
    texts = ["98 + 45", "What is 98 plus 45?", "007 + 1"]
    assert add.solve_isa_batch(texts).values == ["143", "143", "8"]


def memory(rows: list[list[int]]) -> np.ndarray:
    return np.array(rows, np.int64)


def test_answers_are_written_most_significant_first_with_their_sign():
    mem = memory([[9, 3, 4, 1, 0], [0, 0, 0, 0, 7], [2, 6, 7, 8, 9]])
    starts, lengths = np.array([1, 4, 0]), np.array([3, 1, 5])
    assert write_decimals(mem, starts, lengths) == ["143", "7", "98762"]
    assert write_decimals(mem, starts, lengths, negative=[0, 0, 1]) == ["143", "7", "-98762"]
    assert read_decimals(mem, starts, lengths, [1, 0, 0]) == ["-143", "7", "98762"]
    assert write_decimals(memory([[1]])[:0], np.array([], np.int64), np.array([], np.int64)) == []


@pytest.mark.parametrize("starts, lengths, message", [
    ([0, 3], [2, 3], "outside its memory"),  # row 1 runs past the row's 5 words
    ([0, 1], [2, 0], "outside its memory"),  # an empty answer
    ([0, -1], [2, 1], "outside its memory"),
    ([0, 0], [2, -5], "outside its memory"),  # the lengths come from the program: checked before they size anything
    ([0, 0], [2**40, 1], "outside its memory"),
    ([0, 2], [2, 2], "not a digit"),  # row 1 holds 10
])
def test_an_answer_that_is_not_digits_in_memory_is_a_trap(starts, lengths, message):
    mem = memory([[1, 2, 3, 4, 5], [1, 2, 10, 4, 5]])
    starts, lengths = np.array(starts), np.array(lengths)
    assert write_decimals(mem, starts, lengths) is None
    with pytest.raises(ProgramTrapError, match=message):
        read_decimals(mem, starts, lengths)


def test_random_answers_round_trip_through_memory():
    rng = random.Random(5)
    values = [rng.randrange(-10**12, 10**12) for _ in range(300)] + [0, -1, 10**17]
    width = 20
    mem = np.zeros((len(values), width + 3), np.int64)
    starts = np.array([rng.randrange(3) for _ in values])
    lengths = np.array([len(str(abs(v))) for v in values])
    for r, v in enumerate(values):
        digits = [int(c) for c in reversed(str(abs(v)))]
        mem[r, starts[r]:starts[r] + len(digits)] = digits
    assert write_decimals(mem, starts, lengths, [v < 0 for v in values]) == [str(v) for v in values]


def test_int64s_written_as_python_writes_them():
    from isa.text_fields import write_ints

    rng = np.random.default_rng(5)
    values = np.concatenate([[0, -1, 1, 9, -9, 10, -10, np.iinfo(np.int64).min, np.iinfo(np.int64).max],
                             rng.integers(-(10**6), 10**6, 500), rng.integers(np.iinfo(np.int64).min,
                                                                              np.iinfo(np.int64).max, 500)])
    assert write_ints(values.astype(np.int64)) == [str(int(v)) for v in values]
    assert write_ints(np.zeros(0, np.int64)) == []


def test_one_and_two_fields_share_one_compiled_reader():
    """A cold run compiles _digit_rows once: every field reaches it in one array layout (issue 19: set-up time)."""
    text_fields.read_fields(["12", "345"], b"+", 1, 18)
    text_fields.read_fields(["12+3", "45+678"], b"+", 2, 18)
    assert len(text_fields._digit_rows.signatures) == 1
