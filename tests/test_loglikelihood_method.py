"""`--method loglikelihood` on computed tasks, as lm-evaluation-harness scores its arithmetic_* tasks: the reference
answer's log-likelihood after the prompt, right when it is the greedy continuation (`acc` = `is_greedy`). Run on
the GPT-3 paper's own file format through --data, with the embedded model, and checked against greedy generation;
and on a tiny random model, where the method and the generation settings meet the record key."""
from __future__ import annotations

import json
import random

import pytest

from bench import records
from bench.cli import main as cli_main
from tiny_model import make_tiny_model


def gpt3_file(path, seed: int = 5) -> None:
    """Two of the paper's cells (2D+ and 3D+), ten questions each, written as its files are."""
    rng = random.Random(seed)
    lines = []
    for digits in (2, 3):
        for _ in range(10):
            a, b = rng.randrange(10**digits), rng.randrange(10**digits)
            lines.append(json.dumps({"context": f"\n\nQ: What is {a} plus {b}?\n\nA:", "completion": f" {a + b}"}))
    path.write_text("\n".join(lines) + "\n")


def test_the_papers_cells_scored_by_loglikelihood_agree_with_greedy_generation(tmp_path):
    data, out = tmp_path / "2da_3da.jsonl", tmp_path / "run"
    gpt3_file(data)
    assert cli_main(["run", "--tasks", "add", "--data", str(data), "--method", "loglikelihood", "--backends",
                     "isa,llm", "--device", "cpu", "--threads", "1", "--out", str(out), "--no-plots",
                     "--quiet"]) == 0
    recs = [r for r in records.load(out / "records.jsonl").records if r["backend"] == "llm"]
    assert len(recs) == 20 and {r["difficulty"] for r in recs} == {2, 3}
    assert {r["method"] for r in recs} == {"loglikelihood"}
    assert {r["setting"] for r in recs} == {"loglikelihood;compact/0shot;chat=0"}
    for r in recs:
        assert r["continuation"] == r["reference"] and r["logprob"] < 0  # compact: the answer right after "="
        assert r["exact"] is r["is_greedy"] is r["exact_flexible"]
        assert r["answer"] == (r["reference"] if r["is_greedy"] else None)
    right = sum(r["exact"] for r in recs)
    assert 0 < right < 20  # the embedded model gets most 2- and 3-digit sums, not all: both verdicts occur
    # Independently: greedy generation starts with the reference exactly when it is the greedy continuation.
    from llm.runner import load_backend

    model = load_backend(None, device="cpu", threads=1)
    prompts = [r["prompt"] for r in recs]
    replies = model.generate(prompts, max(len(r["reference"]) for r in recs) + 1, stop=["\n"])
    assert [c.text.startswith(r["reference"]) for c, r in zip(replies, recs)] == [r["is_greedy"] for r in recs]
    import pandas as pd

    summary = pd.read_csv(out / "summary.csv").set_index(["backend", "difficulty"])
    assert (summary.loc["llm", "unparsed"] == 0).all()  # no reply: nothing failed to parse
    assert summary.loc["llm", "correct"].sum() == right
    results = json.loads(next((out / "lm_eval").glob("llm-*/results_*.json")).read_text())
    cell = results["results"]["isabench_add_d2"]
    assert set(cell) == {"alias", "acc,none", "acc_stderr,none"}
    assert cell["acc,none"] == pytest.approx(sum(r["exact"] for r in recs if r["difficulty"] == 2) / 10)
    assert results["configs"]["isabench_add_d2"]["output_type"] == "loglikelihood"
    assert results["configs"]["isabench_add_d2"]["dataset_path"].startswith("data:2da_3da.jsonl@")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("tiny"), seed=0)


def test_the_method_and_generation_settings_enter_the_key_where_they_shape_answers(tmp_path, tiny):
    out = tmp_path / "run"
    common = ["--model", str(tiny), "--device", "cpu", "--threads", "1", "--n", "3", "--backends", "llm",
              "--out", str(out), "--no-plots", "--quiet", "--gen-kwargs", "max_new_tokens=4"]
    assert cli_main(["run", "--tasks", "add", "--difficulties", "2", "--prompt", "gpt3", "--shots", "1",
                     "--method", "loglikelihood", *common]) == 0
    assert cli_main(["run", "--tasks", "add", "--difficulties", "2", "--prompt", "gpt3", "--shots", "1",
                     *common]) == 0
    assert cli_main(["run", "--tasks", "sentiment", "--difficulties", "1", "--method", "generate", *common]) == 0
    recs = records.load(out / "records.jsonl").records
    by_method = {(r["task"], r["method"]): r for r in recs}
    assert set(by_method) == {("add", "loglikelihood"), ("add", "generate"), ("sentiment", "generate")}
    scored = by_method[("add", "loglikelihood")]
    assert scored["setting"] == "loglikelihood;gpt3/1shot/s0;chat=0"  # generation settings do not shape a score
    assert scored["continuation"] == " " + scored["reference"] and scored["prompt"].endswith("A:")
    assert by_method[("add", "generate")]["setting"].endswith(";gen=max_new_tokens=4")
    sentiment = [r for r in recs if r["task"] == "sentiment"]
    assert {r["generated_tokens"] for r in sentiment} == {4}  # the budget asked for, not sentiment's own 3 tokens
    assert all(r["setting"] == "generate;compact/0shot;chat=0;gen=max_new_tokens=4" for r in sentiment)
    assert len(recs) == 3 + 3 + len([r for r in recs if r["task"] == "sentiment"])
    # The score is the model's own: asked again alone, the reference gets the same log-likelihood and verdict.
    from llm.runner import load_backend

    model = load_backend(str(tiny), device="cpu", threads=1)
    for r in (r for r in recs if r["method"] == "loglikelihood"):
        [alone] = model.loglikelihood([r["prompt"]], [r["continuation"]])
        assert alone.logprob == pytest.approx(r["logprob"], abs=1e-4) and alone.is_greedy == r["is_greedy"]


def test_a_classifier_named_with_a_method_is_refused_before_any_work(tmp_path, capsys):
    from tiny_encoder import make_tiny_encoder

    head = make_tiny_encoder(tmp_path / "head", head=True)
    out = tmp_path / "run"
    assert cli_main(["run", "--tasks", "sentiment", "--model", str(head), "--method", "generate", "--backends",
                     "llm", "--device", "cpu", "--out", str(out), "--quiet"]) == 2
    assert "sequence classifier: it answers with its head, not by generate" in capsys.readouterr().err
    assert not out.exists()
