"""A run's folder: what lives in it, and regenerating the summary, tables and figures from its records alone.

    RUN/records.jsonl   per-sample records (the ground truth, appended as work finishes)
    RUN/meta.json       command, seed, versions, model identity, machine, set-up times
    RUN/summary.csv     one row per task x difficulty x contestant
    RUN/breakdown.csv   accuracy overall and per facet (site, operand lengths) per task x contestant
    RUN/comparisons.csv every two contestants on the same instances: paired tests and intervals (bench/comparisons.py)
    RUN/report.md, RUN/report.tex, RUN/plots/*.png|svg
    RUN/.lock           held while a run writes into the folder
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from bench import records
from bench.meta import hardware_line
from bench.breakdown import breakdown, markdown_section
from bench.report import latex, markdown
from bench.summary import summarise

META_FILE = "meta.json"
SUMMARY_FILE = "summary.csv"
BREAKDOWN_FILE = "breakdown.csv"


def read_meta(run: str | Path) -> dict:
    path = Path(run) / META_FILE
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError as e:
        raise ValueError(f"{path} is not valid JSON ({e}); it is rewritten by the next `isabench run`") from e


def earlier_meta(run: str | Path) -> dict:
    """meta.json for a run about to extend the folder: a corrupt one is said and replaced, never fatal."""
    try:
        return read_meta(run)
    except ValueError as e:
        print(f"note: {e}", file=sys.stderr)
        return {}


def resume_conflict(meta: dict, seed: int, split: str, data_key: str | None, versions: dict[str, int]) -> str | None:
    """Why this folder cannot take the run, or None. Its records were drawn with one seed, split, data file and
    task versions; mixing others in would merge them into one summary row under one label."""
    if not meta:
        return None
    earlier = {"--seed": meta.get("seed"), "--split": meta.get("split"),
               "--data": (meta.get("data") or {}).get("split_key")}
    now = {"--seed": seed, "--split": split, "--data": data_key}
    for flag, value in earlier.items():
        if flag in ("--seed", "--split") and value is None:
            continue
        if value != now[flag]:
            return (f"this folder holds a run with {flag} {shown(value)}, not {shown(now[flag])}; "
                    f"give this run its own --out")
    for name, info in (meta.get("tasks") or {}).items():
        if name in versions and info.get("version") not in (None, versions[name]):
            return (f"this folder holds {name} version {info['version']} records, not version {versions[name]}; "
                    f"give this run its own --out")
    return None


def shown(value) -> str:
    return "(none)" if value is None else str(value)


def write_meta(run: str | Path, meta: dict) -> None:
    records.write_atomic(Path(run) / META_FILE, json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n")


def check_run(run: str | Path) -> Path:
    run = Path(run)
    if not run.is_dir():
        raise FileNotFoundError(f"no run folder at {run} (expected the --out folder of `isabench run`)")
    if not (run / records.RECORDS_FILE).exists():
        raise FileNotFoundError(f"{run} holds no {records.RECORDS_FILE}: not an `isabench run` folder, or nothing "
                                "finished yet")
    return run


def load_records(run: str | Path) -> list[dict]:
    return records.load(check_run(run) / records.RECORDS_FILE).records


def load_summary(run: str | Path) -> pd.DataFrame:
    return summarise(load_records(run))


def write_summary(run: str | Path, summary: pd.DataFrame, facets: pd.DataFrame | None = None) -> list[Path]:
    paths = [Path(run) / SUMMARY_FILE]
    records.write_atomic(paths[0], summary.to_csv(index=False, float_format="%.6g"))
    if facets is not None:
        paths.append(Path(run) / BREAKDOWN_FILE)
        records.write_atomic(paths[1], facets.to_csv(index=False, float_format="%.6g"))
    return paths


def write_tables(out: str | Path, summary: pd.DataFrame, meta: dict, title: str = "isabench results",
                 facets: pd.DataFrame | None = None, comparisons: pd.DataFrame | None = None) -> list[Path]:
    out = Path(out)
    hw = hardware_line(meta) if meta else "hardware not recorded"
    md, tex = out / "report.md", out / "report.tex"
    from bench.suites import paper_table

    extra = (markdown_section(facets) if facets is not None else "") + ("\n" + paper_table(summary)
                                                                        if meta.get("suite") else "")
    from bench import comparisons_table

    extra += comparisons_table.markdown_section(comparisons)
    records.write_atomic(md, markdown(summary, hw, title, extra))
    records.write_atomic(tex, latex(summary, hw, title) + comparisons_table.latex_table(comparisons))
    return [md, tex]


def rebuild(run: str | Path, meta: dict, plots: bool = True) -> tuple[pd.DataFrame, list[Path]]:
    """summary.csv, breakdown.csv, report.md, report.tex (and the figures) from the run's records alone."""
    recs = load_records(run)
    summary = summarise(recs)
    if summary.empty:
        return summary, []
    facets = breakdown(recs)
    pairs = write_comparisons(run, recs)
    written = write_summary(run, summary, facets) + write_tables(run, summary, meta, facets=facets, comparisons=pairs)
    if plots:
        written += write_plots(run, summary, meta)
    return summary, written


def write_comparisons(run: str | Path, recs: list[dict]) -> pd.DataFrame:
    """comparisons.csv: every two contestants of the run on their shared instances (bench/comparisons.py)."""
    from bench.comparisons import within_run
    from bench.comparisons_table import COMPARISONS_FILE

    pairs = within_run(recs)
    records.write_atomic(Path(run) / COMPARISONS_FILE, pairs.to_csv(index=False, float_format="%.6g"))
    return pairs


def write_plots(out: str | Path, summary: pd.DataFrame, meta: dict) -> list[Path]:
    from bench.figures import plot_all  # matplotlib only when figures are wanted

    note = hardware_line(meta) if meta else ""
    return plot_all(summary, Path(out) / "plots", note)
