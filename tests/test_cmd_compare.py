"""`isabench compare RUN_A RUN_B`: crafted run folders (one worse in accuracy, one slower) checked for the table and
the gate's exit code; then real runs: the reference and ISA sides twice, and two different models."""
from __future__ import annotations

import re
import pandas as pd
import pytest

from bench import cli, records
from test_comparisons import rec
from tiny_model import make_tiny_model

pytest.importorskip("scipy.stats")


def write_run(folder, recs):
    with records.RecordWriter(folder / records.RECORDS_FILE) as w:
        w.write(recs)
    return folder


def run_records(llm_right_at_2: int, isa_per_answer: float = 1e-3) -> list[dict]:
    """add at levels 1 and 2, 40 instances each: the ISA always right, the LLM right on all of level 1 and on the
    first `llm_right_at_2` of level 2."""
    out = []
    for d in (1, 2):
        for i in range(40):
            out.append(rec("add", d, "isa", "isa", i, True, per_answer=isa_per_answer))
            out.append(rec("add", d, "llm", "llm", i, d == 1 or i < llm_right_at_2, per_answer=5e-3))
    return out


@pytest.fixture
def folders(tmp_path):
    base = write_run(tmp_path / "base", run_records(36))
    worse = write_run(tmp_path / "worse", run_records(12))
    slower = write_run(tmp_path / "slower", run_records(36, isa_per_answer=2e-3))
    return base, worse, slower


def compare(*argv) -> int:
    return cli.main(["compare", *map(str, argv)])


def test_a_significantly_less_accurate_run_fails_the_gate(folders, capsys, tmp_path):
    base, worse, _ = folders
    assert compare(base, worse) == 0  # without the gate: the table, exit 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("add") and " 2 llm " in x)
    # 36 of 40 against 12 of 40 on the same instances: 24 discordant, all one way: p = 2 / 2^24
    assert "paired" in line and "90.0  30.0" in line and "-60.0" in line and "1.2e-07" in line and "worse" in line
    assert compare(base, worse, "--fail-if-worse", "--csv", tmp_path / "c.csv") == 1
    err = capsys.readouterr().err
    assert "worse: add d2 llm: worse" in err and "worse: add all levels llm: worse" in err
    table = pd.read_csv(tmp_path / "c.csv", dtype={"difficulty": str}, keep_default_na=False)
    assert set(table.loc[table["verdict"].str.contains("worse"), "difficulty"]) == {"2", "all"}
    assert compare(base, base, "--fail-if-worse") == 0  # a run against itself passes
    assert "gate passed" in capsys.readouterr().err
    assert compare(worse, base, "--fail-if-worse") == 0  # more accurate is no failure
    assert "+60.0" in (out := capsys.readouterr().out) and "better" in out


def test_a_run_slower_beyond_the_threshold_fails_the_gate(folders, capsys):
    base, _, slower = folders
    assert compare(base, slower, "--fail-if-worse") == 1
    out, err = capsys.readouterr()
    assert "2× [" in out and "worse: add d1 isa: slower" in err and "llm" not in err.split("worse:", 1)[1]
    assert compare(base, slower, "--fail-if-worse", "--time-threshold", "2.5") == 0  # 2× is within 2.5×
    assert compare(slower, base, "--fail-if-worse") == 0  # faster is no failure
    assert "faster" in capsys.readouterr().out


def test_a_slower_median_within_batch_noise_passes_the_gate(tmp_path, capsys):
    """The gate asks for the whole interval above the threshold: 1.2x slower by the medians, but with batches
    scattered from 0.6x to 1.9x, is not a failure at 1.10."""
    base = write_run(tmp_path / "base", run_records(36))
    noisy = run_records(36, isa_per_answer=1.2e-3)
    for r in noisy:
        if r["backend"] == "isa":
            r["batch_times_s"] = [t * f for t, f in zip(r["batch_times_s"], (0.5, 1.0, 1.6))]
    noisy = write_run(tmp_path / "noisy", noisy)
    assert compare(base, noisy, "--fail-if-worse", "--csv", tmp_path / "c.csv") == 0
    isa = pd.read_csv(tmp_path / "c.csv").query("a == 'isa' and difficulty != 'all'")
    assert (isa["time_ratio"] > 1.1).all() and (isa["time_ratio_lo"] < 1.1).all()


def test_compare_refuses_what_it_cannot_compare(folders, tmp_path, capsys):
    base, *_ = folders
    assert compare(base, tmp_path / "absent") == 2
    assert "no run folder" in capsys.readouterr().err
    other = write_run(tmp_path / "other", [rec("wordfreq", 2, "isa", "isa", i, True) for i in range(5)])
    assert compare(base, other) == 2
    assert "no task and contestant in common" in capsys.readouterr().err


def test_time_threshold_below_one_is_refused(folders):
    base, *_ = folders
    with pytest.raises(SystemExit) as e:
        cli.main(["compare", str(base), str(base), "--time-threshold", "0.9"])
    assert e.value.code == 2


def test_two_real_runs_of_the_reference_and_the_isa(tmp_path, capsys):
    for name, n in (("a", 6), ("b", 9)):
        assert cli.main(["run", "--tasks", "add,sub", "--backends", "reference,isa", "--difficulties", "2,3",
                         "--n", str(n), "--out", str(tmp_path / name), "--quiet", "--no-plots"]) == 0
    capsys.readouterr()
    assert compare(tmp_path / "a", tmp_path / "b", "--fail-if-worse", "--time-threshold", "100",
                   "--csv", tmp_path / "c.csv") == 0
    table = pd.read_csv(tmp_path / "c.csv", dtype={"difficulty": str})
    # the first 6 instances of a seed are the first 6 of its 9: paired on 6 per level, everything right
    assert set(table["design"]) == {"paired"} and len(table) == 2 * 2 * 3
    assert set(table.loc[table["difficulty"] != "all", "n"]) == {6} and (table["p_value"] == 1).all()
    assert set(table["a"]) == {"reference", "isa"}


def test_two_runs_of_different_models_match_by_side_and_the_worse_fails(tmp_path, capsys):
    """The embedded model against a random tiny one on add's 20 one-digit test problems: the LLM contestants carry
    different labels (`llm`, `llm: tiny`), so they match by side, and the tiny one is significantly worse."""
    tiny = make_tiny_model(tmp_path / "tiny", seed=0)
    common = ["--tasks", "add", "--backends", "llm", "--difficulties", "1", "--n", "20", "--device", "cpu",
              "--quiet", "--no-plots"]
    assert cli.main(["run", *common, "--out", str(tmp_path / "embedded")]) == 0
    assert cli.main(["run", *common, "--model", str(tiny), "--out", str(tmp_path / "random")]) == 0
    capsys.readouterr()
    assert compare(tmp_path / "embedded", tmp_path / "random", "--fail-if-worse") == 1
    out, err = capsys.readouterr()
    line = next(x for x in out.splitlines() if x.startswith("add"))
    assert "llm → llm: tiny" in line and "paired" in line and "worse" in line
    assert re.search(r"worse: add d1 llm: tiny@[0-9a-f]{6}: worse", err)
