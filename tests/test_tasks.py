"""The task contract: registry, determinism, the split on canonical problems, reference answers, prompt formats and
shots, reply parsing and scoring."""
from __future__ import annotations

import random
import time

import pytest

from bench.tasks import TASKS, PromptSpec, Score, TaskInputError, get_task, task_names
from bench.tasks.expr import evaluate, normalise, render
from isa.numtext import from_decimal, to_decimal

GENERATED = [name for name, t in TASKS.items() if t.ground_truth == "reference"]


def test_registry_lists_known_names_in_its_error():
    assert task_names() == ["square", "add", "sub", "mul", "expr", "wordfreq", "sentiment", "emulate", "svamp"]
    with pytest.raises(KeyError, match="known tasks: square, add, sub, mul, expr, wordfreq, sentiment, emulate, svamp"):
        get_task("cube")


@pytest.mark.parametrize("name", GENERATED)
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
            assert task.difficulty_of(inst.text) <= d
            assert task.prompt(inst.text).endswith("=")
            assert task.parse_reply(task.reference(inst.text) + "\nmore") == task.reference(inst.text)


@pytest.mark.parametrize("name", GENERATED)
def test_held_out_split_is_disjoint_from_training(name):
    task = get_task(name)
    for d in task.difficulties:
        test = {task.canonical(i.text) for i in task.instances(d, 100, seed=1, split="test")}
        train = {task.canonical(i.text) for i in task.instances(d, 300, seed=1, split="train")}
        assert test and not test & train


def test_the_same_problem_gets_the_same_split_under_every_task():
    add, sub, mul, square, expr = (get_task(n) for n in ("add", "sub", "mul", "square", "expr"))
    pairs = [(add, "3 + 6", expr, "3+6"), (sub, "7 - 2", expr, "7 - 2"), (mul, "4 * 9", expr, "(4 * 9)"),
             (square, "12", mul, "12 * 12"), (expr, "(2 * 4) + 6", expr, "2*4+6")]
    for a, text_a, b, text_b in pairs:
        assert a.canonical(text_a) == b.canonical(text_b), (text_a, text_b)
        assert a.in_split(text_a, "test") == b.in_split(text_b, "test")
    assert expr.canonical("6 - (7 - 3)") == "6-(7-3)" != expr.canonical("6 - 7 - 3")


def test_split_share_is_about_a_fifth_even_for_small_spaces():
    square = get_task("square")
    held = sum(square.in_split(str(x), "test") for x in range(100, 1000))
    assert 0.15 < held / 900 < 0.25
    small = [i.text for i in square.instances(1, 50)]
    assert 0 < len(small) < 10 and all(not square.in_split(t, "train") for t in small)


@pytest.mark.parametrize("name", GENERATED)
def test_a_task_that_places_generated_text_without_parsing_generates_canonical_text(name):
    """in_split(generated=True) skips canonical() only where generate() writes it already: the split of a generated
    text must not depend on whether the caller said it was generated."""
    task, rng = get_task(name), random.Random(f"canonical:{name}")
    for d in task.difficulties:
        for _ in range(40):
            text = task.generate(rng, d)
            if task.generates_canonical:
                assert text == task.canonical(text), (d, text)
            assert task.in_split(text, "test", generated=True) == task.in_split(text, "test")


def test_a_huge_n_on_a_tiny_space_is_capped_at_once():
    started = time.process_time()
    assert len(get_task("square").instances(1, 10**8)) < 10
    assert time.process_time() - started < 5  # a safety net against a hang, not a speed goal


def test_operands_are_drawn_as_the_paper_draws_them():
    add = get_task("add")
    texts = [i.text for i in add.instances(2, 1000, seed=0)]
    unequal = [t for t in texts if dict(add.facets_of(t))["operands"] == "unequal length"]
    assert 0.12 < len(unequal) / len(texts) < 0.26  # P(one operand < 10) = 1 - 0.9^2 = 19 %
    assert any(t.startswith("0 ") or t.endswith(" 0") for t in texts)
    assert all(max(add.parse(t)) < 100 for t in texts)


