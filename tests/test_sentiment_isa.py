"""Sentiment on the register machine: the program equals its plain-Python twin on every vendored sentence with both
tables, the compiled tier equals the reference, one sentence equals the corpus of one, and each rule (words,
negation, contrast, tie, table building, limits) does what isa/sentiment.py says. The golden case in
isa/programs/sentiment.s runs with the other programs' (tests/test_isa_programs.py)."""
from __future__ import annotations

import numpy as np
import pytest

from bench.tasks import get_task
from bench.tasks.sentiment import table
from bench.tasks.sentiment_data import LABELS, splits, vendored
from isa import sentiment as S
from isa import sentiment_tables as T
from isa.machine import run
from isa.words import joined_words, words

# Two 16-letter words whose wrapped codes are equal (found by lattice reduction): the documented alias.
ALIASES = ("fafiababdaebaeab", "abaaaaaaagaabada")
DEV_CORRECT = {"lexicon": 174, "counted": 169}  # of 199, as isa/sentiment_tables.py documents


def small(weights=None, **rules) -> T.WeightTable:
    rules = {"scope": 2, "contrast_factor": 3, "tie": 1, "negators": frozenset({"not", "dont"}),
             "contrasts": frozenset({"but"}), **rules}
    return T.WeightTable("small", {"good": 20, "bad": -25} if weights is None else weights, **rules)


def machine(texts, tab, tier="jit"):
    done = S.classify(texts, tab, tier=tier)
    return list(zip(done.scores, done.labels))


def test_the_golden_case_is_laid_as_python_lays_it():
    # isa/programs/sentiment.s's data image is exactly what lay() makes of its three sentences and small()'s table.
    golden = ["Not bad, but good!", "Don't say it's bad.", "..."]
    mem, records, _ = S.lay(golden, small())
    np.testing.assert_array_equal(mem, S.program().data)
    assert machine(golden, small()) == [S.twin(t, small()) for t in golden] == [(85, 1), (-25, 0), (0, 1)]


# --- the machine equals the twin ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["lexicon", "counted"])
def test_machine_equals_twin_on_every_vendored_sentence(name):
    texts = [r.text for r in vendored()]
    done = S.classify(texts, table(name))
    assert done.status == "HALTED" and len(done.labels) == len(texts) == 1986
    assert list(zip(done.scores, done.labels)) == [S.twin(t, table(name)) for t in texts]
    assert set(done.labels) == {0, 1} and any(s == 0 for s in done.scores) and done.steps > 300 * len(texts)


@pytest.mark.parametrize("name", ["lexicon", "counted"])
def test_jit_equals_reference_on_everything_observable(name):
    texts = [r.text for r in vendored()[1 if name == "lexicon" else 2 :: 67]] + ["", "Don't!", ALIASES[0]]
    mem, _, fuel = S.lay(texts, table(name))
    ref, jit = (run(S.program(), memory=mem, fuel=fuel, backend=b) for b in ("ref", "jit"))
    assert (ref.status, ref.pc, ref.steps) == (jit.status, jit.pc, jit.steps)
    np.testing.assert_array_equal(ref.regs, jit.regs)
    np.testing.assert_array_equal(ref.mem, jit.mem)
    assert len(texts) >= 30
    assert S.classify(texts, table(name), tier="ref").labels == S.classify(texts, table(name)).labels


def test_one_sentence_is_the_corpus_of_one():
    tab = table("lexicon")
    texts = [r.text for r in vendored()[::40]]
    corpus = S.classify(texts, tab)
    singles = [S.classify_one(t, tab) for t in texts]
    assert [(s, lab) for s, lab, _ in singles] == list(zip(corpus.scores, corpus.labels))
    # The corpus run shares one start (the table's size loop) and one HALT; every sentence's own steps are the same.
    start = S.classify([], tab).steps - 1
    assert corpus.steps == sum(steps - start - 1 for _, _, steps in singles) + start + 1


def test_the_task_answers_with_the_machine():
    task = get_task("sentiment")
    rows = splits()["dev"][:12]
    for variant in task.isa_variants:
        many = task.solve_isa_many([r.text for r in rows], variant=variant)
        for r, got in zip(rows, many):
            assert got.status == "HALTED"
            assert got.answer == LABELS[S.twin(r.text, table(variant))[1]]
        one = task.solve_isa(rows[0].text, variant=variant)
        assert one.answer == many[0].answer and one.steps > 0


# --- the rules -------------------------------------------------------------------------------------------------------
def test_the_joined_word_rule_drops_apostrophes():
    assert joined_words("Don't say it's 'GREAT'!") == ["dont", "say", "its", "great"]
    assert joined_words("rock'n'roll a''b x ' y dogs' café") == ["rocknroll", "ab", "x", "y", "dogs", "caf"]
    assert joined_words("it\u2019s") == ["it", "s"] == words("it\u2019s")  # the typographic apostrophe separates
    assert joined_words("'' 123 ...") == [] and words("don't") == ["don", "t"]


