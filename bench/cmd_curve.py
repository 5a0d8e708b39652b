"""`isabench curve`: how many labelled sentences each side needs (the seed's labelling-cost question).

    isabench curve --task sentiment --sizes 16,64,256,1390 --seeds 3 --out runs/curve
    isabench curve --task sentiment --sizes 16,64 --seeds 2 --out runs/curve-small     # a few minutes

At each size and seed, LoRA and full fine-tuning of minilm (each through `isabench finetune --train-size N
--seed S`) and the register machine's `counted` table learn from the same stratified subset of the train split;
the `lexicon` table, written by people, learns from none. All answer the same test sentences. The output folder
gets one finetune folder per fine-tuned point, points.jsonl (a line per finished point), curve.csv, curve.md and
curve.png / .svg. A killed curve resumes when the same command is run again (more sizes or seeds may be added).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    from bench.curve_points import CurveSettings

    d = CurveSettings(task="")
    p.add_argument("--task", default="sentiment", help="the labelled task (default sentiment)")
    p.add_argument("--sizes", default="16,64,256,1390",
                   help="train-subset sizes, comma-separated (default 16,64,256,1390; 1390 is the whole split)")
    p.add_argument("--seeds", type=int, default=3,
                   help="seeds 0..N-1 per size: each draws its own subset, head and shuffles (default 3)")
    p.add_argument("--out", type=Path, help="output folder (required)")
    p.add_argument("--init", default=d.init, help=f"the encoder both fine-tunings start from (default {d.init})")
    p.add_argument("--contestants", default=",".join(d.contestants),
                   help=f"which to run, comma-separated (default {','.join(d.contestants)})")
    p.add_argument("--min-steps", type=int, default=d.min_steps,
                   help="fine-tune for 3 epochs, or as many more as give at least this many optimizer steps "
                        f"(small subsets: 16 sentences are 1 step an epoch) (default {d.min_steps})")
    p.add_argument("--dev-reads", type=int, default=d.dev_reads,
                   help="read dev after every ceil(epochs / N) epochs and the last; a point keeps the best epoch read "
                        f"(default {d.dev_reads}: at most 3 reads, as the whole split's 3 epochs get)")
    p.add_argument("--threads", type=int, default=d.threads, help=f"torch CPU threads (default {d.threads})")


def parse_sizes(spec: str) -> list[int]:
    try:
        sizes = [int(part) for part in spec.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"--sizes must be whole numbers separated by commas, got {spec!r}") from None
    if not sizes or any(n < 1 for n in sizes):
        raise ValueError(f"--sizes must name at least one size, each at least 1, got {spec!r}")
    return sorted(set(sizes))


def main(args) -> int:
    from bench.curve_points import FINETUNED, CurveSettings, run_points
    from bench.curve_table import plot_curve, write_tables
    from bench.train_data import labelled_tasks

    started = time.perf_counter(), time.process_time()
    try:
        if args.out is None:
            raise ValueError("--out FOLDER is required: where the points, the table and the plot go")
        if args.task not in labelled_tasks():
            raise ValueError(f"unknown task {args.task!r} for curve: it needs a labelled task; known: "
                             f"{', '.join(labelled_tasks())}")
        contestants = tuple(c.strip() for c in args.contestants.split(",") if c.strip())
        known = (*FINETUNED, "counted", "lexicon")
        if not contestants or any(c not in known for c in contestants):
            raise ValueError(f"--contestants must name some of {', '.join(known)}, got {args.contestants!r}")
        if min(args.seeds, args.min_steps, args.dev_reads, args.threads) < 1:
            raise ValueError("--seeds, --min-steps, --dev-reads and --threads must be at least 1")
        sizes = parse_sizes(args.sizes)
        settings = CurveSettings(args.task, args.init, contestants, args.min_steps, dev_reads=args.dev_reads,
                                 threads=args.threads)
        points = run_points(args.out, settings, sizes, args.seeds)
    except (ValueError, OSError, RuntimeError) as e:
        print(f"isabench curve: {e}", file=sys.stderr)
        return 2
    wall, cpu = time.perf_counter() - started[0], time.process_time() - started[1]
    paths = write_tables(args.out, points) + plot_curve(
        args.out, points, args.task, args.init, f"This invocation: {wall:.0f} wall-s, {cpu:.0f} CPU-s, {args.threads} torch "
                                     "thread(s).")
    print((args.out / "curve.md").read_text())
    print(f"{len(points)} points; written {', '.join(str(p) for p in paths)} ({wall:.0f} wall-s, {cpu:.0f} CPU-s)",
          file=sys.stderr)
    return 0
