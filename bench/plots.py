"""Figures from a summary: accuracy, time per answer and the time ratio to the ISA against difficulty, one panel per
task, one colour and marker per contestant (bench/plot_style.py); work per answer is bench/plots_cost.py.

Made to be read right: accuracy has a Wilson 95 % error bar and its n under each level (or at each point where
contestants differ); hollow markers are levels the model never trained on, half-filled ones levels whose instances are
also its training data, and no line joins an untrained level to a trained one; every log axis has labelled ticks;
each title says which time it shows and what a ratio divides by. PNG to look at, SVG to print.
"""
from __future__ import annotations

import math
import textwrap
from dataclasses import replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from bench.plot_style import (coverage_keys, draw_points, geometric, labels, legend_entry, series,  # noqa: E402
                              tasks_of)
from bench.report import FEW, fmt_big  # noqa: E402
from bench.safe_io import save_figure  # noqa: E402

FORMATS = ("png", "svg")
PANEL_W, PANEL_H = 4.6, 3.4  # inches per task panel
TOP_IN, LEGEND_ROW_IN = 0.95, 0.3  # title (up to two lines) + hardware note above; one legend row below
FOOT_ROW_IN = 0.17  # one line of a footnote, under the legend
KEY_COLOR = "0.35"  # the grey of legend keys that explain a line style or a marker, not a contestant


def panels(tasks: list, title: str, cols: int = 3):
    cols = min(cols, len(tasks))
    rows = math.ceil(len(tasks) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(PANEL_W * max(cols, 2), PANEL_H * rows + TOP_IN + 0.7),
                             squeeze=False)
    for ax in axes.flat[len(tasks):]:
        ax.set_visible(False)
    fig.suptitle(textwrap.fill(title, width=int(fig.get_figwidth() * 11)), fontsize=11.5,
                 y=1 - 0.08 / fig.get_figheight())
    return fig, {t: ax for t, ax in zip(tasks, axes.flat)}


def axis_label(summary: pd.DataFrame, task: str) -> str:
    axis = summary.loc[summary["task"] == task, "axis"].dropna()
    return f"difficulty ({axis.iloc[0]})" if len(axis) and axis.iloc[0] else "difficulty"


def label_log_axis(ax) -> None:
    """Labelled ticks on a log axis whatever its span: at least a factor of 4 around flat data (so a near-constant
    line looks flat, not a cliff), 1-2-5 steps within a few decades, decades beyond; numbers as 200, 5k, 3.9G."""
    lo, hi = ax.get_ylim()
    if lo > 0 and hi / lo < 4:
        mid = math.sqrt(lo * hi)
        lo, hi = mid / 2, mid * 2
        ax.set_ylim(lo, hi)
    narrow = lo > 0 and hi / lo < 1e3
    ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0) if narrow else (1.0,)))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: short(v)) if narrow
                                 else ticker.LogFormatterSciNotation())
    # No minor ticks: unlabelled, they only cluttered the axis, and building them was the largest part of drawing
    # a run's figures (plot_all 12.9 -> 10.2 CPU-s on the default run).
    ax.yaxis.set_minor_locator(ticker.NullLocator())


def short(v: float) -> str:
    """A tick's number: 0.002, 50, 5k, 3.9G (three digits at most)."""
    return f"{v:g}" if abs(v) < 1e4 else fmt_big(v)


def task_of(key) -> str:
    """A panel's task: its key, or the key's first part for panels keyed (task, what)."""
    return key[0] if isinstance(key, tuple) else key


