"""Word problems on the register machine: the program equals its plain-Python twin on every one of the 1,000
vendored problems with both tables, the tiers agree on everything observable, one problem equals the corpus of one,
and each rule (tokens, the question, scores and ties, operands, the answer, tables, limits) does what isa/svamp.py
says. The golden case in isa/programs/svamp.s runs on every tier with the other programs' (tests/test_isa_programs.py).
"""
from __future__ import annotations

import numpy as np
import pytest

from bench.tasks import get_task
from bench.tasks.svamp import table
from bench.tasks.svamp_data import splits, vendored
from isa import svamp as S
from isa import svamp_tables as T
from isa.machine import TIERS, run
from isa.corpus import code
from isa.spec import wrap64
from test_isa_corpus import worst_absent_word  # the longest probe a lookup can make

GOLDEN = ["Tom had 45 apples and 3 pears. He gave 12 apples to Ann. How many apples are left?",
          "Each box holds 6 eggs. How many eggs are in 4 boxes?",
          "There are 24 eggs in 4 boxes. How many eggs are in each box?",
          "I saw 5 cats and 7 dogs.", "Route 66"]
DEV_CORRECT = {"people": 34, "counted": 34}  # of 99, as bench/tasks/svamp_tune.py prints
TOM = "Tom had 45 apples. He gave 12 to Ann. How many apples does Tom have now?"


def small(body=None, question=None, bias=(0, 1, 0, 0), **kw) -> T.KeywordTable:
    return T.KeywordTable("golden", {"each": (0, 0, 2, 0)} if body is None else body,
                          {"left": (0, 4, 0, 0), "each": (0, 0, 0, 4), "total": (4, 0, 0, 0)}
                          if question is None else question, bias, **kw)


def machine(texts, tab, tier="jit"):
    return S.solve(texts, tab, tier=tier).solved


def test_the_golden_case_is_laid_as_python_lays_it():
    # isa/programs/svamp.s's data image is exactly what lay() makes of its five problems and small()'s table.
    mem, records, _ = S.lay(GOLDEN, small())
    np.testing.assert_array_equal(mem, S.program().initial_memory(len(mem)))
    assert records == 424 and len(mem) == 1013
    want = [S.Solved(33, 1, 45, 12), S.Solved(24, 2, 6, 4), S.Solved(6, 3, 24, 4), S.Solved(2, 1, 5, 7),
            S.Solved(66, -1, 0, 66)]
    assert machine(GOLDEN, small()) == [S.twin(t, small()) for t in GOLDEN] == want


# --- the machine equals the twin; the tiers agree ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["people", "counted"])
def test_machine_equals_twin_on_every_vendored_problem(name):
    texts = [p.text for p in vendored()]
    done = S.solve(texts, table(name))
    assert done.status == "HALTED" and len(done.solved) == len(texts) == 1000
    assert done.solved == [S.twin(t, table(name)) for t in texts]
    assert {s.op for s in done.solved} == {0, 1, 2, 3} and done.steps > 1000 * len(texts)


@pytest.mark.parametrize("name", ["people", "counted"])
def test_the_tiers_agree_on_everything_observable(name):
    texts = [p.text for p in vendored()[1 if name == "people" else 2 :: 40]] + ["", "7", "a1b22c", "x" * 20]
    mem, _, fuel = S.lay(texts, table(name))
    ref, *others = (run(S.program(), memory=mem, fuel=fuel, tier=t) for t in TIERS)
    for other in others:
        assert (ref.status, ref.pc, ref.steps) == (other.status, other.pc, other.steps)
        np.testing.assert_array_equal(ref.regs, other.regs)
        np.testing.assert_array_equal(ref.mem, other.mem)
    assert len(texts) >= 29 and ref.ok
    assert S.solve(texts, table(name), tier="ref").solved == S.solve(texts, table(name), tier="compiled").solved


def test_one_problem_is_the_corpus_of_one():
    tab = table("counted")
    texts = [p.text for p in vendored()[::50]]
    corpus = S.solve(texts, tab)
    singles = [S.solve_one(t, tab) for t in texts]
    assert [s for s, _ in singles] == corpus.solved
    # The corpus run shares one start (the table's size loop) and one HALT; every problem's own steps are the same.
    start = S.solve([], tab).steps - 1
    assert corpus.steps == sum(steps - start - 1 for _, steps in singles) + start + 1


