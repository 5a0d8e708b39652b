"""The trade-off at a glance: accuracy against time per answer (log), every contestant of a task in one panel.

One point per level (labelled with it), Wilson 95 % bars, a line through a contestant's levels in order: the register
machine sits far left (microseconds), a language model far right, and the hybrid, which pays for a model writing
and a machine running, shows where their combination lands on both axes.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
from matplotlib import ticker

from bench.plot_style import coverage_keys, draw_points, series, tasks_of
from bench.plots import finish, panels


def plot_tradeoff(summary: pd.DataFrame, out: Path, note: str = "") -> list[Path]:
    rows = summary[summary["time_per_answer_s"].notna() & (summary["time_per_answer_s"] > 0)]
    if rows.empty:
        return []
    fig, axes = panels(tasks_of(rows), "Accuracy against time per answer (log): every contestant, one point per "
                                       "level (bars: Wilson 95 % CI)")
    for line in series(summary):  # the whole summary's styles: the same colours as every other figure
        line = replace(line, rows=line.rows.loc[line.rows.index.intersection(rows.index)])
        if line.rows.empty:
            continue
        ax, r = axes[line.task], line.rows
        acc = r["accuracy"] * 100
        err = [acc - r["accuracy_lo"] * 100, r["accuracy_hi"] * 100 - acc]
        ax.errorbar(r["time_per_answer_s"], acc, yerr=err, fmt="none", ecolor=line.color, capsize=2, linewidth=0.8)
        draw_points(ax, line, r["time_per_answer_s"], acc, size=4.5, linewidth=0.8)
        for x, y, d in zip(r["time_per_answer_s"], acc, r["difficulty"]):
            ax.annotate(f"d{int(d)}", (x, y), textcoords="offset points", xytext=(3, -9), fontsize=6.5,
                        color=line.color)
        ax.set_xscale("log")
        ax.xaxis.set_minor_locator(ticker.NullLocator())  # as on every other log axis (bench/plots.label_log_axis)
        ax.set_ylim(-5, 110)
    for task, ax in axes.items():
        ax.set_xlabel("seconds per answer (log), text in to answer out", fontsize=9)
    return finish(fig, axes, rows, "accuracy (%)", out, "tradeoff", note, by_difficulty=False,
                  keys=coverage_keys(rows))
