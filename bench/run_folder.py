"""A run's folder: what lives in it, and regenerating the summary, tables and figures from its records alone.

    RUN/records.jsonl   per-sample records (the ground truth, appended as work finishes)
    RUN/records.rejected.jsonl  lines of records.jsonl that were not records, moved aside as they were
    RUN/meta.json       command, seed, versions, model identity, machine, set-up times
    RUN/summary.csv     one row per task x difficulty x contestant
    RUN/breakdown.csv   accuracy overall and per facet (site, operand lengths) per task x contestant
    RUN/comparisons.csv every two contestants on the same instances: paired tests and intervals (bench/comparisons.py)
    RUN/report.md, RUN/report.tex, RUN/plots/*.png|svg
    RUN/lm_eval/<contestant>/results_<date>.json  lm-evaluation-harness's results shape (bench/lm_eval_results.py)
    RUN/.lock           held while a run writes into the folder

Everything but the records is derived: a file that cannot be written (a read-only folder, a full disk) is said and
skipped, never fatal, and the tables are still printed.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bench import records, safe_io
from bench.meta import hardware_line, models_in, shape_problem
from bench.breakdown import breakdown, markdown_section
from bench.report import latex, markdown
from bench.run_facts import facts_of
from bench.summary import summarise

META_FILE = "meta.json"
SUMMARY_FILE = "summary.csv"
BREAKDOWN_FILE = "breakdown.csv"


@dataclass
class Written:
    """What a command wrote, and what it could not (each as "could not write PATH: why")."""

    paths: list[Path] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def file(self, path: Path, text: str) -> None:
        try:
            safe_io.write_atomic(path, text)
        except OSError as e:
            self.failures.append(f"could not write {path}: {reason(e)}")
        else:
            self.paths.append(path)

    def figures(self, out: Path, summary: pd.DataFrame, meta: dict) -> None:
        from bench.figures import plot_all  # matplotlib only when figures are wanted

        def caption(rows: pd.DataFrame) -> str:  # the hardware line naming only the models of a figure's rows
            return hardware_line(meta, models_in(rows)) if meta else ""

        try:
            self.paths += plot_all(summary, Path(out) / "plots", caption, meta.get("suite"))
        except OSError as e:
            self.failures.append(f"could not write the figures in {Path(out) / 'plots'}: {reason(e)}")

    def say(self, command: str) -> None:
        """On stderr: what was written, then what was not."""
        if self.paths:
            print("wrote " + ", ".join(str(p) for p in self.paths), file=sys.stderr)
        for failure in self.failures:
            print(f"{command}: {failure}", file=sys.stderr)


def reason(e: OSError) -> str:
    return str(e) if isinstance(e, safe_io.LinkRefused) or not e.strerror else f"{e.strerror} (errno {e.errno})"


def read_meta(run: str | Path) -> dict:
    """meta.json as an object of the shape bench.meta.SHAPE describes; {} when there is none; ValueError else."""
    path = Path(run) / META_FILE
    if not path.exists():
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except ValueError as e:
        raise ValueError(f"{path} is not valid JSON ({e}); it is ignored, and rewritten by the next `isabench run`") \
            from e
    problem = shape_problem(meta)
    if problem:
        raise ValueError(f"{path}: {problem}; it is ignored, and rewritten by the next `isabench run`")
    return meta


def usable_meta(run: str | Path) -> dict:
    """meta.json when it is sound; a damaged one is said and taken as missing, never fatal."""
    try:
        return read_meta(run)
    except (ValueError, OSError) as e:
        print(f"note: {e}", file=sys.stderr)
        return {}


def resume_conflict(run: str | Path, meta: dict, seed: int, split: str, data_key: str | None,
                    versions: dict[str, int]) -> str | None:
    """Why this folder cannot take the run, or None. Its records were drawn with one seed, split, data file and
    task versions; mixing others in would merge them into one summary row under one label. The records carry all
    four, so a missing or damaged meta.json (a run killed before its first end) cannot hide a conflict."""
    now = {"--seed": seed, "--split": split, "--data": data_key}
    held = {"--seed": meta.get("seed"), "--split": meta.get("split"), "--data": (meta.get("data") or {}).get("split_key")}
    for flag, value in held.items() if meta else ():
        if value != now[flag] and (value is not None or flag == "--data"):
            return differs(flag, value, now[flag])
    for name, info in (meta.get("tasks") or {}).items():
        if name in versions and info.get("version") not in (None, versions[name]):
            return differs_version(name, info["version"], versions[name])
    path = Path(run) / records.RECORDS_FILE
    recs = records.load(path, warn=False).records if path.is_file() else []
    for r in recs:
        if type(r.get("seed")) is not int or type(r.get("split")) is not str:
            return (f"its records do not say which --seed and --split drew them ({path}, key {r['key']!r}), so this "
                    "run cannot be checked against them; give this run its own --out")
        if r["seed"] != seed:
            return differs("--seed", r["seed"], seed)
        if r["split"] != (data_key or split):  # a --data run's split is its file's key
            from_file = r["split"] if r["split"].startswith("data:") else None
            if from_file or data_key:
                return differs("--data", from_file, data_key)
            return differs("--split", r["split"], split)
        if r["task"] in versions and r.get("task_version") not in (None, versions[r["task"]]):
            return differs_version(r["task"], r["task_version"], versions[r["task"]])
    return None


def differs(flag: str, held, now) -> str:
    return f"this folder holds a run with {flag} {shown(held)}, not {shown(now)}; give this run its own --out"


def differs_version(task: str, held, now) -> str:
    return f"this folder holds {task} version {held} records, not version {now}; give this run its own --out"


def shown(value) -> str:
    return "(none)" if value is None else str(value)


def meta_text(meta: dict) -> str:
    return json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n"


def write_meta(run: str | Path, meta: dict) -> None:
    safe_io.write_atomic(Path(run) / META_FILE, meta_text(meta))


def check_run(run: str | Path) -> Path:
    run = Path(run)
    if not run.is_dir():
        raise FileNotFoundError(f"no run folder at {run} (expected the --out folder of `isabench run`)")
    if not (run / records.RECORDS_FILE).exists():
        raise FileNotFoundError(f"{run} holds no {records.RECORDS_FILE}: not an `isabench run` folder, or nothing "
                                "finished yet")
    return run


def load_records(run: str | Path) -> list[dict]:
    """The run's records of tasks this isabench knows; records of any other task are said and left out."""
    from bench.tasks import TASKS

    path = check_run(run) / records.RECORDS_FILE
    recs = records.load(path).records
    unknown = sorted({r["task"] for r in recs if r["task"] not in TASKS})
    if unknown:
        count = sum(r["task"] not in TASKS for r in recs)
        print(f"note: {path}: {count} record(s) of task(s) this isabench does not know ({', '.join(unknown)}) are "
              f"not counted; known tasks: {', '.join(TASKS)}", file=sys.stderr)
    return [r for r in recs if r["task"] in TASKS]


