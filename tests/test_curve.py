"""`isabench curve` on a tiny random BERT: a killed curve keeps its finished points and resumes without training them
again; its table is its points' figures; the ISA's tables at the whole train split are the run side's own."""
from __future__ import annotations

import csv
import json
import statistics

import pytest

from bench import cmd_finetune, curve_points, safe_io
from bench.cli import main as cli
from tiny_encoder import make_tiny_encoder


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return make_tiny_encoder(tmp_path_factory.mktemp("tiny-bert"))


def argv(base, out, *more):
    return ["curve", "--task", "sentiment", "--init", str(base), "--sizes", "8", "--seeds", "2", "--min-steps", "1",
            "--out", str(out), *more]


def test_a_killed_curve_keeps_its_points_and_resumes_without_training_them_again(base, tmp_path, monkeypatch):
    out = tmp_path / "curve"
    real_save = curve_points.save_points

    def killed_before_the_third_line(folder, points):
        if len(points) == 3:  # full fine-tuning, seed 0, is trained and its folder finished; its line is not saved
            raise KeyboardInterrupt
        real_save(folder, points)

    monkeypatch.setattr(curve_points, "save_points", killed_before_the_third_line)
    assert cli(argv(base, out)) == 130  # interrupted
    kept = (out / "points.jsonl").read_text().splitlines()
    assert [json.loads(line)["contestant"] for line in kept] == ["lexicon", "lora"]
    assert json.loads((out / "full-n8-s0" / "finetune.json").read_text())["finished"]
    monkeypatch.setattr(curve_points, "save_points", real_save)

    trained, real_main = [], cmd_finetune.main
    monkeypatch.setattr(cmd_finetune, "main", lambda args: trained.append(args.out.name) or real_main(args))
    assert cli(argv(base, out)) == 0
    assert trained == ["lora-n8-s1", "full-n8-s1"]  # the finished folder full-n8-s0 was read, not trained again
    lines = (out / "points.jsonl").read_text().splitlines()
    assert lines[:2] == kept and len(lines) == 7  # lexicon + 2 seeds x (lora, full, counted)
    points = curve_points.read_points(out)
    assert {(p.contestant, p.size, p.seed) for p in points} == {("lexicon", 0, 0)} | {
        (c, 8, s) for c in ("lora", "full", "counted") for s in (0, 1)}
    record = json.loads((out / "lora-n8-s1" / "finetune.json").read_text())
    assert record["config"]["train_size"] == 8 and record["config"]["epochs"] == 3 and record["config"]["seed"] == 1

    # The table is its points' figures.
    rows = {(r["contestant"], int(r["size"])): r for r in csv.DictReader((out / "curve.csv").open())}
    for (contestant, size), row in rows.items():
        mine = [p for p in points if (p.contestant, p.size) == (contestant, size)]
        assert float(row["test_mean"]) == pytest.approx(statistics.fmean(p.test_accuracy for p in mine))
        assert float(row["test_min"]) == pytest.approx(min(p.test_accuracy for p in mine))
        assert int(row["seeds"]) == len(mine)
    assert rows[("lora", 8)]["dev_mean"] and not rows[("counted", 8)]["dev_mean"]
    assert "ISA, `lexicon` table (no labels) | none | 1" in (out / "curve.md").read_text()
    assert (out / "curve.png").stat().st_size > 10_000 and (out / "curve.svg").is_file()
    for name in ("curve.csv", "curve.md", "curve.png", "points.jsonl"):  # readable as any file the user makes
        assert (out / name).stat().st_mode & 0o777 == 0o666 & ~safe_io._UMASK, name

    # Other settings are refused, never mixed in.
    assert cli(argv(base, out, "--min-steps", "2")) == 2


def test_a_small_subset_trains_many_epochs_and_reads_dev_three_times(base, tmp_path):
    """8 sentences in batches of 16 are one step an epoch: --min-steps 12 trains 12 epochs and reads dev after
    epochs 4, 8 and 12 (every ceil(12 / 3)); the point keeps the best of those, and its card says which were read."""
    out = tmp_path / "curve"
    assert cli(["curve", "--task", "sentiment", "--init", str(base), "--sizes", "8", "--seeds", "1", "--min-steps",
                "12", "--contestants", "lora", "--out", str(out)]) == 0
    record = json.loads((out / "lora-n8-s0" / "finetune.json").read_text())
    assert (record["config"]["epochs"], record["config"]["eval_every"]) == (12, 4)
    read = {h["epoch"]: h["dev_accuracy"] for h in record["history"] if h["dev_accuracy"] is not None}
    assert list(read) == [4, 8, 12] and len(record["history"]) == 12
    assert record["best_epoch"] in read and record["best_dev_accuracy"] == max(read.values())
    assert "--eval-every 4" in record["reproduce"]
    assert "| 1 | " in (card := (out / "lora-n8-s0" / "README.md").read_text()) and "not read" in card
    assert json.loads((out / "curve.json").read_text())["dev_reads"] == 3