def test_the_task_answers_with_the_machine():
    task = get_task("svamp")
    rows = splits()["dev"][:12]
    for variant in task.isa_variants:
        many = task.solve_isa_batch([p.text for p in rows], variant=variant)
        assert many.machine_s > 0 and many.corpus_steps > 0
        for p, got in zip(rows, many.answers):
            assert (got.status, got.steps) == ("HALTED", -1)
            assert got.answer == str(S.twin(p.text, table(variant)).answer)
        one = task.solve_isa(rows[0].text, variant=variant)
        assert one.answer == many.answers[0].answer and one.steps > 0
        assert task.solve_isa(TOM, "auto", variant).answer == "33"


# --- the rules -------------------------------------------------------------------------------------------------------
def test_tokens_words_and_numbers():
    got = S.tokens("Route 66, 3rd café x7y 007 ABC".encode())
    assert got == [(False, code("route")), (True, 66), (True, 3), (False, code("rd")), (False, code("caf")),
                   (False, code("x")), (True, 7), (False, code("y")), (True, 7), (False, code("abc"))]
    assert S.tokens(b"99999999999999999999") == [(True, wrap64(99999999999999999999))] == [(True, 7766279631452241919)]
    texts = ["Route 66, 3rd café x7y 007", "99999999999999999999 and 1 apples", "a" * 30 + " 5 " + "a" * 30]
    assert machine(texts, small()) == [S.twin(t, small()) for t in texts]


def test_the_question_starts_at_the_last_question_word():
    tab = small(body={"left": (0, 0, 9, 0)}, question={"left": (0, 9, 0, 0)}, bias=(0, 0, 0, 0))
    cases = {"6 left 2 left": 2,  # no question word: statement weights, mul
             "6 left. How 2 left": 1, "How 6 left. What 2": 2,  # the last question word starts it
             "what 6 left 2": 1}
    assert [s.op for s in machine(list(cases), tab)] == list(cases.values())
    assert [S.twin(t, tab).op for t in cases] == list(cases.values())


def test_scores_and_ties():
    tab = small(body={"plus": (5, 0, 0, 0), "minus": (0, 5, 0, 0), "times": (0, 0, 5, 0), "over": (0, 0, 0, 5)},
                question={}, bias=(0, 0, 0, 0))
    cases = {"8 plus 2": (0, 10), "8 minus 2": (1, 6), "8 times 2": (2, 16), "8 over 2": (3, 4),
             "8 2": (0, 10),  # all zero: the first, add
             "8 minus times 2": (1, 6), "8 times over 2": (2, 16),  # ties go to the first
             "8 over over minus 2": (3, 4), "8 plus minus minus 2": (1, 6)}
    assert [(s.op, s.answer) for s in machine(list(cases), tab)] == list(cases.values())
    assert [s.op for s in machine(["8 2"], small(body={}, question={}, bias=(-1, 3, 3, 0)))] == [1]


def test_operands_follow_the_question():
    tab = small(body={}, question={}, bias=(1, 0, 0, 0))  # always add: the sum names the pair
    cases = {
        "1 cats 2 dogs 4 cats. How many cats?": 5,  # two relevant: 1 and 4
        "1 cat 2 cat 4 cat 8 dogs. How many cat?": 6,  # three relevant: the last two
        "1 dog 2 cats 4 dogs. How many cats?": 6,  # one relevant (2) and the last other number (4)
        "1 dog 2 dogs 4 cats. How many cats?": 6,  # the relevant one is last: it and the one before (2)
        "1 dog 2 dogs 4 pigs. How many cats?": 6,  # none relevant: the last two
        "7 1 cats 2 dogs. How many cats": 3,  # a number followed by a number is never relevant: 1, and 2
        "8 cats. How many cats 3": 11,  # the last token: nothing follows it
        "How many cats 5 cats 7": 12,  # a number inside the question counts like any other
    }
    assert [s.answer for s in machine(list(cases), tab)] == list(cases.values())
    assert [S.twin(t, tab).answer for t in cases] == list(cases.values())
    one = S.twin("1 dog 2 cats 4 dogs. How many cats?", tab)
    assert (one.a, one.b) == (2, 4)
    assert S.twin("1 cat 2 dogs 4 cats. How many cats?", tab).answer == 6  # "cat" is not "cats"


