"""The svamp task through the harness: `isabench run` end to end on the ISA (both tables) and the reference over the
whole test part, the embedded model on a few problems, `isabench solve` on a problem of the data and on one that is
not, the prompts, the solved examples and the reply parser."""
from __future__ import annotations

import json
from collections import Counter

import pandas as pd
import pytest

from bench import cli, records
from bench.tasks import PromptSpec, get_task
from bench.tasks.svamp import table
from bench.tasks.svamp_data import SPLIT_SIZES, TYPES, splits
from isa import svamp as S

TOM = "Tom had 45 apples. He gave 12 to Ann. How many apples does Tom have now?"
TEST_CORRECT = {"people": 115, "counted": 114}  # of 302: the figures bench/tasks/svamp_tune.py --test printed


@pytest.fixture(scope="module")
def isa_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("svamp") / "run"
    code = cli.main(["run", "--tasks", "svamp", "--backends", "isa,reference", "--out", str(out), "--quiet"])
    return code, out


def test_run_answers_the_whole_test_part_on_both_tables(isa_run):
    code, out = isa_run
    assert code == 0
    recs = records.load(out / records.RECORDS_FILE).records
    by_side = Counter(r["contestant"] for r in recs)
    assert by_side == {"isa: people": 302, "isa: counted": 302, "reference": 302}
    test = {p.text: p for p in splits()["test"]}
    for r in recs:
        p = test[r["instance"]]
        assert (r["reference"], r["difficulty"], r["facets"]) == (str(p.answer), p.ops, {"type": p.type})
        assert r["error"] is None and r["ground_truth"] == "labels"
        if r["backend"] == "isa":
            assert r["answer"] == str(S.twin(p.text, table(r["isa_variant"])).answer) and r["status"] == "HALTED"
            assert r["coverage"] == "held-out" and r["steps"] > 500 and r["machine_s"] > 0 and r["glue_s"] > 0
    exact = Counter(r["isa_variant"] for r in recs if r["backend"] == "isa" and r["exact"])
    assert exact == TEST_CORRECT
    assert all(r["exact"] for r in recs if r["backend"] == "reference")


def test_the_breakdown_is_by_type(isa_run, capsys):
    _, out = isa_run
    df = pd.read_csv(out / "breakdown.csv", keep_default_na=False)
    people = df[(df["contestant"] == "isa: people")]
    assert set(people["value"]) == {"all", *TYPES}
    assert int(people[people["value"] == "all"]["correct"].iloc[0]) == TEST_CORRECT["people"]
    assert int(people[people["facet"] == "type"]["n"].sum()) == SPLIT_SIZES["test"]
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["difficulty"]) == {1, 2} and set(summary["contestant"]) == {"isa: people", "isa: counted",
                                                                                   "reference"}


def test_the_embedded_model_answers_by_generation(tmp_path):
    out = tmp_path / "llm"
    assert cli.main(["run", "--tasks", "svamp", "--backends", "llm", "--n", "2", "--out", str(out), "--quiet"]) == 0
    recs = records.load(out / records.RECORDS_FILE).records
    assert len(recs) == 4 and {r["difficulty"] for r in recs} == {1, 2}
    for r in recs:
        assert r["method"] == "generate" and r["prompt"].startswith("Problem: ") and r["prompt"].endswith("\nAnswer:")
        assert r["answer"] == get_task("svamp").parse_reply(r["raw"]) and r["error"] is None


def test_solve_answers_a_problem_not_in_the_data_on_both_tables(capsys):
    assert cli.main(["solve", "svamp", TOM]) == 0
    assert capsys.readouterr().out.splitlines() == ["people: 33", "counted: 33"]
    assert cli.main(["solve", "svamp", TOM, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["reference"] is None and set(record["variants"]) == {"people", "counted"}
    assert all(v["status"] == "HALTED" and v["steps"] > 0 for v in record["variants"].values())
    p = splits()["test"][0]
    assert cli.main(["solve", "svamp", p.text, "--backend", "reference"]) == 0
    assert capsys.readouterr().out.strip() == str(p.answer)
    assert cli.main(["solve", "svamp", "two\nlines"]) == 2
    assert "one line" in capsys.readouterr().err


# --- prompts, shots, replies ------------------------------------------------------------------------------------------
def test_prompt_formats():
    task = get_task("svamp")
    assert task.prompt(TOM) == f"Problem: {TOM}\nAnswer:"
    assert task.prompt(TOM, PromptSpec("gpt3")) == f"Q: {TOM}\n\nA:"
    inst = task.instances(1, 1)[0]
    [(text, answer)] = task.shots(inst, 1, seed=0)
    assert task.prompt(inst, PromptSpec("gpt3", 1)) == f"Q: {text}\n\nA: {answer}\n\nQ: {inst.text}\n\nA:"
    compact = task.prompt(inst, PromptSpec("compact", 1))
    assert compact == f"Problem: {text}\nAnswer: {answer}\nProblem: {inst.text}\nAnswer:"


def test_shots_are_solved_train_problems_of_every_type():
    task = get_task("svamp")
    train = {p.text: p for p in splits()["train"]}
    inst = task.instances(2, 1)[0]
    shots = task.shots(inst, 6, seed=0)
    assert len({t for t, _ in shots}) == 6 and all(str(train[t].answer) == a for t, a in shots)
    assert {train[t].type for t, _ in shots[:4]} == set(TYPES)
    assert task.shots(inst, 6, seed=0) == shots != task.shots(inst, 6, seed=1)
    assert task.shots(inst, 4, seed=0) == shots[:4] and task.shots(inst, 0, seed=0) == []
    own = task.instances(1, 1, split="train")[0]
    assert all(t != own.text for t, _ in task.shots(own, 50, seed=0))


@pytest.mark.parametrize("reply, parsed", [
    ("33", "33"), (" 33\n", "33"), ("He has 33 apples.", "33"), ("1,200 dollars", "1200"), ("33.0", "33"),
    ("33.50", "33.50"), ("-5", "-5"), ("007", "7"), ("no idea", None), ("", None), ("\n42", None),
    ("12 then 13", "12"),
])
def test_the_reply_is_its_first_number(reply, parsed):
    task = get_task("svamp")
    assert task.parse_reply(reply) == parsed
    assert task.score(parsed, "33").exact == (parsed == "33")


def test_difficulty_of_a_problem_given_by_hand():
    task = get_task("svamp")
    two = next(p for p in splits()["dev"] if p.ops == 2)
    assert task.difficulty_of(two.text) == 2 and task.difficulty_of(f"  {two.text} ") == 2
    assert task.difficulty_of(TOM) == 1 and task.difficulty_of("1 and 2 and 3 and 4") == 2
    assert task.canonical(TOM) == task.canonical(TOM.replace(" ", "  "))
    assert task.in_split(two.text, "dev") and not task.in_split(two.text, "test") and not task.in_split(TOM, "test")
