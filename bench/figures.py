"""Every figure of a run, into its plots/ folder: the generic ones (bench/plots.py), the trade-off
(bench/plots_tradeoff.py) and each task's own (Task.figure names it)."""
from __future__ import annotations

import importlib
from pathlib import Path

import pandas as pd

from bench.plots import plot_accuracy, plot_cost, plot_ratio, plot_time, tasks_of
from bench.safe_io import make_folder
from bench.plots_tradeoff import plot_tradeoff
from bench.tasks import TASKS


def plot_all(summary: pd.DataFrame, out: str | Path, note: str = "") -> list[Path]:
    """Every figure, into `out`; returns the files written."""
    if summary.empty:
        raise ValueError("nothing to plot: the summary has no rows (no records yet?)")
    out = make_folder(out)  # refuses a link at plots/
    paths = plot_accuracy(summary, out, note) + plot_time(summary, out, note)
    # Work and ratio figures need the sides that define them; an ISA-only or reference-only run has no ratio.
    if summary[["instructions_per_answer", "flops_per_answer"]].notna().any().any():
        paths += plot_cost(summary, out, note)
    if summary["total_ratio_to_isa"].notna().any():
        paths += plot_ratio(summary, out, note)
    contestants = summary.loc[summary["backend"] != "reference", "contestant"].nunique()
    if contestants >= 2:  # a trade-off needs two to weigh
        paths += plot_tradeoff(summary, out, note)
    return paths + task_figures(summary, out, note)


def task_figures(summary: pd.DataFrame, out: Path, note: str) -> list[Path]:
    """Each task's own figure (Task.figure names its function), for the tasks the summary holds."""
    paths = []
    for name in tasks_of(summary):
        hook = getattr(TASKS.get(name), "figure", None)
        if hook:
            module, function = hook.split(":")
            paths += getattr(importlib.import_module(module), function)(summary[summary["task"] == name], out, note)
    return paths