def test_dev_is_read_after_every_ceil_epochs_over_three_epochs():
    s = curve_points.CurveSettings("sentiment")
    assert [curve_points.eval_every_for(e, s) for e in (3, 4, 8, 13, 30)] == [1, 2, 3, 5, 10]


def test_the_isa_tables_on_the_whole_split_score_as_the_run_side_does(tmp_path):
    """At 1,390 sentences the subset is the train split: `counted` is the table `isabench run` uses."""
    from bench.tasks import get_task
    from bench.train_data import labelled_splits

    out = tmp_path / "curve"
    assert cli(["curve", "--task", "sentiment", "--sizes", "1390", "--seeds", "1", "--contestants",
                "counted,lexicon", "--out", str(out)]) == 0
    task, (_, data) = get_task("sentiment"), labelled_splits("sentiment")
    texts, gold = data["test"]
    for point in curve_points.read_points(out):
        answers = task.solve_isa_batch(texts, variant=point.contestant).values
        assert point.test_correct == sum(a == task.labels[g] for a, g in zip(answers, gold))
        assert point.test_n == 397


@pytest.mark.parametrize("more, message", [
    (["--sizes", "0"], "--sizes must name at least one size"),
    (["--sizes", "8,x"], "--sizes must be whole numbers"),
    (["--contestants", "lora,gpt"], "--contestants must name some of"),
    (["--task", "add"], "needs a labelled task"),
])
def test_bad_curve_input_is_a_message_and_exit_2(base, tmp_path, capsys, more, message):
    assert cli(argv(base, tmp_path / "c", *more)) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_the_curve_table_row_is_its_seeds_mean_spread_pooled_interval_and_cpu_seconds():
    """summarise() by hand-made points: every figure of a row of curve.csv / curve.md, seeds in seed order."""
    from bench.curve_table import markdown, summarise
    from bench.stats import wilson

    def point(contestant, size, seed, correct, dev, cpu):
        return curve_points.Point(contestant, size, seed, correct, 40, dev, None if dev is None else 4, cpu, cpu + 1,
                                  None)

    points = [point("lexicon", 0, 0, 25, None, 0.5), point("lora", 8, 2, 16, 0.4, 30.0),
              point("lora", 8, 0, 30, 0.9, 10.0), point("lora", 8, 1, 20, 0.5, 14.0)]
    lora, lexicon = summarise(points)
    assert lora == {"contestant": "lora", "size": 8, "seeds": 3, "test_mean": pytest.approx(0.55), "test_min": 0.4,
                    "test_max": 0.75, "test_by_seed": "0.7500 0.5000 0.4000",
                    "pooled_ci95_lo": pytest.approx(wilson(66, 120)[0]),
                    "pooled_ci95_hi": pytest.approx(wilson(66, 120)[1]), "test_n": 40,
                    "dev_mean": pytest.approx(0.6), "epochs": 4, "cpu_s_mean": pytest.approx(18.0)}
    assert (lexicon["size"], lexicon["test_mean"], lexicon["dev_mean"], lexicon["epochs"]) == (0, 0.625, None, None)
    assert "| LoRA fine-tuning | 8 | 3 | **55.0 %** (40.0 % - 75.0 %) |" in markdown([lora, lexicon])
    assert "| 60.0 % | 4 | 18.0 |" in markdown([lora, lexicon])


def test_an_isa_point_times_counting_and_answering_on_both_clocks(monkeypatch):
    """cpu_s and wall_s of an ISA point: from before its table is made to after the test split is answered."""
    from types import SimpleNamespace

    readings = {"perf_counter": iter([100.0, 103.5]), "process_time": iter([10.0, 12.25])}
    monkeypatch.setattr(curve_points, "time", SimpleNamespace(**{k: (lambda it=it: next(it))
                                                                 for k, it in readings.items()}))
    point = curve_points.isa_point(curve_points.CurveSettings("sentiment"), "counted", 16, 0)
    assert (point.cpu_s, point.wall_s, point.size, point.test_n) == (2.25, 3.5, 16, 397)
