"""`isabench report RUN`: summary.csv, comparisons.csv, report.md and report.tex regenerated from the run's saved
records alone.

Given a pytest-benchmark JSON file instead (or `--from-benchmark FILE`), the same tables, plus the figures, are made
from its task benchmarks, and the ISA's tier and harness-path benchmarks become tables of their own (isa_tiers.md,
isa_harness.md); they go next to it in <FILE stem>-report/ unless --out says otherwise. A file with none of these
gets a message saying what it holds (exit 1). The tables are printed even where they cannot be written (a read-only
folder): the command then says what it could not write and exits 1.
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
    except (FileNotFoundError, ValueError) as e:
        print(f"isabench report: {e}", file=sys.stderr)
        return 2
    meta = run_folder.usable_meta(source)
    summary = summarise(recs)
    if summary.empty:
        print(f"isabench report: {source} has no readable records yet", file=sys.stderr)
        return 1
    out, written = args.out or source, run_folder.Written()
    facets = breakdown(recs)
    pairs = run_folder.write_comparisons(written, out, recs)
    run_folder.write_summary(written, out, summary, facets)
    run_folder.write_tables(written, out, summary, meta, facets=facets, comparisons=pairs)
    return show(summary, meta, args.format, {}, written)


def report_benchmark(source: Path, args) -> int:
    """A pytest-benchmark JSON: its task benchmarks as a run's tables and plots, its ISA benchmarks as tables of
    their own (bench/from_benchmark.py), next to it in <stem>-report/ unless --out says otherwise."""
    from bench import from_benchmark as fb
    from bench import run_folder

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
    out, written = args.out or source.with_name(f"{source.stem}-report"), run_folder.Written()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        written.failures.append(f"could not make {out}: {run_folder.reason(e)}")
    else:
        if not summary.empty:
            run_folder.write_summary(written, out, summary)
            run_folder.write_tables(written, out, summary, meta, "isabench benchmark results")
            written.figures(out, summary, meta)
        for name, text in tables.items():
            written.file(out / name, text)
    return show(summary, meta, args.format, tables, written)


def show(summary, meta: dict, fmt: str, tables: dict[str, str], written) -> int:
    """Print the summary in the chosen format (if it has rows) and the ISA tables (Markdown); say what was written
    and what could not be. The exit status: 1 when something could not be written."""
    from bench.meta import hardware_line
    from bench.report import latex, markdown, text_table
    from bench.run_facts import facts_of

    hw = hardware_line(meta) if meta else "hardware not recorded"
    facts = facts_of(meta or {})
    parts = []
    if not summary.empty:
        parts.append({"text": lambda: text_table(summary, facts) + f"\n\nHardware: {hw}",
                      "markdown": lambda: markdown(summary, hw, facts=facts),
                      "latex": lambda: latex(summary, hw, facts=facts)}[fmt]())
    parts += list(tables.values())
    if tables and summary.empty:
        parts.append(f"Hardware: {hw}")
    print("\n\n".join(parts))
    written.say("isabench report")
    return 1 if written.failures else 0