def finish(fig, axes: dict, summary: pd.DataFrame, ylabel: str | dict, out: Path, name: str, note: str = "",
           log: bool = False, footnote: str = "", by_difficulty: bool = True, keys: dict | None = None,
           ticks: dict | None = None, titles: dict | None = None) -> list[Path]:
    """Titles, labels, legend, hardware note; save as PNG and SVG. `by_difficulty`: the x axis is the level;
    `keys`: legend entries after the contestants' (label -> handle: what a line style or a fill means); `ticks`:
    task -> {level: tick label}; `titles`: panel key -> title (default: the task); `ylabel`: one, or per key."""
    for key, ax in axes.items():
        task = task_of(key)
        # y given: the title sits on the panel's top edge, where matplotlib's automatic placement puts it anyway
        # (nothing of these panels is drawn above them), without measuring every tick label at every draw for it
        # (a tenth of drawing a run's figures).
        ax.set_title((titles or {}).get(key, task), fontsize=10.5, y=1.0)
        ax.set_ylabel(ylabel.get(key, "") if isinstance(ylabel, dict) else ylabel)
        ax.grid(True, which="major", alpha=0.3)
        if by_difficulty:
            ax.set_xlabel(axis_label(summary, task), fontsize=9)
            levels = sorted(summary.loc[summary["task"] == task, "difficulty"].unique())
            shown = (ticks or {}).get(task, {})
            if geometric(levels):
                ax.set_xscale("log", base=2)
                ax.xaxis.set_minor_locator(ticker.NullLocator())
            ax.set_xticks(levels, [shown.get(d, f"{d:g}") for d in levels], fontsize=8.5)
            if len(levels) == 1:  # one level: room either side, so that stepped-apart points stay near it
                ax.set_xlim(levels[0] - 0.6, levels[0] + 0.6)
        if log and ax.has_data():
            ax.set_yscale("log")
            label_log_axis(ax)
    handles = {}
    for ax in axes.values():
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    order = {label: i for i, label in enumerate(labels(summary).values())}  # the summary's order, in every figure
    handles = dict(sorted(handles.items(), key=lambda kv: order.get(kv[0], len(order))))
    handles.update(keys or {})
    height = fig.get_figheight()
    ncol = max(1, min(len(handles), 3 if fig.get_figwidth() >= 12 else 2))
    lines = footnote.count("\n") + 1 if footnote else 0
    legend_rows = math.ceil(len(handles) / ncol)
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=ncol, frameon=False, fontsize=8.5,
               bbox_to_anchor=(0.5, lines * FOOT_ROW_IN / height + 0.005))
    if footnote:
        fig.text(0.5, 0.005, footnote, ha="center", va="bottom", fontsize=7.5, color=KEY_COLOR)
    if note:  # the hardware line, under the title: a figure must say what it was measured on
        wrapped = textwrap.fill(note, width=int(fig.get_figwidth() * 17))
        fig.text(0.5, 1 - 0.55 / height, wrapped, ha="center", va="top", fontsize=7.5, color=KEY_COLOR)
    fig.tight_layout(rect=(0, (legend_rows * LEGEND_ROW_IN + lines * FOOT_ROW_IN + 0.15) / height, 1,
                           1 - TOP_IN / height))
    return save(fig, out, name)


def save(fig, out: Path, name: str) -> list[Path]:
    paths = [save_figure(fig, Path(out) / f"{name}.{fmt}", dpi=110) for fmt in FORMATS]  # never through a link
    plt.close(fig)
    return paths


def style_key(label: str, linestyle: str = "-", marker: str = "") -> Line2D:
    """A grey legend entry that explains a line style or a marker (not a contestant)."""
    return Line2D([], [], color=KEY_COLOR, linestyle=linestyle, marker=marker or None, markersize=6)


def shared_n(summary: pd.DataFrame) -> dict[str, dict]:
    """task -> {level: n} with the n most contestants answered at that level (the larger on a tie): it goes under the
    tick, and a point whose n differs says its own."""
    out: dict[str, dict] = {}
    for (task, d), rows in summary.groupby(["task", "difficulty"], sort=False):
        counts = rows["n"].astype(int).value_counts()
        out.setdefault(task, {})[d] = int(max(counts.index, key=lambda n: (counts[n], n)))
    return out


