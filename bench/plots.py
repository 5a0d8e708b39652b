"""Figures from a summary: accuracy, time per answer, work per answer and the LLM ÷ ISA time ratio against
difficulty, one panel per task, one line per contestant.

Made to be read right: accuracy has a Wilson 95 % error bar and its n at every point (levels of very different n are
never joined by a band); hollow markers are levels the model was never trained on, or whose instances are also its
training data; every log axis has labelled ticks; each title says which time it shows. PNG to look at, SVG to print.
"""
from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import ticker  # noqa: E402

from bench.safe_io import make_folder, save_figure  # noqa: E402

PALETTES = {"isa": ["tab:blue", "tab:cyan", "navy"], "llm": ["tab:orange", "tab:red", "tab:brown", "tab:pink"],
            "reference": ["tab:gray"]}
FORMATS = ("png", "svg")
PANEL_W, PANEL_H = 4.6, 3.4  # inches per task panel
TOP_IN, LEGEND_ROW_IN = 0.95, 0.3  # title (up to two lines) + hardware note above; one legend row below
HOLLOW = ("untrained", "train-shared")


def tasks_of(summary: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(summary["task"]))  # the summary's order: the task registry's


def series(summary: pd.DataFrame):
    """(task, backend, label, color, rows sorted by difficulty) for every line to draw."""
    who = summary[["backend", "contestant", "setting"]].drop_duplicates()
    ambiguous = who.groupby("contestant")["setting"].nunique()
    colors, used = {}, {}
    for _, w in who.iterrows():
        palette = PALETTES.get(w["backend"], ["black"])
        k = used.get(w["backend"], 0)
        colors[(w["contestant"], w["setting"])] = palette[k % len(palette)]
        used[w["backend"]] = k + 1
    for task in tasks_of(summary):
        mine = summary[summary["task"] == task]
        for (backend, contestant, setting), rows in mine.groupby(["backend", "contestant", "setting"], sort=False):
            label = contestant if ambiguous.get(contestant, 1) <= 1 else f"{contestant} [{setting}]"
            label = {"isa": "ISA (register machine)", "reference": "reference answer"}.get(label, label)
            yield task, backend, label, colors[(contestant, setting)], rows.sort_values("difficulty")


def panels(tasks: list[str], title: str):
    cols = min(3, len(tasks))
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
    """Labelled ticks on a log axis whatever its span: 1-2-5 steps within a few decades, decades beyond."""
    lo, hi = ax.get_ylim()
    narrow = lo > 0 and hi / lo < 1e3
    ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0) if narrow else (1.0,)))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}") if narrow
                                 else ticker.LogFormatterSciNotation())
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())


def finish(fig, axes: dict, summary: pd.DataFrame, ylabel: str, out: Path, name: str, note: str = "",
           log: bool = False, footnote: str = "", by_difficulty: bool = True) -> list[Path]:
    """Titles, labels, legend, hardware note; save as PNG and SVG. `by_difficulty`: the x axis is the level."""
    for task, ax in axes.items():
        ax.set_title(task)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", alpha=0.3)
        if by_difficulty:
            ax.set_xlabel(axis_label(summary, task), fontsize=9)
            ax.set_xticks(sorted(summary.loc[summary["task"] == task, "difficulty"].unique()))
        if log and ax.has_data():
            ax.set_yscale("log")
            label_log_axis(ax)
    handles = {}
    for ax in axes.values():
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    height = fig.get_figheight()
    ncol = 2 if len(handles) > 2 else max(1, len(handles))
    legend_rows = math.ceil(len(handles) / ncol) + (1 if footnote else 0)
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=ncol, frameon=False, fontsize=8.5,
               bbox_to_anchor=(0.5, 0.02 if footnote else 0.0))
    if footnote:
        fig.text(0.5, 0.005, footnote, ha="center", va="bottom", fontsize=7.5, color="0.35")
    if note:  # the hardware line, under the title: a figure must say what it was measured on
        wrapped = textwrap.fill(note, width=int(fig.get_figwidth() * 17))
        fig.text(0.5, 1 - 0.55 / height, wrapped, ha="center", va="top", fontsize=7.5, color="0.35")
    fig.tight_layout(rect=(0, (legend_rows * LEGEND_ROW_IN + 0.15) / height, 1, 1 - TOP_IN / height))
    paths = []
    for fmt in FORMATS:
        path = out / f"{name}.{fmt}"
        paths.append(save_figure(fig, path, dpi=110))  # never through a link at that path
    plt.close(fig)
    return paths


def hollow(rows: pd.DataFrame) -> pd.Series:
    return rows["coverage"].isin(HOLLOW) if "coverage" in rows else pd.Series(False, index=rows.index)