def test_answers_order_and_division():
    ops = [small(body={}, question={}, bias=tuple(int(k == op) for k in range(4))) for op in range(4)]
    got = {(op, t): S.solve_one(t, ops[op])[0].answer for op in range(4) for t in ("3 and 12", "12 and 3", "7 and 0")}
    assert [got[(op, "3 and 12")] for op in range(4)] == [15, 9, 36, 4]
    assert [got[(op, "12 and 3")] for op in range(4)] == [15, 9, 36, 4]  # sub and div take the larger first
    assert got[(3, "7 and 0")] == 0 and got[(1, "7 and 0")] == 7  # x / 0 is 0, not a trap
    assert S.solve_one("7 and 2", ops[3])[0].answer == 3  # truncated


def test_fewer_than_two_numbers():
    got = machine(["How many?", "", "Route 66", "\u00e9\u00e9 12 \ud800"], small())
    assert got == [S.Solved(0, -1, 0, 0), S.Solved(0, -1, 0, 0), S.Solved(66, -1, 0, 66), S.Solved(12, -1, 0, 12)]


def test_long_words_hash_as_sentiment_does():
    word = "internationalization"
    tab = small(body={word: (0, 0, 0, 9)}, question={})
    texts = [f"8 {word} 2", f"8 {word.upper()} 2", f"8 {word}s 2", "8 internationally 2"]
    assert [s.op for s in machine(texts, tab)] == [S.twin(t, tab).op for t in texts] == [3, 3, 1, 1]


# --- tables ----------------------------------------------------------------------------------------------------------
def test_shipped_tables():
    people, counted = table("people"), table("counted")
    assert people.body["each"] == (0, 0, 2, 0) and people.question["each"] == (0, 0, 0, 4)
    assert people.question["left"] == (0, 4, 0, 0) and people.bias == (0, 1, 0, 0) and "more" not in people.body
    assert len(people) == 56 and people == T.people_table()
    assert counted.question["each"][3] == max(counted.question["each"]) and counted.bias[1] == max(counted.bias)
    for tab in (people, counted):
        entries = set(tab.body) | set(tab.question) | tab.question_words
        assert len(tab) == len(entries) == len({code(w) for w in entries})
        assert 2 * len(tab) <= tab.slots == tab.image.size // T.SLOT and tab.slots & (tab.slots - 1) == 0
        assert 1 < tab.max_probe < 64
    assert all(min(v) == 0 for v in (*counted.body.values(), *counted.question.values()))


def test_counted_table_is_a_pure_function_of_its_data():
    train = splits()["train"]
    texts, ops = [p.text for p in train], [T.TYPE_OPS[p.type] for p in train]
    tab = T.counted_table(texts, ops)
    assert tab == table("counted") and tab.content_hash == T.counted_table(texts, ops).content_hash
    assert T.counted_table(texts[::-1], ops[::-1]) == tab  # the order of the data does not matter
    assert T.counted_table(texts, ops, smoothing=1.0) != tab
    toy = T.counted_table(["5 and 3 in all. How many in all?", "5 less 3. How many left?", "5 each 3. How many?",
                           "15 split 3. How many each?"], [0, 1, 2, 3], smoothing=1.0)
    assert toy.question["all"][0] > 0 == toy.question["all"][1] and toy.body["split"][3] > 0
    assert "5" not in toy.body and set(toy.body) == {"and", "in", "all", "less", "each", "split"}


@pytest.mark.parametrize("kwargs, message", [
    ({"body": {"Each": (1, 0, 0, 0)}}, "'Each' is not a word"),
    ({"body": {"in all": (1, 0, 0, 0)}}, "is not a word"),
    ({"question": {"each": (1, 0, 0)}}, "question weights of 'each' must be 4 integers"),
    ({"body": {"each": (1, 0.5, 0, 0)}}, "statement weights of 'each' must be 4 integers"),
    ({"body": {"each": (10**10, 0, 0, 0)}}, "within"),
    ({"bias": (0, 1, 0)}, "the bias must be a tuple of 4 integers"),
    ({"question_words": frozenset({"how many"})}, "question word 'how many' is not a word"),
])
def test_bad_tables_are_refused(kwargs, message):
    with pytest.raises(T.TableError, match=message):
        small(**kwargs)


