"""The task contract: registry, determinism, held-out split, reference answers, reply parsing and scoring."""
from __future__ import annotations

import random

import pytest

from bench.tasks import TASKS, Score, TaskInputError, get_task, task_names
from bench.tasks.expr import evaluate, render


def test_registry_lists_known_names_in_its_error():
    assert task_names() == ["square", "add", "sub", "mul", "expr", "wordfreq"]
    with pytest.raises(KeyError, match="known tasks: square, add, sub, mul, expr, wordfreq"):
        get_task("cube")


@pytest.mark.parametrize("name", list(TASKS))
def test_instances_are_deterministic_distinct_and_parseable(name):
    task = get_task(name)
    for d in task.difficulties:
        a = task.instances(d, 30, seed=7)
        assert a == task.instances(d, 30, seed=7)
        assert a != task.instances(d, 30, seed=8) or task.space_size(d) < 100
        assert len({i.text for i in a}) == len(a)
        assert [i.index for i in a] == list(range(len(a)))
        for inst in a:
            task.parse(inst.text)
            assert task.prompt(inst.text).endswith("=")
            assert task.parse_reply(task.reference(inst.text) + "\nmore") == task.reference(inst.text)


@pytest.mark.parametrize("name", list(TASKS))
def test_held_out_split_is_disjoint_from_training(name):
    task = get_task(name)
    for d in task.difficulties:
        test = {i.text for i in task.instances(d, 100, seed=1, split="test")}
        train = {i.text for i in task.instances(d, 300, seed=1, split="train")}
        if task.space_size(d) < 100:  # tiny spaces belong to both splits, by design
            assert test <= train | test and all(task.in_split(t, d, "train") for t in test)
        else:
            assert not test & train
            assert all(not task.in_split(t, d, "train") for t in test)


def test_split_share_is_about_a_fifth():
    task = get_task("square")
    held = sum(task.in_split(str(x), 3, "test") for x in range(100, 1000))
    assert 0.15 < held / 900 < 0.25


def test_instances_stop_at_the_size_of_a_small_space():
    assert sorted(int(i.text) for i in get_task("square").instances(1, 50)) == list(range(10))


@pytest.mark.parametrize(
    "name, text, answer",
    [
        ("square", "12345", "152399025"),
        ("square", "0", "0"),
        ("add", "98 + 45", "143"),
        ("sub", "3 - 98765", "-98762"),
        ("sub", "5-5", "0"),
        ("mul", "99 * 99", "9801"),
        ("expr", "(6 + 7) * 3", "39"),
        ("expr", "6 - 7 - 3", "-4"),
        ("expr", "6 - (7 - 3)", "2"),
        ("expr", "2 + 3 * 4", "14"),
        ("wordfreq", "the cat saw the cat", "the 2 cat 2 saw 1"),
        ("wordfreq", "The CAT, the-cat! 42caf\u00e9", "the 2 cat 2 caf 1"),
        ("wordfreq", "", ""),
        ("wordfreq", "123 ... !", ""),
    ],
)
def test_reference_answers(name, text, answer):
    assert get_task(name).reference(text) == answer


def test_expression_generator_matches_python_arithmetic():
    rng = random.Random(3)
    for leaves in range(1, 7):
        for _ in range(200):
            text = render(rng, leaves)
            assert sum(c.isdigit() for c in text) == leaves
            assert evaluate(text) == eval(text)  # noqa: S307 - digits, + - * and parentheses only


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("square", "-4", "non-negative integer"),
        ("square", "12a", "non-negative integer"),
        ("add", "1 + -2", "two non-negative integers joined by '\\+'"),
        ("mul", "3 x 4", "joined by '*'"),
        ("expr", "2 + ", "expected a digit or '\\(' at column 4"),
        ("expr", "(2 + 3", "expected '\\)'"),
        ("expr", "2 / 3", "unexpected character '/' at column 3"),
        ("expr", "23", "expected an operator at column 2"),
        ("wordfreq", "two\nlines", "one line"),
    ],
)
def test_bad_input_names_the_problem(name, text, message):
    with pytest.raises(TaskInputError, match=message):
        get_task(name).parse(text)


@pytest.mark.parametrize(
    "name, reply, parsed",
    [
        ("add", "143", "143"),
        ("add", " 1,430 \nnext", "1430"),
        ("sub", "-007", "-7"),
        ("add", "the answer is 143", None),
        ("add", "", None),
        ("wordfreq", "the 2 cat 2 saw 1\n", "the 2 cat 2 saw 1"),
        ("wordfreq", "the 2 cat", None),
        ("wordfreq", "the two", None),
        ("wordfreq", "", ""),
        ("wordfreq", "%%%garbage", None),
    ],
)
def test_parse_reply(name, reply, parsed):
    assert get_task(name).parse_reply(reply) == parsed


def test_scores():
    add, wf = get_task("add"), get_task("wordfreq")
    assert add.score("143", "143") == Score(True, 1.0)
    assert add.score(None, "143").exact is False and add.score(None, "143").partial == 0.0
    assert add.score("153", "143").partial == pytest.approx(2 / 3)
    assert add.score("43", "143").partial == pytest.approx(2 / 3)
    assert add.score("-5", "5").partial == pytest.approx(1 / 2)
    assert wf.score("the 2 cat 2 saw 1", "the 2 cat 2 saw 1") == Score(True, 1.0)
    assert wf.score("the 2 cat 1", "the 2 cat 2 saw 1").partial == pytest.approx(2 * 1 / (2 + 3))
    assert wf.score("cat 2 the 2 saw 1", "the 2 cat 2 saw 1") == Score(False, 1.0)  # order matters for exact only
    assert wf.score("", "").exact
