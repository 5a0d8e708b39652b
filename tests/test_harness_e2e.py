"""End to end through the `isabench` CLI on a tiny random model built here: run -> records -> summary -> report ->
plots, metadata, regeneration from records alone, another model in the same folder, benchmark JSON -> tables."""
from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest

from bench import cli, records
from bench.cmd_run import default_out, levels
from tiny_model import make_tiny_model

TASKS = ["square", "wordfreq"]
DIFFS = [2, 3]
N = 4


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("tiny"), seed=0)


# Every side, always: a run without the ISA side is no test of the comparison (an import error must fail the suite,
# not quietly drop a side).
BACKENDS = ["isa", "llm", "reference"]


def run_cli(*argv: str) -> int:
    return cli.main([str(a) for a in argv])


@pytest.fixture(scope="module")
def finished(tiny, tmp_path_factory):
    """One CLI run, shared by the tests below (the model load dominates a test's time)."""
    out = tmp_path_factory.mktemp("runs") / "run"
    code = run_cli("run", "--tasks", ",".join(TASKS), "--backends", ",".join(BACKENDS), "--model", tiny,
                   "--device", "cpu", "--threads", "1", "--n", N, "--difficulties", "2,3", "--out", out, "--quiet")
    return code, out


def test_run_writes_records_summary_tables_and_plots(finished, tiny, capsys):
    code, out = finished
    tiny_name = tiny.name
    assert code == 0
    recs = records.load(out / records.RECORDS_FILE).records
    assert len(recs) == len(TASKS) * len(DIFFS) * N * len(BACKENDS)
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == len(TASKS) * len(DIFFS) * len(BACKENDS)
    assert set(summary["backend"]) == set(BACKENDS) and (summary["n"] == N).all()
    ref = summary[summary["backend"] == "reference"]
    assert (ref["accuracy"] == 1).all()
    isa = summary[summary["backend"] == "isa"]
    assert (isa["accuracy"] == 1).all() and (isa["instructions_per_answer"] > 0).all()
    llm = summary[summary["backend"] == "llm"]
    assert (llm["flops_per_answer"] > 0).all() and (llm["time_per_answer_s"] > 0).all()
    assert (llm["accuracy_lo"] <= llm["accuracy"]).all() and (llm["accuracy"] <= llm["accuracy_hi"]).all()
    assert llm["total_ratio_to_isa"].notna().all() and llm["machine_ratio_to_isa"].notna().all()
    isa = summary[summary["backend"] == "isa"].set_index(["task", "difficulty"])
    for _, row in llm.iterrows():  # the ratio's spread is quartile over quartile of the two sides' batch times
        other = isa.loc[(row["task"], row["difficulty"])]
        assert row["total_ratio_to_isa_lo"] == pytest.approx(row["per_answer_q1_s"] / other["per_answer_q3_s"], rel=1e-3)
        assert row["total_ratio_to_isa_hi"] == pytest.approx(row["per_answer_q3_s"] / other["per_answer_q1_s"], rel=1e-3)
        assert row["total_ratio_to_isa_lo"] <= row["total_ratio_to_isa_hi"]
        assert row["machine_ratio_to_isa"] == pytest.approx(
            row["machine_per_answer_s"] / other["machine_per_answer_s"], rel=1e-3)
    md = (out / "report.md").read_text()
    for task in TASKS:
        for d in DIFFS:
            assert re.search(rf"\| {task} \| {d} \| llm: {tiny_name}@[0-9a-f]{{6}} \| {N} \|", md)
    assert "Hardware: CPU:" in md
    tex = (out / "report.tex").read_text()
    assert r"\begin{tabular}" in tex and tex.count(r"\\") >= 1 + len(TASKS) * len(DIFFS)
    for name in ("accuracy", "time", "cost", "time_ratio"):
        for fmt in ("png", "svg"):
            assert (out / "plots" / f"{name}.{fmt}").stat().st_size > 1000


def test_metadata_makes_the_run_citable(finished):
    _, out = finished
    meta = json.loads((out / "meta.json").read_text())
    assert meta["seed"] == 0 and meta["n"] == N
    assert meta["command"].startswith("isabench run")
    assert meta["tasks"]["square"]["version"] and meta["tasks"]["wordfreq"]["difficulties"] == DIFFS
    info = meta["sides"]["llm"]["info"]
    assert info["content_hash"] and info["dtype"] == "float32" and info["device"] == "cpu"
    assert info["n_params_non_embedding"] > 0
    assert meta["machine"]["cpu"] and "gpu" in meta["machine"]
    assert meta["packages"]["torch"] and meta["packages"]["transformers"] and "numba" in meta["packages"]
    assert "commit" in meta["git"] and "dirty" in meta["git"]
    assert meta["threads"]["torch_threads"] == 1
    setup = meta["invocations"][-1]["setup_s"]
    assert setup["llm"]["start"] > 0 and any(k.startswith("warm-up") for k in setup["llm"])