def plot_accuracy(summary: pd.DataFrame, out: Path, note: str = "", title: str = "", ticks: dict | None = None,
                  name: str = "accuracy") -> list[Path]:
    """Accuracy with Wilson bars; n under each level, and above a point whose n differs from the level's (an
    interrupted contestant's). `ticks` may name the levels (a suite's cells)."""
    fig, axes = panels(tasks_of(summary), title or "Exact-match accuracy vs difficulty (bars: Wilson 95 % CI)")
    shared = shared_n(summary)
    for line in series(summary, dodge=True):
        ax = axes[line.task]
        acc = line.rows["accuracy"] * 100
        err = [acc - line.rows["accuracy_lo"] * 100, line.rows["accuracy_hi"] * 100 - acc]
        ax.errorbar(line.x, acc, yerr=err, fmt="none", ecolor=line.color, capsize=3, linewidth=1.0, alpha=0.8)
        draw_points(ax, line, line.x, acc)
        for x, top, n, d in zip(line.x, line.rows["accuracy_hi"] * 100, line.rows["n"], line.rows["difficulty"]):
            if int(n) != shared[line.task][d]:  # not the level's n: the point says its own, above its bar
                ax.annotate(f"n={int(n)}", (x, top), textcoords="offset points", xytext=(0, 3), ha="center",
                            va="bottom", fontsize=6.5, color=line.color)
        ax.set_ylim(-5, 110)
    return finish(fig, axes, summary, "accuracy (%)", out, name, note, keys=coverage_keys(summary),
                  ticks=n_ticks(summary, ticks))


def n_ticks(summary: pd.DataFrame, names: dict | None = None) -> dict[str, dict]:
    """task -> {level: tick label}: the level (or its name in `names`) and the n most contestants answered there."""
    shared, out = shared_n(summary), {}
    for task, levels in shared.items():
        for d, n in levels.items():
            out.setdefault(task, {})[d] = (names or {}).get(task, {}).get(d, f"{d:g}") + f"\nn={n}"
    return out


def few_note(summary: pd.DataFrame, what: str) -> str:
    """The levels of fewer than FEW answers, said in a footnote: there a chunk's fixed costs dominate."""
    few = summary[summary["n"] < FEW][["task", "difficulty"]].drop_duplicates()
    if few.empty:
        return ""
    cells = ", ".join(f"{t} d{int(d)}" for t, d in few.itertuples(index=False))
    return f"n < {FEW} at {cells}: a chunk's fixed costs dominate the time per answer there; {what}"


def plot_time(summary: pd.DataFrame, out: Path, note: str = "") -> list[Path]:
    """Per contestant (colour and marker): the total per answer (solid, IQR bars), its machine part (dashed) and one
    answer alone (a cross, no line); the line styles are explained once, in grey."""
    fig, axes = panels(tasks_of(summary), "Seconds per answer vs difficulty (log), text in to answer out: the total, "
                                          "its machine part, and one answer alone")
    drawn = set()
    for line in series(summary):
        ax, r = axes[line.task], line.rows
        t = r["time_per_answer_s"]
        err = [(t - r["per_answer_q1_s"]).clip(lower=0).fillna(0), (r["per_answer_q3_s"] - t).clip(lower=0).fillna(0)]
        ax.errorbar(line.x, t, yerr=err, fmt="-", marker=line.marker, color=line.color, capsize=3, markersize=4.5,
                    linewidth=1.2)
        legend_entry(ax, line, size=4.5)
        if r["machine_per_answer_s"].notna().any():
            ax.plot(line.x, r["machine_per_answer_s"], "--", color=line.color, linewidth=1.0)
            drawn.add("machine")
        if r["alone_median_s"].notna().any():
            ax.plot(line.x, r["alone_median_s"], linestyle="none", marker="x", markersize=6, color=line.color)
            drawn.add("alone")
    keys = {"solid: total per answer (a chunk ÷ its answers; bars: IQR over repeats)": style_key("", "-")}
    if "machine" in drawn:
        keys["dashed: its machine part (engine call; forward passes)"] = style_key("", "--")
    if "alone" in drawn:
        keys["×: one answer alone (median of a sample)"] = style_key("", "none", "x")
    notes = [few_note(summary, "compare those levels with care"), batched_above_alone(summary)]
    return finish(fig, axes, summary, "seconds per answer", out, "time", note, log=True, keys=keys,
                  footnote="\n".join(n for n in notes if n))


