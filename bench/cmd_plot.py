"""`isabench plot RUN`: the figures (PNG + SVG) regenerated from a run's saved records, or from a benchmark JSON."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", type=Path, help="a run folder (the --out of `isabench run`) or a pytest-benchmark JSON")
    p.add_argument("--out", type=Path, default=None, help="folder for plots/ (default: the run folder)")


def main(args) -> int:
    from bench import run_folder
    from bench.from_benchmark import is_benchmark_json, load_benchmark

    if is_benchmark_json(args.run):
        try:
            summary, meta = load_benchmark(args.run)
        except ValueError as e:
            print(f"isabench plot: {e}", file=sys.stderr)
            return 1
        out = args.out or args.run.with_name(f"{args.run.stem}-report")
    else:
        try:
            summary = run_folder.load_summary(args.run)
        except (FileNotFoundError, ValueError) as e:
            print(f"isabench plot: {e}", file=sys.stderr)
            return 2
        meta, out = run_folder.usable_meta(args.run), args.out or args.run
    if summary.empty:
        print(f"isabench plot: {args.run} has no readable records yet", file=sys.stderr)
        return 1
    written = run_folder.Written()
    written.figures(out, summary, meta)
    for path in written.paths:
        print(path)
    for failure in written.failures:
        print(f"isabench plot: {failure}", file=sys.stderr)
    return 1 if written.failures else 0