def test_report_and_plot_regenerate_from_records_alone(finished, tmp_path, capsys):
    _, out = finished
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(out / records.RECORDS_FILE, copy / records.RECORDS_FILE)  # no meta, no summary, no plots
    assert run_cli("report", copy) == 0
    printed = capsys.readouterr().out
    assert "square" in printed and "hardware not recorded" in printed
    regenerated = pd.read_csv(copy / "summary.csv")
    original = pd.read_csv(out / "summary.csv")
    pd.testing.assert_frame_equal(regenerated, original)
    assert run_cli("plot", copy) == 0
    assert (copy / "plots" / "accuracy.png").exists() and (copy / "plots" / "time.svg").exists()


def test_rerun_resumes_and_another_model_gets_its_own_records(finished, tmp_path, capsys):
    _, out = finished
    folder = tmp_path / "resume"
    shutil.copytree(out, folder)
    before = len(records.load(folder / records.RECORDS_FILE).records)
    other = make_tiny_model(tmp_path / "other", seed=1)
    common = ["--tasks", ",".join(TASKS), "--difficulties", "2,3", "--n", N, "--device", "cpu", "--threads", "1",
              "--out", folder, "--quiet", "--no-plots", "--backends", "llm"]
    assert run_cli("run", "--model", other, *common) == 0
    assert f"{len(TASKS) * len(DIFFS) * N} answered, 0 already on disk" in capsys.readouterr().out
    recs = records.load(folder / records.RECORDS_FILE).records
    assert len(recs) == before + len(TASKS) * len(DIFFS) * N
    assert len({r["variant"] for r in recs if r["backend"] == "llm"}) == 2


def test_benchmark_json_becomes_tables_and_plots(tmp_path, capsys):
    def bench(backend, d, correct, median, **extra):
        return {"name": f"test_{backend}[square-{d}]", "stats": {"median": median, "q1": median * 0.9,
                                                                  "q3": median * 1.2, "iqr": median * 0.3},
                "extra_info": {"task": "square", "axis": "digits", "difficulty": d, "backend": backend, "n": 32,
                               "correct": correct, "partial": correct / 32, **extra}}

    data = {"machine_info": {"cpu": {"brand_raw": "Test CPU", "count": 2}, "gpu": None,
                             "packages": {"torch": "9.9"}},
            "commit_info": {"id": "abcdef1234", "dirty": False},
            "benchmarks": [bench("isa", 1, 32, 0.001, instructions_per_answer=50),
                           bench("llm", 1, 16, 0.5, flops_per_answer=2e6, variant="m@x/float32/cpu"),
                           bench("isa", 2, 32, 0.002, instructions_per_answer=100),
                           {"name": "unrelated", "stats": {"median": 1.0}, "extra_info": {}}]}
    path = tmp_path / "0001_bench.json"
    path.write_text(json.dumps(data))
    assert run_cli("report", path) == 0
    out = tmp_path / "0001_bench-report"
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 3
    llm = summary[summary["backend"] == "llm"].iloc[0]
    assert llm["accuracy"] == 0.5 and llm["time_per_answer_s"] == pytest.approx(0.5 / 32)
    assert llm["total_ratio_to_isa"] == pytest.approx(500)
    assert "Test CPU" in (out / "report.md").read_text()
    assert (out / "plots" / "accuracy.png").exists()
    assert run_cli("report", "--from-benchmark", path, "--out", tmp_path / "again", "--format", "latex") == 0
    assert r"\begin{tabular}" in capsys.readouterr().out


def test_bad_input_gets_a_clear_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        run_cli("run", "--tasks", "sqaure", "--backends", "reference", "--out", tmp_path / "x")
    assert stop.value.code == 2 and "unknown task(s) sqaure; known tasks: square" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        run_cli("run", "--backends", "foo", "--out", tmp_path / "x")
    assert stop.value.code == 2 and "unknown backend(s) foo" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run_cli("run", "--difficulties", "3-1")
    assert "low-high ascending" in capsys.readouterr().err
    assert run_cli("report", tmp_path / "missing") == 2
    assert "no run folder" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"benchmarks": [{"name": "x", "stats": {}}]}))
    assert run_cli("report", bad) == 1  # a message, not a traceback (tests/test_benchmark_report.py)
    assert "none of its 1 benchmarks is one isabench reports" in capsys.readouterr().err