def test_the_machine_reads_words_as_the_joined_rule_does():
    tab = small({"dont": 7, "rocknroll": 3, "ab": 100, "great": 50, "dogs": -1, "caf": 2})
    cases = ["don't", "Don''t", "'don't'", "rock'n'roll", "a'b", "a' b", "'great", "great'", "dogs'", "'''",
             "café", "GREAT\u2019s", "x'", "'x", "don\tt", "DON'T"]
    assert machine(cases, tab) == [S.twin(c, tab) for c in cases]
    assert [s for s, _ in machine(["Rock'n'roll.", "a' b", "caf\u00e9!"], tab)] == [3, 0, 2]


def test_negation_flips_the_next_words_and_a_negator_restarts_the_count():
    tab = small(scope=2)
    cases = {
        "good": 20, "not good": -20, "not a good": -20, "not a very good": 20,  # the scope is two words
        "not bad": 25, "don't be bad": 25, "not not good": -20,  # a second negator restarts the count, no double flip
        "good, not": 20, "bad but not good": -25 - 60,
    }
    got = machine(list(cases), tab)
    assert [s for s, _ in got] == list(cases.values())
    assert [s for s, _ in machine(["not good"], small(scope=0))] == [20]  # negation off
    neg_weight = small({"not": -5, "good": 20})
    assert [s for s, _ in machine(["not good", "not not"], neg_weight)] == [-5 - 20, -5 + 5]


def test_contrast_weighs_what_follows_and_does_not_compound():
    tab = small(contrast_factor=3)
    cases = {"bad but good": -25 + 60, "good but bad": 20 - 75, "but but good": 60, "bad but, but good": -25 + 60}
    assert [s for s, _ in machine(list(cases), tab)] == list(cases.values())
    assert [s for s, _ in machine(["bad but good"], small(contrast_factor=1))] == [-5]


@pytest.mark.parametrize("tie", [0, 1])
def test_a_score_of_zero_takes_the_tie_label(tie):
    tab = small({"good": 20, "meh": -20}, tie=tie)
    got = machine(["", "...", "nothing here", "good meh", "good", "meh"], tab)
    assert got == [(0, tie), (0, tie), (0, tie), (0, tie), (20, 1), (-20, 0)]


def test_long_words_and_the_documented_alias():
    a, b = ALIASES
    assert a != b and len(a) == 16 and T.code(a) == T.code(b) < 0  # wrapped, top bit set
    assert T.code("internationally") != T.code("internationalization")
    with pytest.raises(T.TableError, match="share the code"):
        small({a: 1, b: 2})
    tab = small({a: 9, "internationalization": 4})
    texts = [b, a.upper(), "internationalization", "internationalizations"]
    assert machine(texts, tab) == [S.twin(t, tab) for t in texts] == [(9, 1), (9, 1), (4, 1), (0, 1)]


# --- tables ----------------------------------------------------------------------------------------------------------
def test_shipped_tables_have_no_code_collisions_and_are_at_most_half_full():
    for name in ("lexicon", "counted"):
        tab = table(name)
        words_ = set(tab.weights) | tab.negators | tab.contrasts
        assert len(tab) == len(words_) == len({T.code(w) for w in words_})
        assert 2 * len(tab) <= tab.slots == tab.image.size // T.SLOT and tab.slots & (tab.slots - 1) == 0
        assert 1 < tab.max_probe < 64
    lex = table("lexicon")
    assert len(lex.weights) == 7209 and lex.weights["good"] == 19 and lex.weights["horrible"] == -25
    assert {"dont", "no", "never", "without"} <= lex.negators and "uhuh" in lex.negators
    assert lex == T.lexicon_table() and lex.content_hash == T.lexicon_table().content_hash


def test_counted_table_is_a_pure_function_of_its_data():
    train = splits()["train"]
    texts, labels = [r.text for r in train], [LABELS.index(r.label) for r in train]
    tab = T.counted_table(texts, labels)
    assert tab == table("counted") and tab.content_hash == T.counted_table(texts, labels).content_hash
    assert tab.weights["great"] > 0 > tab.weights["bad"] and all(tab.weights.values())
    assert T.counted_table(texts[::-1], labels[::-1]) == tab  # the order of the data does not matter
    toy = T.counted_table(["good film", "bad film", "not bad"], [1, 0, 1], scope=2)
    # A negated word counts for the other label: "not bad" (positive) counts "bad" as negative a second time.
    # "film" is counted once on each side, as many as the sides' totals (3 each): weight 0, so it is left out.
    assert toy.weights["bad"] < 0 < toy.weights["good"] and toy.weights["not"] > 0 and "film" not in toy.weights


