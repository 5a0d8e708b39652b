"""The ISA as a contestant: on a labelled task (sentiment) its wrong answers are results scored like the LLM's, while
on computed tasks an ISA answer that differs from the reference is a failure; users' own labelled files via --data."""
from __future__ import annotations

import pandas as pd
import pytest

from bench import cli, records
from bench.runner import RunConfig, SetupError, run
from bench.summary import summarise
from bench.tasks import get_task


def test_sentiments_isa_contestants_are_scored_against_labels_not_failed(tmp_path):
    cfg = RunConfig(out=tmp_path / "run", tasks=["sentiment"], backends=["isa"], difficulties=[1], n=60,
                    progress=False)
    result = run(cfg)
    assert not result.failures
    recs = records.load(cfg.out / records.RECORDS_FILE).records
    assert {r["contestant"] for r in recs} == {"isa: lexicon", "isa: counted"}
    assert {r["ground_truth"] for r in recs} == {"labels"}
    wrong = [r for r in recs if not r["exact"]]
    assert wrong and all(r["error"] is None for r in wrong)  # a rule program's mistakes are results
    summary = summarise(recs)
    assert set(summary["contestant"]) == {"isa: lexicon", "isa: counted"} and (summary["errors"] == 0).all()
    assert summary["accuracy"].between(0.5, 0.99).all()


def test_an_isa_answer_that_differs_from_a_computed_reference_is_an_error(tmp_path, monkeypatch):
    from bench.tasks.base import IsaAnswer, IsaBatch

    add = get_task("add")
    monkeypatch.setattr(type(add), "solve_isa_batch", lambda self, texts, tier="jit", variant="", threads=None:
                        IsaBatch.of([IsaAnswer("0", "HALTED", 5) for _ in texts], 1e-6, 1e-6))
    monkeypatch.setattr(type(add), "solve_isa", lambda self, text, tier="jit", variant="": IsaAnswer("0", "HALTED", 5))
    cfg = RunConfig(out=tmp_path / "run", tasks=["add"], backends=["isa"], difficulties=[2], n=5, progress=False)
    run(cfg)
    summary = summarise(records.load(cfg.out / records.RECORDS_FILE).records)
    assert summary.loc[0, "errors"] == summary.loc[0, "n"] - summary.loc[0, "correct"] > 0


def test_a_users_labelled_file_replaces_the_test_split(tmp_path, capsys):
    data = tmp_path / "reviews.tsv"
    data.write_text("Absolutely loved it, great service.\t1\nCold food and a rude waiter.\t0\n"
                    "Not good at all.\tnegative\nI would come back again and again, the best pizza in town by far, "
                    "and friendly staff who remember you.\tpositive\n")
    out = tmp_path / "mine"
    assert cli.main(["run", "--tasks", "sentiment", "--backends", "isa", "--data", str(data), "--out", str(out),
                     "--quiet", "--no-plots"]) == 0
    recs = records.load(out / records.RECORDS_FILE).records
    assert len(recs) == 4 * 2 and {r["index"] for r in recs} == {1, 2, 3, 4}
    assert all(r["split"].startswith("data:reviews.tsv@") for r in recs)
    assert {r["facets"]["site"] for r in recs} == {"reviews.tsv"}
    assert "reviews.tsv" in capsys.readouterr().out
    summary = pd.read_csv(out / "summary.csv")
    assert summary["n"].sum() == 8


def test_bad_data_files_are_refused_before_any_work(tmp_path, capsys):
    bad = tmp_path / "bad.tsv"
    bad.write_text("Great.\t1\nAwful, no tab here\n")
    out = tmp_path / "never"
    assert cli.main(["run", "--tasks", "sentiment", "--backends", "isa", "--data", str(bad), "--out", str(out)]) == 2
    assert "bad.tsv:2: no TAB" in capsys.readouterr().err and not out.exists()
    assert cli.main(["run", "--tasks", "sentiment", "--data", str(tmp_path / "absent.tsv"), "--out", str(out)]) == 2
    assert "no such file" in capsys.readouterr().err
    # every task reads --data now (bench/tasks/datafile.py): add reads these lines and cannot use one of them
    from bench.tasks import TaskInputError

    with pytest.raises(TaskInputError, match=r"bad.tsv:1: add: expected two non-negative integers"):
        run(RunConfig(out=out, tasks=["add"], backends=["isa"], data=bad, progress=False))
    with pytest.raises(SetupError, match="holds one task's instances"):
        run(RunConfig(out=out, tasks=["add", "sentiment"], backends=["isa"], data=bad, progress=False))
    assert not out.exists()