def test_bad_counting_data_is_refused():
    with pytest.raises(T.TableError, match="2 texts but 1 operations"):
        T.counted_table(["a", "b"], [1])
    with pytest.raises(T.TableError, match="operations must be 0..3"):
        T.counted_table(["a", "b"], [1, 4])
    with pytest.raises(T.TableError, match="no problem of operation mul"):
        T.counted_table(["a", "b", "c"], [0, 1, 3])
    with pytest.raises(T.TableError, match="smoothing must be > 0"):
        T.counted_table(["a", "b", "c", "d"], [0, 1, 2, 3], smoothing=0)
    with pytest.raises(T.TableError, match="default must be one of"):
        T.people_table(default="plus")


# --- inputs, limits, budget ------------------------------------------------------------------------------------------
def test_bad_inputs_get_clear_errors():
    # The texts' checks are isa/corpus.py's (tests/test_isa_corpus.py); here, that svamp's words and limits reach them.
    tab = small()
    with pytest.raises(S.SvampInputError, match="svamp: solve takes a list of problems; for one, use solve_one"):
        S.solve("1 and 2", tab)
    with pytest.raises(S.SvampInputError, match="must be a KeywordTable"):
        S.solve(["1 and 2"], {"each": 1})
    with pytest.raises(S.SvampInputError, match="the text must be a str"):
        S.solve_one(["1 and 2"], tab)
    with pytest.raises(S.SvampInputError, match="svamp: unknown tier 'fast'"):
        S.solve(["1 and 2"], tab, tier="fast")
    with pytest.raises(S.SvampInputError, match=rf"the limit per problem is {S.MAX_PROBLEM_BYTES}"):
        S.solve(["x" * (S.MAX_PROBLEM_BYTES + 1)], tab)
    with pytest.raises(S.SvampInputError, match=f"limit per run is {S.MAX_BYTES}"):
        S.solve(["x" * S.MAX_PROBLEM_BYTES] * (S.MAX_BYTES // S.MAX_PROBLEM_BYTES + 1), tab)


def test_an_empty_corpus_and_the_memory_layout():
    tab = table("people")
    empty = S.solve([], tab)
    assert (empty.solved, empty.status) == ([], "HALTED") and empty.steps > 0
    texts = ["Tom had 4.", "", "caf\u00e9 \ud800 12 and 3"]  # a lone surrogate is laid as its bytes, all separators
    mem, records, _ = S.lay(texts, tab)
    data = [t.encode("utf-8", "surrogatepass") for t in texts]
    assert records == S.program().symbols["input"] + T.SLOT * tab.slots
    scratch = records + S.RECORD * len(texts) + sum(len(d) + 1 for d in data)
    assert int(mem[S.program().symbols["scratch"]]) == scratch and len(mem) == scratch + S.TOKEN * max(map(len, data))
    for at, d in zip(mem[records :: S.RECORD][: len(texts)], data):
        assert bytes(mem[at : at + len(d)].astype(np.uint8)) == d
    done = S.solve(texts, tab)
    assert done.solved == [S.twin(t, tab) for t in texts] and min(done.lay_s, done.machine_s, done.decode_s) >= 0


def test_the_step_budget_covers_the_worst_cases():
    tab = table("counted")
    worst = worst_absent_word(tab)
    n = S.MAX_PROBLEM_BYTES
    # Numbers each followed by a word the question lacks, against a question of many words: the quadratic part.
    quadratic = "1b" * (n // 4) + "how" + " a" * (n // 4)
    texts = [" ".join([worst] * (n // 4)), "a1" * (n // 2), quadratic, "x" * n, "9" * n, "1" + " " * n]
    for text in texts:
        text = text[:n]
        steps = S.solve_one(text, tab)[1]
        assert steps < S.budget(np.array([len(text)]), tab), text[:20]
    assert S.solve([t[:n] for t in texts], tab).steps < S.lay([t[:n] for t in texts], tab)[2]


def test_a_run_that_does_not_halt_is_reported(monkeypatch):
    monkeypatch.setattr(S, "budget", lambda lengths, table: 40)
    with pytest.raises(S.SvampTrapError, match=r"OUT_OF_FUEL at pc \d+ \(line \d+\) after 40 steps"):
        S.solve(["1 and 2"], small())


# --- accuracy --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["people", "counted"])
def test_shipped_rules_reach_the_documented_dev_accuracy(name):
    rows = splits()["dev"]
    done = S.solve([p.text for p in rows], table(name))
    assert sum(s.answer == p.answer for s, p in zip(done.solved, rows)) == DEV_CORRECT[name]