@pytest.mark.parametrize("kwargs, message", [
    ({"weights": {"Good": 1}}, "'Good' is not a word"),
    ({"weights": {"a b": 1}}, "'a b' is not a word"),
    ({"weights": {"don't": 1}}, "is not a word"),
    ({"weights": {"good": 1.5}}, "must be an integer"),
    ({"weights": {"good": 10**12}}, "within"),
    ({"scope": -1}, "scope must be an integer in 0..1000"),
    ({"contrast_factor": 0}, "contrast_factor must be an integer in 1..1000"),
    ({"tie": 2}, "tie must be an integer in 0..1"),
    ({"negators": frozenset({"but"})}, "both a negator and a contrast word"),
])
def test_bad_tables_are_refused(kwargs, message):
    kwargs = dict(kwargs)
    with pytest.raises(T.TableError, match=message):
        small(kwargs.pop("weights", None), **kwargs)


def test_bad_counting_data_is_refused():
    with pytest.raises(T.TableError, match="2 texts but 1 labels"):
        T.counted_table(["a", "b"], [1])
    with pytest.raises(T.TableError, match="labels must be 0"):
        T.counted_table(["a", "b"], [1, "positive"])
    with pytest.raises(T.TableError, match="both labels"):
        T.counted_table(["a", "b"], [1, 1])


# --- inputs, limits, budget ------------------------------------------------------------------------------------------
def test_bad_inputs_get_clear_errors():
    tab = small()
    with pytest.raises(S.SentimentInputError, match="use classify_one"):
        S.classify("good", tab)
    with pytest.raises(S.SentimentInputError, match=r"texts\[1\] must be a str"):
        S.classify(["good", b"bad"], tab)
    with pytest.raises(S.SentimentInputError, match="must be a list of str"):
        S.classify(5, tab)
    with pytest.raises(S.SentimentInputError, match="must be a WeightTable"):
        S.classify(["good"], {"good": 1})
    with pytest.raises(S.SentimentInputError, match="the text must be a str"):
        S.classify_one(["good"], tab)
    with pytest.raises(S.SentimentInputError, match="fast"):
        S.classify(["good"], tab, tier="fast")
    with pytest.raises(S.SentimentInputError, match=f"limit per run is {S.MAX_BYTES}"):
        S.classify(["x" * (S.MAX_BYTES // 2), "y" * (S.MAX_BYTES // 2 + 1)], tab)
    with pytest.raises(S.SentimentInputError, match=f"the limit is {S.MAX_SENTENCES}"):
        S.classify([""] * (S.MAX_SENTENCES + 1), tab)


def test_an_empty_corpus_and_the_memory_layout():
    tab = table("lexicon")
    empty = S.classify([], tab)
    assert (empty.labels, empty.scores, empty.status) == ([], [], "HALTED") and empty.steps > 0
    texts = ["Good.", "", "caf\u00e9 \ud800 bad"]  # a lone surrogate is laid as its bytes, all separators
    mem, records, _ = S.lay(texts, tab)
    data = [t.encode("utf-8", "surrogatepass") for t in texts]
    assert records == S.program().symbols["input"] + 4 * tab.slots
    assert len(mem) == records + 4 * len(texts) + sum(len(d) + 1 for d in data)
    first = mem[records::4][: len(texts)]
    for at, d in zip(first, data):
        assert bytes(mem[at : at + len(d)].astype(np.uint8)) == d
    done = S.classify(texts, tab)
    assert list(zip(done.scores, done.labels)) == [S.twin(t, tab) for t in texts]
    assert min(done.lay_s, done.machine_s, done.decode_s) >= 0


def test_the_step_budget_covers_the_worst_cases():
    tab = table("lexicon")
    slots = tab.image[:: T.SLOT]
    # An absent word whose home slot starts the longest run of used slots reads max_probe slots on every lookup.
    run_start = next(i for i in range(tab.slots) if slots[i] and not slots[i - 1]
                     and all(slots[(i + k) % tab.slots] for k in range(tab.max_probe - 1)))
    letters = "abcdefghijklmnopqrstuvwxyz"
    worst = next(w for w in (a + b + c for a in letters for b in letters for c in letters)
                 if T.home(T.code(w), tab.slots) == run_start and T.code(w) not in tab.by_code)
    texts = [" ".join([worst] * 300), "not " * 300, "a" * 5000, "'a" * 2000, "a'" * 2000, "a," * 2000]
    mem, _, fuel = S.lay(texts, tab)
    for text in texts:
        steps = S.classify_one(text, tab)[2]
        assert steps < S.budget(np.array([len(text)]), tab)
    assert S.classify(texts, tab).steps < fuel


def test_a_run_that_does_not_halt_is_reported(monkeypatch):
    monkeypatch.setattr(S, "budget", lambda lengths, table: 40)
    with pytest.raises(S.SentimentTrapError, match=r"OUT_OF_FUEL at pc \d+ \(line \d+\) after 40 steps"):
        S.classify(["good and bad"], small())


# --- accuracy --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["lexicon", "counted"])
def test_shipped_rules_reach_the_documented_dev_accuracy(name):
    rows = splits()["dev"]
    done = S.classify([r.text for r in rows], table(name))
    assert sum(label == LABELS.index(r.label) for label, r in zip(done.labels, rows)) == DEV_CORRECT[name]
