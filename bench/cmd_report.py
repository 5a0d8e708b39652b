"""`isabench report RUN`: summary.csv, report.md and report.tex regenerated from the run's saved records alone.

Given a pytest-benchmark JSON file instead (or `--from-benchmark FILE`), the same tables, plus the figures, are made
from that file; they go next to it in <FILE stem>-report/ unless --out says otherwise. The tables are printed even
where they cannot be written (a read-only folder): the command then says what it could not write and exits 1.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", type=Path, nargs="?", help="a run folder (the --out of `isabench run`) or a benchmark JSON")
    p.add_argument("--from-benchmark", type=Path, default=None, metavar="FILE",
                   help="a pytest-benchmark JSON saved by `pytest --benchmark` (results/benchmarks/...)")
    p.add_argument("--out", type=Path, default=None, help="where to write (default: the run folder itself)")
    p.add_argument("--format", choices=("text", "markdown", "latex"), default="text", help="what to print")


def main(args) -> int:
    from bench import run_folder
    from bench.breakdown import breakdown
    from bench.summary import summarise
    from bench.from_benchmark import is_benchmark_json, load_benchmark
    from bench.meta import hardware_line
    from bench.report import latex, markdown, text_table

    source = args.from_benchmark or args.run
    if source is None:
        print("isabench report: give a run folder or --from-benchmark FILE", file=sys.stderr)
        return 2
    written = run_folder.Written()
    if args.from_benchmark or is_benchmark_json(source):
        if not source.is_file():
            print(f"isabench report: no benchmark JSON at {source}", file=sys.stderr)
            return 2
        summary, meta = load_benchmark(source)
        out = args.out or source.with_name(f"{source.stem}-report")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            written.failures.append(f"could not make {out}: {run_folder.reason(e)}")
        else:
            run_folder.write_summary(written, out, summary)
            run_folder.write_tables(written, out, summary, meta, "isabench benchmark results")
            written.figures(out, summary, meta)
    else:
        try:
            recs = run_folder.load_records(source)
        except (FileNotFoundError, ValueError) as e:
            print(f"isabench report: {e}", file=sys.stderr)
            return 2
        meta = run_folder.usable_meta(source)
        summary = summarise(recs)
        if summary.empty:
            print(f"isabench report: {source} has no readable records yet", file=sys.stderr)
            return 1
        out = args.out or source
        facets = breakdown(recs)
        run_folder.write_summary(written, out, summary, facets)
        run_folder.write_tables(written, out, summary, meta, facets=facets)
    hw = hardware_line(meta) if meta else "hardware not recorded"
    printed = {"text": lambda: text_table(summary) + f"\n\nHardware: {hw}", "markdown": lambda: markdown(summary, hw),
               "latex": lambda: latex(summary, hw)}[args.format]()
    print(printed)
    written.say("isabench report")
    return 1 if written.failures else 0
