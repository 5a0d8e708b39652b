"""What a reader of report.md and the terminal table needs (issue 22 items 7, 8, 15, 16): the command, seed, date
and the run's conditions (load, CPU time) on top; an interruption and the levels it left short, marked; notes for
every column; few-answer levels marked; the ISA contestant a ratio divides by; facets in numeric order."""
from __future__ import annotations

import json
import os

import pytest

from bench import cli
from bench.breakdown import breakdown
from bench.conditions import during
from bench.report import FEW, few as few_mark, markdown, text_table
from bench.run_facts import conditions, facts_of
from readers_data import Scripted, records as made, summary_of


@pytest.fixture
def interrupted_run(tmp_path, monkeypatch, capsys):
    """`isabench run` on add d1-d3, n 30, stopped by Ctrl-C during the model's second chunk of 16."""
    model = Scripted(stop_after=36)  # d1: 20 answers (two chunks); d2: one chunk of 16, then Ctrl-C
    monkeypatch.setattr("llm.runner.load_backend", lambda *a, **kw: model)
    out = tmp_path / "run"
    code = cli.main(["run", "--tasks", "add", "--difficulties", "1-3", "--n", "30", "--batch-size", "16",
                     "--out", str(out), "--no-plots"])
    return code, out, capsys.readouterr()


def test_an_interrupted_run_marks_its_short_levels_everywhere(interrupted_run):
    code, out, printed = interrupted_run
    assert code == 130
    meta = json.loads((out / "meta.json").read_text())
    assert meta["tasks"]["add"]["instances"] == {"1": 20, "2": 30, "3": 30}  # d1's split holds 20
    assert meta["invocations"][-1]["interrupted"] is True
    md = (out / "report.md").read_text()
    assert "**Interrupted**" in md
    assert "| add | 2 | llm | 16 of 30 (incomplete) |" in md
    assert "| add | 1 | llm | 20 |" in md  # its split holds 20: complete, unmarked
    assert "Not answered (planned, no records): llm: add d3" in md
    tex = (out / "report.tex").read_text()
    assert "16 of 30 (incomplete)" in tex and "The run was interrupted" in tex
    table = printed.out
    assert table.startswith("INTERRUPTED:")
    assert " 16/30 " in table and " 20/20 " not in table


def test_report_md_says_the_command_seed_date_and_how_loaded_the_machine_was(interrupted_run):
    _, out, _ = interrupted_run
    meta = json.loads((out / "meta.json").read_text())
    inv = meta["invocations"][-1]
    for field in ("load_1min_start", "load_1min_end", "cpu_s", "cpu_user_s", "cpu_sys_s", "wall_s"):
        assert isinstance(inv[field], float), field
    assert inv["cpu_s"] == pytest.approx(inv["cpu_user_s"] + inv["cpu_sys_s"], abs=0.002)
    assert 0 < inv["wall_s"] <= inv["finished_at"] - inv["started_at"] + 1
    assert inv["load_1min_start"] == pytest.approx(os.getloadavg()[0], abs=50)  # a load average, not a time
    md = (out / "report.md").read_text()
    head = md.split("| task |")[0]
    shown = meta["command"].replace(str(out), "…/run")  # a user's folders are not shown to the report's readers
    assert f"Command: `{shown}` · seed 0 · " in head and str(out.parent) not in md
    assert f"load {inv['load_1min_start']:.2f} → {inv['load_1min_end']:.2f} (1-min average" in head
    assert f"CPU {inv['cpu_s']:.1f} s (user + sys) in {inv['wall_s']:.1f} s wall" in head


def test_the_conditions_line_is_the_invocations_own_deltas():
    """Fixed snapshots: the CPU seconds and wall time between start and end (not since the process began), the load
    at each end in order, and CPU-s per wall s."""
    start = {"load_1min": 1.5, "cpu_user_s": 10.0, "cpu_sys_s": 1.0, "wall": 100.0}
    end = {"load_1min": 3.25, "cpu_user_s": 13.0, "cpu_sys_s": 2.5, "wall": 110.0}
    inv = during(start, end)
    assert inv == {"load_1min_start": 1.5, "load_1min_end": 3.25, "cpu_user_s": 3.0, "cpu_sys_s": 1.5, "cpu_s": 4.5,
                   "wall_s": 10.0}
    assert conditions(inv, 2) == ("load 1.50 → 3.25 (1-min average, 2 cores); "
                                  "CPU 4.5 s (user + sys) in 10.0 s wall (0.45 CPU-s per s)")