def test_default_folder_name_is_stable_so_reruns_resume():
    class Args:
        model, backends, n, seed, difficulties, split = None, ["isa", "llm"], 20, 0, None, "test"

    a = default_out(Args, ["square", "add"], ["square", "add", "sub"])
    assert a == default_out(Args, ["square", "add"], ["square", "add", "sub"])
    assert str(a) == "results/default-model_square+add_isa+llm_n20_s0"
    assert levels("1-3,5") == [1, 2, 3, 5]

    class Chat(Args):  # every option that shapes a prompt names its own folder, so a rerun never reuses records
        chat, prompt, shots = True, "gpt3", 4

    assert str(default_out(Chat, ["square", "add"], ["square", "add", "sub"])).endswith("_gpt3-4shot_chat") and \
        default_out(Chat, ["square", "add"], ["square", "add", "sub"]) != a


def test_kill_leaves_finished_samples_and_a_summary_of_them(tiny, tmp_path):
    """SIGTERM mid-run (as `kill` sends): exit 130, every flushed record readable, summary and meta describe them."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "bench.cli", "run", "--backends", "llm", "--model", str(tiny), "--device", "cpu",
           "--threads", "1", "--n", "100", "--batch-size", "2", "--out", str(out), "--quiet", "--no-plots"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    path = out / records.RECORDS_FILE
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if path.exists() and path.read_bytes().count(b"\n") >= 4:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted: rerun the same command" in stderr
    loaded = records.load(path)
    assert len(loaded.records) >= 4 and not loaded.bad_lines
    summary = pd.read_csv(out / "summary.csv")
    assert summary["n"].sum() == len(loaded.records)
    meta = json.loads((out / "meta.json").read_text())
    assert meta["invocations"][-1]["interrupted"] is True
    assert meta["invocations"][-1]["samples_done"] == len(loaded.records)


def test_figures_and_tables_say_what_a_reader_must_know(tiny, tmp_path, capsys):
    """Levels the model never trained on are marked (a column, a sign, hollow points); the hardware line names the
    model and its hash, not the user's path; the ISA's time spread and machine time are measured, not zero."""
    model = tmp_path / "trained"
    shutil.copytree(tiny, model)
    (model / "training.json").write_text(json.dumps({"mix": {"square": {"2": 1.0, "3": 0.0}}}))
    out = tmp_path / "run"
    assert run_cli("run", "--tasks", "square", "--difficulties", "2,3", "--n", N, "--model", model, "--device", "cpu",
                   "--out", out, "--quiet", "--backends", "isa,llm") == 0
    printed = capsys.readouterr().out
    summary = pd.read_csv(out / "summary.csv", keep_default_na=False)
    llm = summary[summary["backend"] == "llm"].set_index("difficulty")
    assert llm.loc[2, "coverage"] == "held-out" and llm.loc[3, "coverage"] == "untrained"
    assert "‡" in printed and "never trained on" in printed
    md = (out / "report.md").read_text()
    assert re.search(rf"\| square \| 3 \| llm: {model.name}@[0-9a-f]{{6}}‡ \|", md)
    assert str(tmp_path) not in md and f"model: {model.name} @" in md
    isa = summary[summary["backend"] == "isa"]
    assert (isa["per_answer_iqr_s"].astype(float) > 0).all() and (isa["machine_per_answer_s"].astype(float) > 0).all()
    assert (isa["glue_per_answer_s"].astype(float) > 0).all()
    assert (llm["alone_median_s"].astype(float) > 0).all() and (summary["machine_ratio_to_isa"] != "").any()


def test_a_causal_lm_answers_a_labelled_task_by_log_likelihood(tiny, tmp_path):
    out = tmp_path / "ll"
    assert run_cli("run", "--tasks", "sentiment", "--difficulties", "1", "--n", N, "--model", tiny, "--device", "cpu",
                   "--backends", "llm", "--shots", "1", "--out", out, "--quiet", "--no-plots") == 0
    recs = records.load(out / records.RECORDS_FILE).records
    assert len(recs) == N and {r["method"] for r in recs} == {"loglikelihood"}
    for r in recs:
        assert set(r["scores"]) == {"negative", "positive"} and r["answer"] == max(r["scores"], key=r["scores"].get)
        assert r["prompt"].count("Sentiment:") == 2 and r["flops"] > 0 and r["setting"].startswith("loglikelihood;")