@pytest.mark.parametrize(
    "name, text, answer",
    [
        ("square", "12345", "152399025"),
        ("square", "0", "0"),
        ("square", "What is 12 squared?", "144"),
        ("add", "98 + 45", "143"),
        ("add", "What is 98 plus 45?", "143"),
        ("add", "98 plus 45", "143"),
        ("add", "Q: What is 98 plus 45?\n\nA:", "143"),
        ("sub", "3 - 98765", "-98762"),
        ("sub", "what is 5 minus 5?", "0"),
        ("mul", "99 * 99", "9801"),
        ("mul", "What is 99 times 99?", "9801"),
        ("expr", "(6 + 7) * 3", "39"),
        ("expr", "What is (6+7)*3?", "39"),
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


def test_numbers_past_pythons_str_limit():
    square, add = get_task("square"), get_task("add")
    x = from_decimal("7" * 5000)
    assert square.reference("7" * 5000) == to_decimal(x * x)
    assert add.reference(f"{'9' * 60000} + 1") == "1" + "0" * 60000
    assert square.difficulty_of("7" * 5000) == 5000
    assert len(square.instances(5000, 2)[0].text) == 5000


def test_expression_generator_writes_the_papers_bracket_form():
    rng = random.Random(3)
    assert render(random.Random(0), 1).isdigit()
    for leaves in range(2, 7):
        for _ in range(200):
            text = render(rng, leaves)
            assert sum(c.isdigit() for c in text) == leaves
            assert text.count("(") == leaves - 2
            assert evaluate(text) == eval(text)  # noqa: S307 - digits, + - * and parentheses only
            assert evaluate(normalise(text)) == evaluate(text)


def test_deeply_nested_expressions_need_no_recursion():
    text = "(" * 3000 + "7" + ")" * 3000
    assert evaluate(text) == 7 and normalise(text) == "7"
    assert get_task("expr").reference("*".join("9" * 21)) == str(9**21)


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("square", "-4", "non-negative integer"),
        ("square", "12a", "non-negative integer"),
        ("add", "1 + -2", "two non-negative integers joined by '\\+' or 'plus'"),
        ("mul", "3 x 4", "joined by '\\*' or 'times'"),
        ("expr", "2 + ", "expected a digit or '\\(' at column 4"),
        ("expr", "(2 + 3", "expected '\\)'"),
        ("expr", "2 + 3)", "expected an operator at column 6"),
        ("expr", "2 / 3", "unexpected character '/' at column 3"),
        ("expr", "23", "expected an operator at column 2"),
        ("wordfreq", "two\nlines", "one line"),
        ("sentiment", "   ", "empty"),
    ],
)
def test_bad_input_names_the_problem(name, text, message):
    with pytest.raises(TaskInputError, match=message):
        get_task(name).parse(text)


def test_prompt_formats_ask_the_way_the_paper_does():
    add, expr, square = get_task("add"), get_task("expr"), get_task("square")
    gpt3 = PromptSpec("gpt3")
    assert add.prompt("98 + 45", gpt3) == "Q: What is 98 plus 45?\n\nA:"
    assert get_task("sub").prompt("98 - 45", gpt3) == "Q: What is 98 minus 45?\n\nA:"
    assert get_task("mul").prompt("98 * 45", gpt3) == "Q: What is 98 times 45?\n\nA:"
    assert expr.prompt("(6 + 7) * 3", gpt3) == "Q: What is (6+7)*3?\n\nA:"
    assert add.prompt("98 + 45") == "98+45=" and square.prompt("12") == "12^2="
    with pytest.raises(ValueError, match="known formats: compact, gpt3"):
        add.prompt("1 + 2", PromptSpec("chatty"))


def test_shots_come_from_the_training_split_at_the_instances_level():
    add = get_task("add")
    inst = add.instances(3, 1, seed=0)[0]
    shots = add.shots(inst, 4, seed=5)
    assert shots == add.shots(inst, 4, seed=5) and shots != add.shots(inst, 4, seed=6)
    assert len({t for t, _ in shots}) == 4
    for text, answer in shots:
        assert add.in_split(text, "train") and answer == add.reference(text)
        assert add.difficulty_of(text) <= 3 and max(add.parse(text)) < 1000
    prompt = add.prompt(inst, PromptSpec("gpt3", 4, seed=5))
    blocks = prompt.split("\n\n")
    assert len(blocks) == 2 * 5 and blocks[-1] == "A:"  # Q, A per shot, then the question
    assert blocks[1] == f"A: {shots[0][1]}" and prompt.endswith(add.prompt(inst.text, PromptSpec("gpt3")))
    compact = add.prompt(inst, PromptSpec("compact", 2, seed=5))
    lines = compact.split("\n")
    assert len(lines) == 3 and lines[0] == add.prompt(shots[0][0]) + shots[0][1] and lines[2] == add.prompt(inst.text)


@pytest.mark.parametrize(
    "name, reply, parsed",
    [
        ("add", "143", "143"),
        ("add", " 1,430 \nnext", "1430"),
        ("add", " 143.\n\nQ: What is", "143"),
        ("sub", "-007", "-7"),
        ("add", "the answer is 143", None),
        ("add", "", None),
        ("wordfreq", "the 2 cat 2 saw 1\n", "the 2 cat 2 saw 1"),
        ("wordfreq", "the 2 cat", None),
        ("wordfreq", "the two", None),
        ("wordfreq", "", ""),
        ("wordfreq", "%%%garbage", None),
        ("sentiment", " Positive.\n", "positive"),
        ("sentiment", "negative", "negative"),
        ("sentiment", "neutral", None),
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
