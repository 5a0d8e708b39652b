"""RUN/lm_eval/<contestant>/results_<date>.json: lm-evaluation-harness's results shape, its values computed apart here
(the mean and the sample standard error of the mean, statistics.stdev / √n), what lm-eval's own table reads, and a
file name that stays put as a limited run is finished."""
from __future__ import annotations

import json
import math
import statistics

import pytest

from bench import records
from bench.cli import main as cli_main
from bench.lm_eval_results import mean_stderr
from bench.tasks import get_task
from test_harness_run import scripted  # noqa: F401 - the fixture: replies from a function, no model

TOP = {"results", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples", "config",
       "git_hash", "date", "model_name", "model_name_sanitized"}
METRICS = {"alias", "exact_match,strict-match", "exact_match_stderr,strict-match", "exact_match,flexible-extract",
           "exact_match_stderr,flexible-extract"}


def mixed(prompt: str) -> str:
    """Right, right in words, or wrong, by the first operand."""
    a, b = map(int, prompt.rstrip("=").split("+"))
    return [str(a + b), f"{a} + {b} = {a + b}", str(a + b + 1)][a % 3]


def files(out) -> dict[str, dict]:
    found = sorted((out / "lm_eval").glob("*/results_*.json"))
    return {f.parent.name.split("-")[0]: json.loads(f.read_text()) for f in found}


def run_cli(out, *extra: str) -> int:
    return cli_main(["run", "--tasks", "add", "--difficulties", "1,2", "--n", "9", "--backends", "isa,llm",
                     "--out", str(out), "--no-plots", "--quiet", *extra])


def test_each_contestant_gets_lm_evals_results_shape(tmp_path, scripted):  # noqa: F811
    scripted(mixed)
    out = tmp_path / "run"
    assert run_cli(out, "--limit", "6") == 0
    found = files(out)
    assert set(found) == {"isa", "llm"}
    llm = found["llm"]
    assert TOP <= set(llm)
    names = ["isabench_add_d1", "isabench_add_d2"]
    assert list(llm["results"]) == names and llm["group_subtasks"] == {n: [] for n in names}
    recs = [r for r in records.load(out / "records.jsonl").records if r["backend"] == "llm"]
    for name in names:
        cell = [r for r in recs if f"isabench_add_d{r['difficulty']}" == name]
        strict, flexible = [float(r["exact"]) for r in cell], [float(r["exact_flexible"]) for r in cell]
        got = llm["results"][name]
        assert set(got) == METRICS and got["alias"] == name
        assert got["exact_match,strict-match"] == pytest.approx(statistics.mean(strict))
        assert got["exact_match,flexible-extract"] == pytest.approx(statistics.mean(flexible))
        assert got["exact_match_stderr,strict-match"] == pytest.approx(statistics.stdev(strict) / math.sqrt(6))
        assert got["exact_match_stderr,flexible-extract"] == pytest.approx(statistics.stdev(flexible) / math.sqrt(6))
        assert got["exact_match,flexible-extract"] > got["exact_match,strict-match"]  # "12 + 15 = 27" counts there
        assert llm["n-samples"][name] == {"original": 9, "effective": 6}
        assert llm["versions"][name] == get_task("add").version and llm["n-shot"][name] == 0
        assert llm["higher_is_better"][name] == {"exact_match": True}
        config = llm["configs"][name]
        assert config["output_type"] == "generate_until" and config["generation_kwargs"]["until"] == ["\n"]
        assert [f["name"] for f in config["filter_list"]] == ["strict-match", "flexible-extract"]
        assert config["metadata"]["difficulty"] == int(name[-1])
    assert llm["config"]["limit"] == 6 and llm["config"]["model_source"] == "llm"
    assert llm["isabench"]["setting"] == "generate;compact/0shot;chat=0"
    isa = found["isa"]["results"]["isabench_add_d2"]
    assert isa["exact_match,strict-match"] == isa["exact_match,flexible-extract"] == 1.0
    assert isa["exact_match_stderr,strict-match"] == 0.0


def test_what_lm_evals_table_reads_is_there(tmp_path, scripted):  # noqa: F811
    """lm_eval.utils.make_table: for each task and each `metric,filter`, the version, n-shot, higher_is_better of
    the metric and `metric_stderr,filter` (a number or "N/A")."""
    scripted(mixed)
    out = tmp_path / "run"
    assert run_cli(out, "--limit", "1") == 0
    for result in files(out).values():
        for task, metrics in result["results"].items():
            assert task in result["versions"] and task in result["n-shot"]
            for key, value in metrics.items():
                if key == "alias" or "_stderr" in key:
                    continue
                metric, filtered = key.split(",")
                assert result["higher_is_better"][task][metric] is True
                assert metrics[f"{metric}_stderr,{filtered}"] == "N/A"  # one sample, as lm-eval writes it
                assert isinstance(value, float)


def test_the_file_stays_put_as_a_limited_run_is_finished(tmp_path, scripted):  # noqa: F811
    scripted(mixed)
    out = tmp_path / "run"
    assert run_cli(out, "--limit", "3") == 0
    before = sorted(p.relative_to(out) for p in (out / "lm_eval").rglob("*.json"))
    assert run_cli(out) == 0
    after = sorted(p.relative_to(out) for p in (out / "lm_eval").rglob("*.json"))
    assert before == after and len(after) == 2
    llm = files(out)["llm"]
    assert llm["n-samples"]["isabench_add_d2"] == {"original": 9, "effective": 9} and llm["config"]["limit"] is None


def test_the_standard_error_is_lm_evals_for_a_mean():
    assert mean_stderr([1.0]) == "N/A"
    assert mean_stderr([1.0, 0.0, 1.0, 1.0]) == pytest.approx(statistics.stdev([1, 0, 1, 1]) / 2)
    assert mean_stderr([0.0] * 5) == 0.0
