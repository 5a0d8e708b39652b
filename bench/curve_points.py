"""The points of a learning curve (`isabench curve`): at each train-subset size and seed, each contestant learns from
the same stratified subset (bench.train_data.train_subset) and answers the same test sentences.

Contestants: fine-tuning through `isabench finetune` (LoRA and full, each point its own finetune folder, resumable),
the register machine's `counted` table counted on the subset, and its `lexicon` table, written by people, which
needs no labels (one point, a flat line). Every finished point is a line of points.jsonl, rewritten atomically, so a
killed curve keeps what it finished and the same command goes on from there.
"""
from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.safe_io import write_atomic

POINTS = "points.jsonl"
SETTINGS = "curve.json"
FINETUNED = {"lora": "lora", "full": "none"}  # contestant -> its --peft method
NO_LABELS = 0  # the size a contestant that learns nothing from labels is plotted at


@dataclass(frozen=True)
class CurveSettings:
    """What every point shares; a folder holding points of other settings is refused, never mixed."""

    task: str
    init: str = "minilm"  # the encoder both fine-tunings start from
    contestants: tuple[str, ...] = ("lora", "full", "counted", "lexicon")
    min_steps: int = 30  # a small subset trains for more epochs, so that every size gets at least this many updates
    dev_reads: int = 3  # dev is read after every ceil(epochs / 3) epochs and the last: at most 3 times (2 at 4
    # epochs), as the whole split's 3 epochs are; on 16 sentences (30 one-step epochs) a dev pass after each was 80 %
    # of the point's time
    batch_size: int = 16
    threads: int = 1


@dataclass
class Point:
    contestant: str
    size: int  # labelled train sentences it learnt from (0: none)
    seed: int
    test_correct: int
    test_n: int
    dev_accuracy: float | None  # the fine-tuned point's kept epoch, picked on the full dev split; None for the ISA
    epochs: int | None
    cpu_s: float  # training (or counting the table) and dev evaluation, process CPU seconds
    wall_s: float
    folder: str | None  # the finetune folder, relative to the curve's

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.contestant, self.size, self.seed)

    @property
    def test_accuracy(self) -> float:
        return self.test_correct / self.test_n


def epochs_for(size: int, s: CurveSettings) -> int:
    """The shipped recipe's 3 epochs, or more where the subset is small: at least s.min_steps optimizer steps."""
    return max(3, math.ceil(s.min_steps / math.ceil(size / s.batch_size)))


def eval_every_for(epochs: int, s: CurveSettings) -> int:
    return math.ceil(epochs / s.dev_reads)


def read_points(out: Path) -> list[Point]:
    path = out / POINTS
    if not path.is_file():
        return []
    points = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        try:
            points.append(Point(**json.loads(line)))
        except (ValueError, TypeError) as e:
            raise ValueError(f"{path}:{number} is not a curve point ({e}); remove the line or use another --out") \
                from None
    return points


def save_points(out: Path, points: list[Point]) -> None:
    write_atomic(out / POINTS, "".join(json.dumps(asdict(p)) + "\n" for p in points))


def check_settings(out: Path, s: CurveSettings) -> None:
    """Write the settings into a new curve folder; refuse a folder whose points were made with others."""
    path = out / SETTINGS
    now = json.loads(json.dumps(asdict(s)))
    if path.is_file():
        saved = json.loads(path.read_text())
        diff = {k: (saved.get(k), v) for k, v in now.items() if saved.get(k) != v}
        if diff:
            pairs = ", ".join(f"{k}: saved {a!r} vs now {b!r}" for k, (a, b) in diff.items())
            raise ValueError(f"{out} holds a curve made with other settings ({pairs}); use the same settings or "
                             "another --out")
    elif out.is_dir() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty and holds no curve; use an empty or new folder")
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(now, indent=2) + "\n")


def finetune_point(out: Path, s: CurveSettings, contestant: str, size: int, seed: int, log) -> Point:
    """Fine-tune on the subset through `isabench finetune` (which resumes a killed point), or read a finished one."""
    import argparse

    from bench import cmd_finetune
    from llm.classifier import read_record

    folder = out / f"{contestant}-n{size}-s{seed}"
    record = read_record(folder) if folder.is_dir() else {}
    if not record.get("finished"):
        epochs = epochs_for(size, s)
        argv = ["--task", s.task, "--init", s.init, "--peft", FINETUNED[contestant], "--train-size", str(size),
                "--seed", str(seed), "--epochs", str(epochs), "--eval-every", str(eval_every_for(epochs, s)),
                "--batch-size", str(s.batch_size), "--threads", str(s.threads), "--out", str(folder)]
        parser = argparse.ArgumentParser(prog="isabench finetune")
        cmd_finetune.add_arguments(parser)
        log(f"{contestant} on {size} sentences, seed {seed}: isabench finetune {' '.join(argv)}")
        if cmd_finetune.main(parser.parse_args(argv)) != 0:
            raise RuntimeError(f"the fine-tuning of {folder} failed (its messages are above)")
        record = read_record(folder)
    test = record["test"]
    return Point(contestant, size, seed, test["correct"], test["n"], record["best_dev_accuracy"],
                 record["config"]["epochs"], record["cpu_s"], record["wall_s"], folder.name)


def isa_point(s: CurveSettings, contestant: str, size: int, seed: int) -> Point:
    """The register machine's table (counted on the subset, or the lexicon) scored on the test split."""
    from isa import sentiment
    from isa.sentiment_tables import counted_table, lexicon_table

    from bench.train_data import labelled_splits

    if s.task != "sentiment":
        raise ValueError(f"the ISA's tables learn from sentiment's labels only, not {s.task!r}")
    _, data = labelled_splits(s.task, size if contestant == "counted" else None, seed)
    wall, cpu = time.perf_counter(), time.process_time()
    table = counted_table(*data["train"]) if contestant == "counted" else lexicon_table()
    texts, gold = data["test"]
    done = sentiment.classify(texts, table, tier="jit")
    correct = sum(int(p) == g for p, g in zip(done.labels, gold))
    return Point(contestant, size, seed, correct, len(gold), None, None, round(time.process_time() - cpu, 2),
                 round(time.perf_counter() - wall, 2), None)


def plan(s: CurveSettings, sizes: list[int], seeds: int) -> list[tuple[str, int, int]]:
    """(contestant, size, seed) in the order they run: small subsets first, so a short run draws a whole curve."""
    keys = [("lexicon", NO_LABELS, 0)] if "lexicon" in s.contestants else []
    for size in sizes:
        for seed in range(seeds):
            keys += [(c, size, seed) for c in s.contestants if c != "lexicon"]
    return keys


def run_points(out: Path, s: CurveSettings, sizes: list[int], seeds: int, log=None) -> list[Point]:
    """Every planned point, the finished ones read back; each new one saved as soon as it is done."""
    log = log or (lambda m: print(m, file=sys.stderr))
    check_settings(out, s)
    points = read_points(out)
    done = {p.key for p in points}
    todo = [k for k in plan(s, sizes, seeds) if k not in done]
    if done:
        log(f"resuming: {len(done)} point(s) finished, {len(todo)} to go")
    for contestant, size, seed in todo:
        if contestant in FINETUNED:
            point = finetune_point(out, s, contestant, size, seed, log)
        else:
            point = isa_point(s, contestant, size, seed)
        points.append(point)
        save_points(out, points)
        log(f"{contestant} n={size} seed {seed}: test {point.test_correct}/{point.test_n} "
            f"({point.test_accuracy:.1%}), {point.cpu_s:.0f} CPU-s")
    return points