def test_the_gpt3_suite_asks_exactly_the_papers_cells(tmp_path, capsys):
    from bench.runner import plan
    from bench.suites import PAPER_FEW_SHOT, SUITES

    cfg = RunConfig(out=tmp_path / "x", tasks=list(SUITES["gpt3-arithmetic"]), levels=SUITES["gpt3-arithmetic"],
                    n=3, progress=False)
    assert {(g.task.name, g.difficulty) for g in plan(cfg)} == set(PAPER_FEW_SHOT)
    out = tmp_path / "suite"
    assert cli.main(["run", "--suite", "gpt3-arithmetic", "--backends", "reference", "--n", "2", "--out", str(out),
                     "--quiet", "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert "| 5D- (sub 5) | 100.0" in printed and "| 29.2 |" in printed
    assert "Table 3.9" in (out / "report.md").read_text()
    assert cli.main(["run", "--suite", "gpt3-arithmetic", "--tasks", "add"]) == 2


def test_solve_asks_the_shipped_adapter_by_default(capsys):
    assert cli.main(["solve", "sentiment", "The food was awful and the waiter rude.", "--backend", "llm",
                     "--json"]) == 0
    import json

    record = json.loads(capsys.readouterr().out)
    assert record["answer"] == "negative" and record["method"] == "head"
    assert record["model"].endswith("sentiment-minilm-lora") and record["scores"]["negative"] > -0.5


def test_log_likelihood_time_covers_every_sub_batch_of_a_chunk():
    """The backend scores a chunk's 2 x n pairs in sub-batches, each score carrying its own sub-batch's time; the
    records must carry the whole chunk's time, so per-answer times sum to the wall time, not to one sub-batch's."""
    import time

    from bench.side_llm import LlmSide
    from bench.sides import Contestant, SideOptions
    from llm.interface import LogLikelihood

    class SubBatching:
        info = {"n_params_non_embedding": 10}

        def loglikelihood(self, contexts, continuations):
            out = []
            for start in range(0, len(contexts), 2):  # sub-batches of two pairs, 20 ms each
                time.sleep(0.02)
                out += [LogLikelihood(-float(len(c)), False, 5, 1, 0.02, 2) for c in continuations[start:start + 2]]
            return out

    task = get_task("sentiment")
    instances = task.instances(1, 4, 0, "test")
    who = Contestant("llm: x", "x", "", {"method": "loglikelihood"}, SubBatching())
    rows = LlmSide(SideOptions(model="x")).answer(task, who, instances)
    per_answer = sum(r["batch_s"] / r["batch_size"] for r in rows)
    assert per_answer >= 0.02 * len(instances) * len(task.labels) / 2 * 0.95


def test_the_isas_tables_scored_on_their_training_data_are_marked(tmp_path):
    """The counted table (and every rule constant) came from the train split: scored there, its rows are
    train-shared like a model's; held-out on test; and a --data file overlapping train/dev is marked and noted."""
    def coverage(split, data=None):
        cfg = RunConfig(out=tmp_path / f"{split}{bool(data)}", tasks=["sentiment"], backends=["isa"], n=5,
                        difficulties=[1], split=split, data=data, progress=False)
        result = run(cfg)
        return set(summarise(records.load(cfg.out / records.RECORDS_FILE).records)["coverage"]), result.notes

    assert coverage("train")[0] == {"train-shared"} and coverage("test")[0] == {"held-out"}
    from bench.tasks.sentiment_data import splits
    mine = tmp_path / "mine.tsv"
    mine.write_text("".join(f"{r.text}\t{r.label}\n" for r in splits()["train"][:3]) + "A new one, great.\t1\n")
    marks, notes = coverage("test", mine)
    assert marks == {"train-shared"} and any("3 of" in n and "not held-out" in n for n in notes)
