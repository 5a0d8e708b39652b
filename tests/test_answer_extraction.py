"""Strict and flexible answer extraction side by side (lm-eval's strict-match and flexible-extract): each task's rule
on scripted replies, both scores in the records, summary.csv (with Wilson intervals), report.md and report.tex, and
the register machine's answers reading the same under both."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from bench import records
from bench.cli import main as cli_main
from bench.extraction import differences_text
from bench.runner import RunConfig, run
from bench.sides import SideOptions
from bench.summary import summarise
from bench.tasks import TASKS, get_task
from test_harness_run import scripted  # noqa: F401 - the fixture: replies from a function, no model

# (reply, strict answer, flexible answer) for numeric tasks
NUMERIC = [("12 + 15 = 27", None, "27"), ("The answer is 27.", None, "27"), ("27", "27", "27"),
           ("27 apples", None, "27"), ("2 7", "27", "27"), ("1,234", "1234", "1234"), ("12-15=-3", None, "-3"),
           ("\n  The sum is 27\nQ: 5", None, "27"), ("27.5", None, "27.5"), ("no idea", None, None), ("", None, None)]


@pytest.mark.parametrize("reply, strict, flexible", NUMERIC)
def test_numeric_rules(reply, strict, flexible):
    for name in ("add", "square", "expr", "emulate"):
        task = get_task(name)
        assert (task.parse_reply(reply), task.parse_reply_flexible(reply)) == (strict, flexible), name


@pytest.mark.parametrize("name, reply, strict, flexible", [
    ("wordfreq", "the 2 cat 1", "the 2 cat 1", "the 2 cat 1"),
    ("wordfreq", "the: 2, cat: 1.", None, "the 2 cat 1"),
    ("wordfreq", "The 2 Cat 1", None, "the 2 cat 1"),
    ("wordfreq", "count words: the cat = the 2 cat 1", None, "the 2 cat 1"),
    ("wordfreq", "many words", None, None),
    ("sentiment", "negative", "negative", "negative"),
    ("sentiment", "The sentiment is Positive.", None, "positive"),
    ("sentiment", "positive or negative? negative", None, "negative"),
    ("sentiment", "it is fine", None, None),
    ("svamp", "18 - 16 = 2", "18", "2"),  # strict takes the first number, flexible the last: the equation's result
    ("svamp", "He has 1,200 apples.", "1200", "1200"),
    ("svamp", "33.0", "33", "33"),
    ("svamp", "none", None, None),
])
def test_each_kind_of_task_has_its_rule(name, reply, strict, flexible):
    task = get_task(name)
    assert task.parse_reply(reply) == strict
    assert task.parse_reply_flexible(reply) == flexible
    assert task.flexible_rule and task.flexible_rule != "the strict rule"


@pytest.mark.parametrize("name", list(TASKS))
def test_an_answer_in_its_own_form_reads_the_same_under_both_rules(name):
    """What the register machine writes (the canonical answer) is exact text: the flexible rule never changes it."""
    task = get_task(name)
    for d in task.difficulties:
        for inst in task.instances(d, 20, seed=3):
            answer = task.answer_of(inst)
            assert task.parse_reply(answer) == answer == task.parse_reply_flexible(answer), (name, answer)


SUMS = {"12+15=": "12 + 15 = 27", "20+7=": "The answer is 27.", "13+14=": "27", "25+2=": "27 apples",
        "1+26=": "2 7", "14+14=": "28 - 1 = 27"}  # the last: flexible reads 27, and 28 is right: wrong under both


def wilson_by_hand(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def test_records_summary_and_reports_carry_both_scores(tmp_path, scripted):  # noqa: F811
    scripted(lambda prompt: SUMS[prompt])
    data = tmp_path / "sums.txt"
    data.write_text("\n".join(p.rstrip("=").replace("+", " + ") for p in SUMS) + "\n")
    out = tmp_path / "run"
    assert cli_main(["run", "--tasks", "add", "--data", str(data), "--backends", "llm,isa", "--out", str(out),
                     "--no-plots", "--quiet"]) == 0
    recs = {r["instance"]: r for r in records.load(out / records.RECORDS_FILE).records if r["backend"] == "llm"}
    assert {t: (r["answer"], r["answer_flexible"], r["exact"], r["exact_flexible"]) for t, r in recs.items()} == {
        "12 + 15": (None, "27", False, True), "20 + 7": (None, "27", False, True), "13 + 14": ("27", "27", True, True),
        "25 + 2": (None, "27", False, True), "1 + 26": ("27", "27", True, True),
        "14 + 14": (None, "27", False, False)}
    isa = [r for r in records.load(out / records.RECORDS_FILE).records if r["backend"] == "isa"]
    assert len(isa) == 6 and all(r["exact"] and r["exact_flexible"] and r["answer_flexible"] == r["answer"]
                                 for r in isa)
    summary = pd.read_csv(out / "summary.csv").set_index("backend")
    assert {"correct_flexible", "accuracy_flexible", "accuracy_flexible_lo", "accuracy_flexible_hi"} <= \
        set(summary.columns)
    llm = summary.loc["llm"]
    assert (llm["correct"], llm["correct_flexible"]) == (2, 5)
    assert llm["unparsed"] == 4  # strictly: the flexible rule does not change what counts as unparsed
    assert (llm["accuracy_flexible_lo"], llm["accuracy_flexible_hi"]) == pytest.approx(wilson_by_hand(5, 6), abs=1e-5)
    assert summary.loc["isa", "accuracy_flexible"] == summary.loc["isa", "accuracy"] == 1.0
    md = (out / "report.md").read_text()
    assert "| flexible % (95 % CI) |" in next(line for line in md.splitlines() if line.startswith("| task |"))
    row = next(line for line in md.splitlines() if line.startswith("| add | 2 | llm"))
    lo, hi = wilson_by_hand(5, 6)
    assert row.startswith("| add | 2 | llm | 6 | 33.3 (") and row.endswith(f"| 83.3 ({100 * lo:.1f}–{100 * hi:.1f}) |")
    assert "strict-match" in md and "flexible-extract" in md and TASKS["add"].flexible_rule in md
    tex = (out / "report.tex").read_text()
    assert r"flexible \% (95 \% CI)" in tex and f"83.3 [{100 * lo:.1f}, {100 * hi:.1f}]" in tex


def test_the_terminal_lists_only_the_rows_whose_flexible_score_differs():
    lo, hi = wilson_by_hand(5, 6)
    summary = pd.DataFrame([
        {"task": "add", "difficulty": 2, "contestant": "isa", "accuracy": 1.0, "accuracy_flexible": 1.0,
         "accuracy_flexible_lo": 0.6, "accuracy_flexible_hi": 1.0},
        {"task": "add", "difficulty": 2, "contestant": "llm", "accuracy": 2 / 6, "accuracy_flexible": 5 / 6,
         "accuracy_flexible_lo": lo, "accuracy_flexible_hi": hi}])
    head, *rows = differences_text(summary).strip().splitlines()
    assert "flexible-extract where it differs from strict-match" in head
    assert len(rows) == 1 and rows[0].split()[:3] == ["add", "d2", "llm"]
    assert rows[0].endswith(f"strict 33.3  flexible 83.3 ({100 * lo:.1f}–{100 * hi:.1f})")
    assert differences_text(summary.iloc[:1]) == ""  # every row the same under both rules: nothing to say


def test_records_older_than_the_flexible_rule_show_no_flexible_score(tmp_path, scripted):  # noqa: F811
    scripted(lambda prompt: "7")
    cfg = RunConfig(out=tmp_path / "run", tasks=["add"], backends=["llm"], difficulties=[1], n=4,
                    side=SideOptions(batch_size=2), progress=False)
    run(cfg)
    recs = records.load(cfg.out / records.RECORDS_FILE).records
    # "7" read alike by both rules: scored alike, right where the sum is 7 and wrong elsewhere
    assert all(r["answer_flexible"] == r["answer"] == "7" for r in recs)
    assert [r["exact_flexible"] for r in recs] == [r["exact"] for r in recs] == [r["reference"] == "7" for r in recs]
    assert not all(r["exact"] for r in recs)
    for r in recs[:1]:
        del r["exact_flexible"]
    row = summarise(recs).iloc[0]
    assert math.isnan(row["accuracy_flexible"]) and not math.isnan(row["accuracy"])