def test_a_rerun_that_finishes_clears_the_marks(interrupted_run, monkeypatch, capsys):
    _, out, _ = interrupted_run
    monkeypatch.setattr("llm.runner.load_backend", lambda *a, **kw: Scripted())
    assert cli.main(["run", "--tasks", "add", "--difficulties", "1-3", "--n", "30", "--batch-size", "16",
                     "--out", str(out), "--no-plots"]) == 0
    md = (out / "report.md").read_text()
    assert "(incomplete)" not in md.split("Accuracy: exact-match")[0] and "**Interrupted**" not in md
    assert "Invocation 2 of 2" in md and ", interrupted" in md  # the history keeps the first one
    assert not capsys.readouterr().out.startswith("INTERRUPTED")


def test_report_notes_explain_every_column_and_mark_few_answer_levels():
    summary = summary_of(made("square", 1, "isa", 2, 2, 1.5e-4, steps=10), made("square", 2, "isa", 100, 100, steps=20),
                         made("square", 1, "llm", 2, 2, 1e-2, flops=1e6), made("square", 2, "llm", 100, 80, flops=2e6))
    md = markdown(summary, "test")
    assert "Partial: the mean partial credit per answer" in md and "Tokens: a model's prompt + generated" in md
    few = [line for line in md.splitlines() if line.startswith("| square | 1 | llm")][0].split(" | ")
    assert few[6].endswith("§") and few[13].endswith("§") and few[14].endswith("§")  # time and both ratios
    many = [line for line in md.splitlines() if line.startswith("| square | 2 | llm")][0].split(" | ")
    assert "§" not in many[6] + many[13]
    assert f"§ fewer than {FEW} answers" in md
    assert "§ n < 10" in text_table(summary)
    assert (few_mark({"n": FEW - 1}), few_mark({"n": FEW})) == ("§", "")  # "fewer than FEW": FEW itself is unmarked


def test_the_terminal_table_names_the_isa_contestant_a_ratio_divides_by():
    rows = []
    for who in ("isa: counted", "isa: lexicon"):
        rows += made("sentiment", 1, "isa", 20, 15, 3e-6, steps=300, contestant=who)
    rows += made("sentiment", 1, "llm", 20, 18, 2e-2, flops=2e8, contestant="llm: sentiment-lora")
    summary = summary_of(rows)
    assert "÷ISA divides by the ISA contestant sentiment: isa: lexicon" in text_table(summary)
    assert "| isa: lexicon |" in markdown(summary, "test")  # the full table's "vs ISA" column
    assert "divides by" not in text_table(summary_of(made("add", 1, "isa", 20, 20, steps=9),
                                                     made("add", 1, "llm", 20, 9, flops=1e6)))


def test_facet_values_sort_as_numbers():
    recs = [dict(r, facets={"written": w}) for w in (10, 2, 12, 4) for r in made("emulate", 4, "isa", 1, 1, steps=4)]
    df = breakdown(recs)
    written = df[df["facet"] == "written"]["value"].tolist()
    assert written == ["2", "4", "10", "12"]


def test_a_side_that_answered_nothing_is_named_unless_it_declined():
    facts = facts_of({"backends": ["isa", "llm", "hybrid"], "tasks": {"add": {"instances": {"2": 5}}},
                      "invocations": [{"failures": ["hybrid add d2: skipped: no program for this task"]}]})
    summary = summary_of(made("add", 2, "isa", 5, 5, steps=9))
    assert facts.missing(summary) == ["llm: add (no answers)"]


def test_facts_without_planned_counts_mark_nothing_but_the_interruption():
    facts = facts_of({"command": "isabench run", "seed": 1, "invocations": [{"interrupted": True}]})
    summary = summary_of(made("add", 2, "isa", 5, 5, steps=9))
    assert facts.interrupted and not facts.short(summary.iloc[0]) and facts.missing(summary) == []


def test_each_invocation_of_a_resumed_folder_says_its_own_command():
    from bench.run_facts import head

    meta = {"command": "isabench run --tasks emulate --n 10", "seed": 0, "invocations": [
        {"argv": ["run", "--tasks", "add", "--out", "/home/someone/runs/x"], "started_at": 0, "samples_done": 5},
        {"argv": ["run", "--tasks", "emulate", "--n", "10"], "started_at": 60, "samples_done": 3}]}
    lines = head(facts_of(meta))
    assert lines[1] == "Invocation 1 of 2, 1970-01-01 00:00 UTC (`isabench run --tasks add --out …/x`): 5 answered"
    assert lines[2] == "Invocation 2 of 2, 1970-01-01 00:01 UTC: 3 answered"
