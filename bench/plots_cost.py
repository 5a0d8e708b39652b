"""Work per answer, in each unit on its own axis: the register machine's instructions executed (left column) and a
model's floating-point operations (right column), one row per task, log scales. The hybrid does both: its model's
FLOPs writing the program, and the instructions the program ran.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from bench.plot_style import legend_entry, series, tasks_of
from bench.plots import finish, panels

UNITS = (("instructions_per_answer", "instructions", "instructions executed per answer"),
         ("flops_per_answer", "FLOPs", "FLOPs per answer"))
TITLES = {"instructions": "instructions executed", "FLOPs": "FLOPs (≈ 2 × params × tokens)"}


def plot_cost(summary: pd.DataFrame, out: Path, note: str = "") -> list[Path]:
    has = {(task, unit) for task in tasks_of(summary) for column, unit, _ in UNITS
           if summary.loc[summary["task"] == task, column].notna().any()}
    if not has:
        return []
    both = len({unit for _, unit in has}) == 2  # then a row per task: instructions left, FLOPs right
    keys = [(task, unit) for task in tasks_of(summary) for _, unit, _ in UNITS if both or (task, unit) in has]
    fig, axes = panels(keys, "Work per answer vs difficulty (log), each unit on its own axis: instructions the "
                             "register machine executed; FLOPs of a model's forward passes", cols=2 if both else 3)
    for key in set(keys) - has:  # a task without this unit: its place in the row stays empty
        axes.pop(key).set_visible(False)
    for line in series(summary, dodge=True):
        for column, unit, _ in UNITS:
            ax = axes.get((line.task, unit))
            if ax is None or line.rows[column].isna().all():
                continue
            ax.plot(line.x, line.rows[column], "-", marker=line.marker, color=line.color, markersize=5.5)
            legend_entry(ax, line)
    ylabels = {key: text for key in keys for _, unit, text in UNITS if key[1] == unit}
    titles = {key: f"{key[0]}: {TITLES[key[1]]}" for key in keys}
    return finish(fig, axes, summary, ylabels, out, "cost", note, log=True, titles=titles)