def batched_above_alone(summary: pd.DataFrame) -> str:
    """Why the ISA's batched time per answer can sit above one answer alone, where it does: said under the figure."""
    from bench.timing import ALONE_PER_LEVEL

    above = summary[(summary["backend"] == "isa") & (summary["n"] >= FEW)
                    & (summary["time_per_answer_s"] > summary["alone_median_s"])]
    if above.empty:
        return ""
    cells = ", ".join(f"{t} d{int(d)}" for t, d in above[["task", "difficulty"]].drop_duplicates().itertuples(index=False))
    return (f"ISA batched above alone at {cells}: a batch that shares nothing (emulate: every instance is its own "
            f"program, assembled and run one by one) costs the mean of its single answers,\nand its long span takes "
            f"in the machine's other work (other processes, pauses) that the median of the first {ALONE_PER_LEVEL} "
            f"instances' short alone spans per level leaves out; the spans themselves are the same (bench/timing.py)")


def against(rows: pd.DataFrame) -> str:
    """What a task's ratios divide by, for its panel's title: "÷ ISA", or "÷ isa: lexicon" where the ISA has several
    contestants."""
    named = rows["isa_contestant"].dropna()
    names = list(dict.fromkeys(n for n in named if isinstance(n, str) and n))
    if not names:
        return ""
    return "÷ " + ", ".join("ISA" if n == "isa" else n for n in names)


def plot_ratio(summary: pd.DataFrame, out: Path, note: str = "") -> list[Path]:
    """Total ÷ ISA total (solid) and model ÷ ISA machine (dashed) per contestant, the ISA row each panel divides by
    in its title; levels of fewer than FEW answers are left out (said in the footnote)."""
    fig, axes = panels(tasks_of(summary), "How many times longer than the ISA per answer (log; 1 = equal): total ÷ "
                                          "ISA total, and model (forward passes) ÷ ISA machine (engine call)")
    for line in series(summary):
        line = replace(line, rows=line.rows[line.rows["n"] >= FEW])
        r = line.rows
        if r.empty or r["total_ratio_to_isa"].isna().all():
            continue
        for what, style in (("total", "-"), ("machine", "--")):
            if r[f"{what}_ratio_to_isa"].isna().all():
                continue
            axes[line.task].plot(line.x, r[f"{what}_ratio_to_isa"], linestyle=style, marker=line.marker,
                                 color=line.color, markersize=4.5)
            # The bar spans q1 / ISA q3 to q3 / ISA q1; the point is the ratio of the means, which may lie outside.
            spread = pd.DataFrame({"x": line.x, "lo": r[f"{what}_ratio_to_isa_lo"], "hi": r[f"{what}_ratio_to_isa_hi"]}
                                  ).astype(float).dropna()
            axes[line.task].vlines(spread["x"], spread["lo"], spread["hi"], color=line.color, linewidth=1.5, alpha=0.7)
        legend_entry(axes[line.task], line, size=4.5)
    for ax in axes.values():
        if ax.has_data():
            ax.axhline(1.0, color="0.5", linewidth=0.8)
    titles = {task: f"{task} ({by})" if (by := against(summary[summary["task"] == task])) else task for task in axes}
    keys = {"solid: total ÷ ISA total": style_key("", "-"), "dashed: model ÷ ISA machine": style_key("", "--"),
            "bar: its q1 ÷ the ISA's q3 to its q3 ÷ the ISA's q1": style_key("", "none", "|")}
    return finish(fig, axes, summary, "time ÷ ISA time", out, "time_ratio", note, log=True, keys=keys, titles=titles,
                  footnote=few_note(summary, "their ratios are left out"))