def load_summary(run: str | Path) -> pd.DataFrame:
    return summarise(load_records(run))


def write_summary(written: Written, run: str | Path, summary: pd.DataFrame, facets: pd.DataFrame | None = None):
    written.file(Path(run) / SUMMARY_FILE, summary.to_csv(index=False, float_format="%.6g"))
    if facets is not None:
        written.file(Path(run) / BREAKDOWN_FILE, facets.to_csv(index=False, float_format="%.6g"))


def write_tables(written: Written, out: str | Path, summary: pd.DataFrame, meta: dict,
                 title: str = "isabench results", facets: pd.DataFrame | None = None,
                 comparisons: pd.DataFrame | None = None) -> None:
    out = Path(out)
    hw = hardware_line(meta) if meta else "hardware not recorded"
    from bench.suites import paper_table

    extra = (markdown_section(facets) if facets is not None else "") + ("\n" + paper_table(summary)
                                                                        if meta.get("suite") else "")
    from bench import comparisons_table

    extra += comparisons_table.markdown_section(comparisons)
    from bench.extraction import markdown_section as extraction_section

    extra += extraction_section(summary)
    facts = facts_of(meta)  # the command, date, conditions; the interruption and the incomplete levels
    written.file(out / "report.md", markdown(summary, hw, title, extra, facts))
    written.file(out / "report.tex", latex(summary, hw, title, facts) + comparisons_table.latex_table(comparisons))


def rebuild(run: str | Path, meta: dict, written: Written, plots: bool = True) -> pd.DataFrame:
    """summary.csv, breakdown.csv, report.md, report.tex (and the figures) from the run's records alone."""
    recs = load_records(run)
    summary = summarise(recs)
    if summary.empty:
        return summary
    facets = breakdown(recs)
    pairs = write_comparisons(written, run, recs)
    write_summary(written, run, summary, facets)
    write_tables(written, run, summary, meta, facets=facets, comparisons=pairs)
    from bench.lm_eval_results import write_results

    write_results(written, run, recs, meta)
    if plots:
        written.figures(run, summary, meta)
    return summary


def write_comparisons(written: Written, run: str | Path, recs: list[dict]) -> pd.DataFrame:
    """comparisons.csv: every two contestants of the run on their shared instances (bench/comparisons.py)."""
    from bench.comparisons import within_run
    from bench.comparisons_table import COMPARISONS_FILE

    pairs = within_run(recs)
    written.file(Path(run) / COMPARISONS_FILE, pairs.to_csv(index=False, float_format="%.6g"))
    return pairs
