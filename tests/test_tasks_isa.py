"""Every task: the register machine's answer equals the plain-Python reference over a seeded sweep of every
difficulty it supports (the defaults and two levels past them), batched and one at a time."""
from __future__ import annotations

import json

import pytest

from bench.cli import main
from bench.tasks import TASKS, get_task


@pytest.mark.parametrize("name", [n for n, t in TASKS.items() if t.ground_truth == "reference"])
def test_isa_agrees_with_reference_on_every_difficulty(name):
    task = get_task(name)
    levels = list(task.difficulties) + [max(task.difficulties) + 1, 2 * max(task.difficulties)]
    for d in levels:
        texts = [i.text for i in task.instances(d, 25, seed=11)] + [i.text for i in task.instances(d, 5, seed=11, split="train")]
        batched = task.solve_isa_many(texts)
        for text, got in zip(texts, batched):
            assert got.status == "HALTED", (text, got)
            assert got.answer == task.reference(text), text
            assert got.steps > 0
        single = task.solve_isa(texts[0])
        assert single == batched[0]


def test_isa_steps_grow_with_digits():
    square = get_task("square")
    steps = [square.solve_isa("9" * d).steps for d in (1, 10, 100)]
    assert steps[0] < steps[1] < steps[2]


def test_solve_cli_prints_answers(capsys):
    cases = {
        ("square", "12345"): "152399025",
        ("add", "98 + 45"): "143",
        ("sub", "3 - 98765"): "-98762",
        ("mul", "99 * 99"): "9801",
        ("expr", "(6 + 7) * 3"): "39",
        ("wordfreq", "the cat saw the cat"): "the 2 cat 2 saw 1",
    }
    for (name, text), answer in cases.items():
        for backend in ("isa", "reference"):
            assert main(["solve", name, text, "--backend", backend]) == 0
            assert capsys.readouterr().out.strip() == answer


def test_solve_cli_json_has_steps_and_status(capsys):
    assert main(["solve", "square", "12345", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["answer"] == "152399025" and record["status"] == "HALTED" and record["steps"] > 0
    assert record["correct"] is True


def test_solve_cli_rejects_bad_input(capsys):
    assert main(["solve", "cube", "3"]) == 2
    assert "known tasks: square" in capsys.readouterr().err
    assert main(["solve", "add", "1 + x"]) == 2
    assert "two non-negative integers" in capsys.readouterr().err


@pytest.mark.parametrize("name, odd", [
    ("add", ["What is 98 plus 45?", "007 + 5", "12+3", "12 plus 3"]),
    ("sub", ["Q: What is 3 minus 98765?", "0 - 00", "5 -  3"]),
    ("mul", ["99 times 99", "1 * 2\n"]),  # a trailing newline: not the generator's form, yet readable
    ("square", ["12345 squared", "0012", "What is 7 squared?"]),
    ("expr", ["What is (6+7)*3?", "1" + "+1" * 30]),
    ("wordfreq", ["THE Cat, the cat!", "café é", ""]),
    ("emulate", ["li r1, 3 ; three\nhalt", "li r1,3;addi r1,r1,4;halt;r1=", "Q: What is r1?\nli r1, 2\nhalt\n\nA:"]),
])
def test_texts_read_in_bulk_and_one_by_one_give_the_same_answers(name, odd):
    """A chunk in the generator's own form is read in bulk; one odd text sends the whole chunk the slow way, and
    both ways answer exactly as one solve per text does (steps too)."""
    task = get_task(name)
    plain = [i.text for i in task.instances(task.difficulties[-1], 40, seed=5)]
    for texts in (plain, plain[:7] + odd + plain[7:]):
        out = task.solve_isa_batch(texts, "jit")
        alone = [task.solve_isa(t, "ref") for t in texts]
        assert out.values == [a.answer for a in alone] == [task.reference(t) for t in texts]
        assert list(out.steps) == [a.steps for a in alone]


def test_word_counts_written_in_bulk_match_the_reference():
    import random

    rng = random.Random(3)
    words = ["a", "bb", "ccc", "supercalifragilisticexpialidocious", "x"]
    texts = ["", "!!", "a a a a a a a a a a a a", " ".join(rng.choice(words) for _ in range(150))]
    texts += [" ".join(rng.choice(words) for _ in range(rng.randrange(0, 30))) for _ in range(60)]
    task = get_task("wordfreq")
    for tier in ("jit", "compiled"):
        assert task.solve_isa_batch(texts, tier).values == [task.reference(t) for t in texts]
