"""Every figure of a run, into its plots/ folder: the generic ones (bench/plots.py, bench/plots_cost.py), the
trade-off (bench/plots_tradeoff.py), each task's own (Task.figure names it) and a suite's (bench/plots_suite.py).

`note` is the hardware line under each title: a string, or a function of the rows a figure draws, so that a figure
of one task names only the models that answered it.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from bench.plot_style import tasks_of
from bench.plots import plot_accuracy, plot_ratio, plot_time
from bench.plots_cost import plot_cost
from bench.plots_tradeoff import plot_tradeoff
from bench.safe_io import make_folder
from bench.suites import PAPER_NAMES
from bench.tasks import TASKS

Note = str | Callable[[pd.DataFrame], str]


def plot_all(summary: pd.DataFrame, out: str | Path, note: Note = "", suite: str | None = None) -> list[Path]:
    """Every figure, into `out`; returns the files written. `suite`: the run's suite (its cells get names and a
    figure of their own)."""
    if summary.empty:
        raise ValueError("nothing to plot: the summary has no rows (no records yet?)")
    caption = note if callable(note) else (lambda rows: note)
    out = make_folder(out)  # refuses a link at plots/
    everything = caption(summary)
    paths = plot_accuracy(summary, out, everything, ticks=cell_names(summary) if suite else None)
    paths += plot_time(summary, out, everything)
    # Work and ratio figures need the sides that define them; an ISA-only or reference-only run has no ratio.
    if summary[["instructions_per_answer", "flops_per_answer"]].notna().any().any():
        paths += plot_cost(summary, out, everything)
    if summary["total_ratio_to_isa"].notna().any():
        paths += plot_ratio(summary, out, everything)
    contestants = summary.loc[summary["backend"] != "reference", "contestant"].nunique()
    if contestants >= 2:  # a trade-off needs two to weigh
        paths += plot_tradeoff(summary, out, everything)
    if suite:
        from bench.plots_suite import cells_of, plot_suite

        cells = set(cells_of(summary, suite))
        mine = summary[[(t, int(d)) in cells for t, d in zip(summary["task"], summary["difficulty"])]]
        paths += plot_suite(summary, out, suite, caption(mine))
    return paths + task_figures(summary, out, caption)


def cell_names(summary: pd.DataFrame) -> dict[str, dict]:
    """task -> {level: "2 (2D+)"} for the levels a paper names (the GPT-3 suite's cells)."""
    out: dict[str, dict] = {}
    for (task, d) in PAPER_NAMES:
        if ((summary["task"] == task) & (summary["difficulty"] == d)).any():
            out.setdefault(task, {})[d] = f"{d} ({PAPER_NAMES[(task, d)]})"
    return out


def task_figures(summary: pd.DataFrame, out: Path, caption: Callable[[pd.DataFrame], str]) -> list[Path]:
    """Each task's own figure (Task.figure names its function), for the tasks the summary holds; its hardware line
    names that task's models only."""
    paths = []
    for name in tasks_of(summary):
        hook = getattr(TASKS.get(name), "figure", None)
        if hook:
            module, function = hook.split(":")
            mine = summary[summary["task"] == name]
            paths += getattr(importlib.import_module(module), function)(mine, out, caption(mine))
    return paths
