"""`isabench report RUN`: summary.csv, report.md and report.tex regenerated from the run's saved records alone.

Given a pytest-benchmark JSON file instead (or `--from-benchmark FILE`), the same tables, plus the figures, are made
from its task benchmarks, and the ISA's tier and harness-path benchmarks become tables of their own (isa_tiers.md,
isa_harness.md); they go next to it in <FILE stem>-report/ unless --out says otherwise. A file with none of these
gets a message saying what it holds (exit 1).
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
    from bench.from_benchmark import is_benchmark_json
    from bench.summary import summarise

    source = args.from_benchmark or args.run
    if source is None:
        print("isabench report: give a run folder or --from-benchmark FILE", file=sys.stderr)
        return 2
    if args.from_benchmark or is_benchmark_json(source):
        return report_benchmark(source, args)
    try:
        recs = run_folder.load_records(source)
        meta = run_folder.read_meta(source)
    except (FileNotFoundError, ValueError) as e:
        print(f"isabench report: {e}", file=sys.stderr)
        return 2
    summary = summarise(recs)
    if summary.empty:
        print(f"isabench report: {source} has no readable records yet", file=sys.stderr)
        return 1
    out = args.out or source
    facets = breakdown(recs)
    pairs = run_folder.write_comparisons(out, recs)
    written = [*run_folder.write_summary(out, summary, facets), Path(out) / "comparisons.csv",
               *run_folder.write_tables(out, summary, meta, facets=facets, comparisons=pairs)]
    show(summary, meta, args.format, {}, written)
    return 0


def report_benchmark(source: Path, args) -> int:
    """A pytest-benchmark JSON: its task benchmarks as a run's tables and plots, its ISA benchmarks as tables of
    their own (bench/from_benchmark.py), next to it in <stem>-report/ unless --out says otherwise."""
    from bench import from_benchmark as fb
    from bench import records, run_folder

    if not source.is_file():
        print(f"isabench report: no benchmark JSON at {source}", file=sys.stderr)
        return 2
    try:
        data = fb.read(source)
    except ValueError as e:
        print(f"isabench report: {e}", file=sys.stderr)
        return 2
    summary, tables, meta = fb.summary_of(data), fb.tables_of(data), fb.meta_of(data)
    if summary.empty and not tables:
        print(f"isabench report: {fb.nothing_to_report(source, data)}", file=sys.stderr)
        return 1
    out = args.out or source.with_name(f"{source.stem}-report")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if not summary.empty:
        written += [*run_folder.write_summary(out, summary),
                    *run_folder.write_tables(out, summary, meta, "isabench benchmark results")]
        written += run_folder.write_plots(out, summary, meta)
    for name, text in tables.items():
        records.write_atomic(out / name, text)
        written.append(out / name)
    show(summary, meta, args.format, tables, written)
    return 0


def show(summary, meta: dict, fmt: str, tables: dict[str, str], written: list) -> None:
    """Print the summary in the chosen format (if it has rows) and the ISA tables (Markdown); list what was written."""
    from bench.meta import hardware_line
    from bench.report import latex, markdown, text_table

    hw = hardware_line(meta) if meta else "hardware not recorded"
    parts = []
    if not summary.empty:
        parts.append({"text": lambda: text_table(summary) + f"\n\nHardware: {hw}",
                      "markdown": lambda: markdown(summary, hw), "latex": lambda: latex(summary, hw)}[fmt]())
    parts += list(tables.values())
    if tables and summary.empty:
        parts.append(f"Hardware: {hw}")
    print("\n\n".join(parts))
    print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