def plot_accuracy(summary: pd.DataFrame, out: Path, note: str = "") -> list[Path]:
    fig, axes = panels(tasks_of(summary), "Exact-match accuracy vs difficulty (bars: Wilson 95 % CI; n at each point)")
    any_hollow = False
    for task, backend, label, color, rows in series(summary):
        ax = axes[task]
        acc = rows["accuracy"] * 100
        err = [acc - rows["accuracy_lo"] * 100, rows["accuracy_hi"] * 100 - acc]
        ax.errorbar(rows["difficulty"], acc, yerr=err, fmt="-", color=color, capsize=3, linewidth=1.2, label=label)
        empty = hollow(rows)
        any_hollow |= bool(empty.any())
        ax.plot(rows["difficulty"][~empty], acc[~empty], "o", color=color)
        ax.plot(rows["difficulty"][empty], acc[empty], "o", markerfacecolor="white", color=color)
        for x, y, n in zip(rows["difficulty"], acc, rows["n"]):
            ax.annotate(f"{int(n)}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=6.5, color=color)
        ax.set_ylim(-5, 110)
    hint = "hollow: a level the model never trained on, or whose instances are its training data"
    return finish(fig, axes, summary, "accuracy (%)", out, "accuracy", note, footnote=hint if any_hollow else "")


def plot_time(summary: pd.DataFrame, out: Path, note: str = "") -> list[Path]:
    fig, axes = panels(tasks_of(summary), "Seconds per answer vs difficulty (log), text in to answer out: the total "
                                          "(bars: IQR over repeats), its machine part, one answer alone")
    for task, backend, label, color, rows in series(summary):
        ax = axes[task]
        t = rows["time_per_answer_s"]
        err = [(t - rows["per_answer_q1_s"]).clip(lower=0).fillna(0), (rows["per_answer_q3_s"] - t).clip(lower=0)
               .fillna(0)]
        ax.errorbar(rows["difficulty"], t, yerr=err, fmt="-o", color=color, capsize=3, markersize=4,
                    label=f"{label}: total (a chunk ÷ its answers)")
        if rows["alone_median_s"].notna().any():
            ax.plot(rows["difficulty"], rows["alone_median_s"], ":", marker="x", color=color,
                    label=f"{label}: one answer alone (median)")
        if rows["machine_per_answer_s"].notna().any():
            what = "engine call" if backend == "isa" else "forward passes"
            ax.plot(rows["difficulty"], rows["machine_per_answer_s"], "--", marker=".", color=color,
                    label=f"{label}: machine ({what})")
    return finish(fig, axes, summary, "seconds per answer", out, "time", note, log=True)


def plot_cost(summary: pd.DataFrame, out: Path, note: str = "") -> list[Path]:
    """Work per answer: ISA instructions executed vs LLM floating-point operations (both per answer, log scale)."""
    fig, axes = panels(tasks_of(summary),
                       "Work per answer vs difficulty: ISA instructions executed vs LLM FLOPs (log scale)")
    for task, backend, label, color, rows in series(summary):
        column = {"isa": "instructions_per_answer", "llm": "flops_per_answer"}.get(backend)
        if column is None or rows[column].isna().all():
            continue
        unit = "instructions" if backend == "isa" else "FLOPs (≈ 2 × params × tokens)"
        axes[task].plot(rows["difficulty"], rows[column], "-o", color=color, label=f"{label}: {unit}")
    return finish(fig, axes, summary, "operations per answer", out, "cost", note, log=True)


def plot_ratio(summary: pd.DataFrame, out: Path, note: str = "") -> list[Path]:
    fig, axes = panels(tasks_of(summary), "How many times longer than the ISA per answer (log; 1 = equal): total ÷ "
                                          "ISA total, and model (forward passes) ÷ ISA machine (engine call)")
    for task, backend, label, color, rows in series(summary):
        if rows["total_ratio_to_isa"].isna().all():
            continue
        vs = rows["isa_contestant"].dropna()
        against = f" ({vs.iloc[0]})" if len(vs) and vs.iloc[0] != "isa" else ""
        for what, style, text in (("total", "-o", "total ÷ ISA total"), ("machine", "--s", "model ÷ ISA machine")):
            if rows[f"{what}_ratio_to_isa"].isna().all():
                continue
            axes[task].plot(rows["difficulty"], rows[f"{what}_ratio_to_isa"], style, color=color, markersize=4,
                            label=f"{label}: {text}{against} (bar: quartile ÷ quartile)")
            # The bar spans q1 / ISA q3 to q3 / ISA q1; the point is the ratio of the means, which may lie outside.
            spread = rows[["difficulty", f"{what}_ratio_to_isa_lo", f"{what}_ratio_to_isa_hi"]].astype(float).dropna()
            axes[task].vlines(spread["difficulty"], spread[f"{what}_ratio_to_isa_lo"],
                              spread[f"{what}_ratio_to_isa_hi"], color=color, linewidth=1.5, alpha=0.7)
    for ax in axes.values():
        if ax.has_data():
            ax.axhline(1.0, color="0.5", linewidth=0.8)
    return finish(fig, axes, summary, "time ÷ ISA time", out, "time_ratio", note, log=True)
