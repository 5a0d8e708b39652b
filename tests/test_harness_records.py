"""Harness building blocks without a model: Wilson intervals, quartiles, the JSONL record store (atomic writes:
test_safe_writes.py)."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from bench import records
from bench.stats import quartiles, wilson


# --- Wilson ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("k, n, lo, hi", [
    # Published values (e.g. Newcombe 1998, Table I; any Wilson calculator): 95 % two-sided.
    (5, 10, 0.2366, 0.7634),
    (0, 10, 0.0, 0.2775),
    (10, 10, 0.7225, 1.0),
    (81, 263, 0.2553, 0.3662),
    (1, 1, 0.2065, 1.0),
])
def test_wilson_matches_published_values(k, n, lo, hi):
    got = wilson(k, n)
    assert got == pytest.approx((lo, hi), abs=1e-4)


def test_wilson_is_inside_unit_interval_and_contains_the_estimate():
    for n in (1, 2, 7, 50):
        for k in range(n + 1):
            lo, hi = wilson(k, n)
            assert 0.0 <= lo <= k / n <= hi <= 1.0
            # Symmetric in the sense wilson(k) mirrors wilson(n - k).
            lo2, hi2 = wilson(n - k, n)
            assert (lo, hi) == pytest.approx((1 - hi2, 1 - lo2), abs=1e-12)


def test_wilson_narrows_with_more_samples():
    widths = [np.subtract(*wilson(n // 2, n)[::-1]) for n in (10, 100, 1000)]
    assert widths[0] > widths[1] > widths[2]


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError, match="correct"):
        wilson(11, 10)
    with pytest.raises(ValueError):
        wilson(-1, 10)
    assert all(math.isnan(x) for x in wilson(0, 0))


def test_quartiles_match_numpy():
    xs = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
    assert quartiles(xs) == pytest.approx(tuple(np.percentile(xs, [25, 50, 75])))
    assert quartiles([None, 2.0]) == (2.0, 2.0, 2.0)
    assert all(math.isnan(x) for x in quartiles([]))


# --- records ------------------------------------------------------------------------------------------------------
def rec(i: int, **kw) -> dict:
    return {"key": f"square/d1/s0/{i}|v1|test|reference|reference", "answer": str(i * i), "task": "square",
            "difficulty": 1, "backend": "reference", "exact": True, **kw}


def test_writer_appends_whole_flushed_lines(tmp_path):
    path = tmp_path / "records.jsonl"
    with records.RecordWriter(path) as w:
        w.write([rec(0), rec(1)])
        # Flushed: another reader sees both lines before the writer closes.
        assert [r["key"] for r in records.load(path).records] == [rec(0)["key"], rec(1)["key"]]
        w.write([rec(2)])
    assert len(path.read_text().splitlines()) == 3


def test_truncated_last_line_is_skipped_reported_and_cut_before_appending(tmp_path, capsys):
    path = tmp_path / "records.jsonl"
    with records.RecordWriter(path) as w:
        w.write([rec(0), rec(1)])
    whole = json.dumps(rec(2))
    with open(path, "a") as f:
        f.write(whole[: len(whole) // 2])  # killed mid-write
    loaded = records.load(path)
    assert [r["answer"] for r in loaded.records] == ["0", "1"]
    assert loaded.torn_tail and loaded.bad_lines == [3]
    assert "truncated last line" in capsys.readouterr().err
    with records.RecordWriter(path) as w:
        w.write([rec(2)])
    again = records.load(path)
    assert [r["answer"] for r in again.records] == ["0", "1", "4"] and not again.bad_lines


def test_corrupt_middle_line_is_reported_and_later_records_kept(tmp_path, capsys):
    path = tmp_path / "records.jsonl"
    path.write_text(json.dumps(rec(0)) + "\n{not json\n" + json.dumps(rec(1)) + "\n")
    loaded = records.load(path)
    assert [r["answer"] for r in loaded.records] == ["0", "1"]
    assert loaded.bad_lines == [2] and not loaded.torn_tail
    assert "line(s) 2" in capsys.readouterr().err
    with records.RecordWriter(path) as w:  # nothing torn: appending keeps every line as it was
        w.write([rec(2)])
    assert len(records.load(path, warn=False).records) == 3


def test_complete_last_line_without_newline_is_kept(tmp_path):
    path = tmp_path / "records.jsonl"
    path.write_text(json.dumps(rec(0)))
    assert len(records.load(path).records) == 1
    with records.RecordWriter(path) as w:
        w.write([rec(1)])
    assert [r["answer"] for r in records.load(path).records] == ["0", "1"]


def test_record_key_separates_everything_that_shapes_an_answer():
    def key(**kw):
        args = dict(instance_id="add/d2/s0/3", text="3 + 4", task_version="1", split="test", backend="llm",
                    variant="m@abc/float32/cpu", setting="generate;compact/0shot;chat=0")
        return records.record_key(**{**args, **kw})

    base = key()
    others = [key(variant="m@def/float32/cpu"), key(task_version="2"), key(split="train"), key(backend="isa"),
              key(text="3 + 5"), key(setting="generate;compact/0shot;chat=1"),
              key(setting="generate;gpt3/4shot/s0;chat=0"), key(setting="loglikelihood;compact/0shot;chat=0")]
    assert base == key() and len({base, *others}) == 1 + len(others)


def test_lines_missing_fields_are_skipped_and_reported_not_fatal(tmp_path, capsys):
    path = tmp_path / "records.jsonl"
    wrong_types = [{**rec(5), "difficulty": "x"}, {**rec(6), "per_answer_s": "fast"}, {**rec(7), "exact": "yes"}]
    path.write_text(json.dumps(rec(0)) + "\n" + json.dumps({"key": "x"}) + "\n" + json.dumps([1, 2]) + "\n"
                    + "".join(json.dumps(r) + "\n" for r in wrong_types) + json.dumps(rec(1)) + "\n")
    loaded = records.load(path)
    assert [r["answer"] for r in loaded.records] == ["0", "1"] and loaded.bad_lines == [2, 3, 4, 5, 6]
    assert "skipped 5 unreadable record line(s): line(s) 2, 3, 4, 5, 6" in capsys.readouterr().err


def test_a_duplicated_record_counts_once_and_is_reported(tmp_path, capsys):
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (rec(0), rec(1), rec(0, answer="other"), rec(1))))
    loaded = records.load(path)
    assert [r["answer"] for r in loaded.records] == ["0", "1"] and loaded.duplicates == [3, 4]
    assert "2 line(s) repeat an earlier record's key and were counted once" in capsys.readouterr().err
