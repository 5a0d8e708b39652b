"""The comparison table from crafted records (bench/comparisons.py): which pairs, which instances, which counts, and
every statistic against an independent computation (scipy, published values); its place in a run folder's files."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

scipy_stats = pytest.importorskip("scipy.stats")

from bench import records, run_folder  # noqa: E402
from bench.comparisons import between_runs, match_contestants, within_run  # noqa: E402


def rec(task, d, backend, label, i, exact, *, seed=0, setting="", variant=None, text=None, per_answer=1e-3,
        batch=10):
    """One crafted record; records of `batch` consecutive instances share a chunk and its three batch timings."""
    times = [per_answer * batch * f for f in (1.0, 1.1, 0.9 + 0.01 * (i // batch))]
    return {"key": f"{task}|{d}|{i}|{seed}|{backend}|{label}|{setting}", "task": task, "difficulty": d,
            "backend": backend, "contestant": label, "variant": variant or label, "setting": setting,
            "exact": bool(exact), "index": i, "seed": seed, "split": "test", "instance": text or f"q{d}:{i}",
            "batch_times_s": times, "batch_s": times[0], "batch_size": batch,
            "chunk": f"{label}{setting}{d}-{i // batch}", "per_answer_s": times[0] / batch}


def pair_records(task, d, table, a="isa: lexicon", b="isa: counted", start=0, **kw):
    """Records of two contestants whose answers form the 2x2 table (both, a only, b only, neither)."""
    both, a_only, b_only, neither = table
    rights = [(1, 1)] * both + [(1, 0)] * a_only + [(0, 1)] * b_only + [(0, 0)] * neither
    out = []
    for i, (ra, rb) in enumerate(rights, start=start):
        out.append(rec(task, d, "isa", a, i, ra, **kw))
        out.append(rec(task, d, "isa", b, i, rb, **kw))
    return out


CAVO = (59, 16, 6, 80)  # Fagerland et al.'s worked example: Newcombe 95 % CI -0.1186 to -0.0046, McNemar P 0.052479


def crafted_run() -> list[dict]:
    recs = pair_records("sentiment", 1, CAVO) + pair_records("sentiment", 2, (10, 0, 30, 20), start=1000)
    recs += [rec("sentiment", 1, "reference", "reference", i, True) for i in range(161)]  # never paired
    return recs


def test_within_a_run_every_pair_per_level_and_over_all_levels():
    df = within_run(crafted_run())
    assert list(df["difficulty"]) == ["1", "2", "all"]
    assert set(df["a"]) == {"isa: lexicon"} and set(df["b"]) == {"isa: counted"}  # first seen first; no reference
    one = df.iloc[0]
    assert (one["n"], one["both"], one["a_only"], one["b_only"], one["neither"]) == (161, *CAVO)
    assert one["difference"] == pytest.approx(-10 / 161)
    assert (one["difference_lo"], one["difference_hi"]) == pytest.approx((-0.1186, -0.0046), abs=5e-5)
    for _, r in df.iterrows():
        want = scipy_stats.binomtest(int(r["a_only"]), int(r["a_only"] + r["b_only"]), 0.5).pvalue
        assert r["p_value"] == pytest.approx(want, rel=1e-9) and r["design"] == "paired"
    everything = df.iloc[2]
    assert (everything["n"], everything["a_only"], everything["b_only"]) == (161 + 60, 16, 36)


def test_holm_over_the_table_decides_which_is_better():
    df = within_run(crafted_run())
    p = df["p_value"].to_numpy()
    order = np.argsort(p)
    holm = np.maximum.accumulate(np.minimum(1, (len(p) - np.arange(len(p))) * p[order]))
    want = np.empty(len(p))
    want[order] = holm
    assert df["p_holm"].to_numpy() == pytest.approx(want)
    # level 1: p = 0.052 is no difference; level 2: 0 against 30 discordant is, and counted is the better
    assert list(df["significant"]) == [False, True, True]
    assert list(df["better"]) == ["", "isa: counted", "isa: counted"]


def test_mde_and_time_ratio_of_a_cell():
    from bench.paired import mde_paired

    df = within_run(crafted_run())
    one = df.iloc[0]
    assert one["mde"] == pytest.approx(mde_paired(161, 22))
    za, zb, psi = scipy_stats.norm.ppf(0.975), scipy_stats.norm.ppf(0.8), 22 / 161
    # Connor's formula holds at the MDE: n = (za sqrt(psi) + zb sqrt(psi - d^2))^2 / d^2
    d = one["mde"]
    assert (za * math.sqrt(psi) + zb * math.sqrt(psi - d * d)) ** 2 / d**2 == pytest.approx(161, rel=1e-9)
    assert one["time_ratio"] == pytest.approx(1.0) and one["batches_a"] == 17 * 3  # 161 answers in chunks of 10
    assert pd.isna(df.iloc[2]["time_ratio"])  # over all levels: no time ratio


def test_a_slower_contestant_has_its_ratio_and_interval():
    recs = [rec("add", 2, "isa", "isa", i, True) for i in range(40)]
    recs += [rec("add", 2, "llm", "llm", i, i % 2, per_answer=5e-3) for i in range(40)]
    df = within_run(recs)
    assert len(df) == 1  # one level: no over-all-levels row repeating it (and no second test in Holm's family)
    row = df.iloc[0]
    assert row["time_ratio"] == pytest.approx(5.0) and row["time_ratio_lo"] <= 5.0 <= row["time_ratio_hi"]
    assert (row["a"], row["b"], row["b_only"], row["a_only"]) == ("isa", "llm", 0, 20)
    assert row["better"] == "isa"


def test_contestants_sharing_a_label_are_told_apart_by_setting():
    recs = [rec("add", 1, "llm", "llm", i, True, setting="generate;compact") for i in range(5)]
    recs += [rec("add", 1, "llm", "llm", i, False, setting="generate;gpt3") for i in range(5)]
    row = within_run(recs).iloc[0]
    assert (row["a"], row["b"]) == ("llm [generate;compact]", "llm [generate;gpt3]")


def test_the_same_question_under_another_seed_and_index_is_the_same_instance():
    a = [rec("add", 1, "isa", "isa", i, True, seed=0, text=f"{i} + 1") for i in range(10)]
    b = [rec("add", 1, "isa", "isa", 9 - i, i != 3, seed=5, text=f"{i} + 1") for i in range(10)]
    df, unmatched = between_runs(a, b)
    row = df.iloc[0]
    assert not unmatched and row["design"] == "paired" and (row["n"], row["a_only"], row["b_only"]) == (10, 1, 0)


def test_a_question_asked_twice_pairs_occurrence_by_occurrence():
    a = [rec("add", 1, "isa", "isa", i, i == 0, text="2 + 2") for i in range(2)]
    b = [rec("add", 1, "isa", "isa", i, i == 1, text="2 + 2") for i in range(2)]
    row = between_runs(a, b)[0].iloc[0]
    assert (row["n"], row["a_only"], row["b_only"]) == (2, 1, 1)


def test_runs_with_few_shared_instances_are_compared_unpaired():
    a = [rec("add", 2, "isa", "isa", i, i < 30, text=f"a{i}") for i in range(40)]
    b = [rec("add", 2, "isa", "isa", i, i < 10, text=f"b{i}") for i in range(50)]
    row = between_runs(a, b)[0].iloc[0]
    assert row["design"] == "unpaired" and (row["n_a"], row["n_b"]) == (40, 50) and pd.isna(row["a_only"])
    want = scipy_stats.chi2_contingency([[30, 10], [10, 40]], correction=False).pvalue
    assert row["p_value"] == pytest.approx(want) and row["difference"] == pytest.approx(10 / 50 - 30 / 40)
    # 19 of the smaller run's 40 questions shared: still unpaired; 20: paired on those 20
    for shared, design, n in ((19, "unpaired", 40), (20, "paired", 20)):
        b = [rec("add", 2, "isa", "isa", i, True, text=f"a{i}" if i < shared else f"b{i}") for i in range(50)]
        row = between_runs(a, b)[0].iloc[0]
        assert (row["design"], row["n"]) == (design, n)


def test_contestants_match_by_identity_then_label_then_side():
    a = [("isa", "isa: lexicon", "v1", "tier=jit"), ("isa", "isa: counted", "v1", "tier=jit"),
         ("llm", "llm: modelA", "mA", "generate"), ("reference", "reference", "reference", "")]
    b = [("isa", "isa: counted", "v2", "tier=jit"), ("isa", "isa: lexicon", "v1", "tier=jit"),
         ("llm", "llm: modelB", "mB", "generate"), ("llm", "llm: modelB", "mB", "loglikelihood")]
    pairs = match_contestants(a, b)
    assert pairs == [(a[0], b[1]), (a[1], b[0])]  # the LLM side is ambiguous in B (two settings): not matched
    assert match_contestants(a, b[:3])[2] == (a[2], b[2])  # one LLM contestant each: matched by side


def test_rebuild_writes_comparisons_csv_and_report_sections(tmp_path):
    with records.RecordWriter(tmp_path / records.RECORDS_FILE) as w:
        w.write(crafted_run())
    run_folder.rebuild(tmp_path, {}, run_folder.Written(), plots=False)
    csv = pd.read_csv(tmp_path / "comparisons.csv", dtype={"difficulty": str})
    assert len(csv) == 3 and csv.loc[0, "p_value"] == pytest.approx(0.052479, abs=1e-6)
    md = (tmp_path / "report.md").read_text()
    assert "## Comparisons" in md and "| sentiment | 1 | isa: lexicon | isa: counted | paired | 161 |" in md
    assert "-6.2 (-11.9 to -0.5)" in md and "Holm: corrected over the 3 tests" in md
    tex = (tmp_path / "report.tex").read_text()
    assert tex.count(r"\begin{table}") == 2 and "-6.2 [-11.9, -0.5]" in tex
    (tmp_path / "comparisons.csv").unlink()  # `isabench report` makes it again from the records
    from bench import cli

    assert cli.main(["report", str(tmp_path)]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "comparisons.csv", dtype={"difficulty": str}), csv)
