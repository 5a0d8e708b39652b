"""Figures from a summary: accuracy, time per answer, and cost per answer against difficulty, one panel per task.

Each figure is written as PNG (to look at) and SVG (to print). Matplotlib runs headless (Agg).
"""
from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

COLORS = {"isa": "tab:blue", "llm": "tab:orange", "reference": "tab:gray"}
NAMES = {"isa": "ISA (register machine)", "llm": "LLM", "reference": "reference answer"}
STYLES = ["-", "--", ":", "-."]
FORMATS = ("png", "svg")


def tasks_of(summary: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(summary["task"]))  # the summary's order: the task registry's


def series(summary: pd.DataFrame):
    """(task, backend, variant, label, color, linestyle, rows sorted by difficulty) for every line to draw."""
    llm_variants = sorted(summary[summary["backend"] == "llm"]["variant"].unique())
    for task in tasks_of(summary):
        for (backend, variant), rows in summary[summary["task"] == task].groupby(["backend", "variant"], sort=False):
            label = NAMES.get(backend, backend)
            style = "-"
            if backend == "llm":
                short = variant.split("@")[0] if variant else ""
                label = f"LLM ({short})" if short else "LLM"
                if len(llm_variants) > 1:
                    label = f"LLM ({variant})"
                    style = STYLES[llm_variants.index(variant) % len(STYLES)]
            yield task, backend, label, COLORS.get(backend, "black"), style, rows.sort_values("difficulty")


PANEL_W, PANEL_H = 4.6, 3.4  # inches per task panel
TOP_IN, LEGEND_ROW_IN = 0.75, 0.3  # title + hardware note above; one legend row below


def panels(tasks: list[str], title: str):
    cols = min(3, len(tasks))
    rows = math.ceil(len(tasks) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(PANEL_W * max(cols, 2), PANEL_H * rows + TOP_IN + 0.5),
                             squeeze=False)
    for ax in axes.flat[len(tasks):]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=13, y=1 - 0.12 / fig.get_figheight())
    return fig, {t: ax for t, ax in zip(tasks, axes.flat)}


def axis_label(summary: pd.DataFrame, task: str) -> str:
    axis = summary.loc[summary["task"] == task, "axis"].dropna()
    return f"difficulty ({axis.iloc[0]})" if len(axis) and axis.iloc[0] else "difficulty"


def finish(fig, axes: dict, summary: pd.DataFrame, ylabel: str, out: Path, name: str, note: str = "") -> list[Path]:
    for task, ax in axes.items():
        ax.set_title(task)
        ax.set_xlabel(axis_label(summary, task))
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", alpha=0.3)
        ax.set_xticks(sorted(summary.loc[summary["task"] == task, "difficulty"].unique()))
    handles = {}
    for ax in axes.values():
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    height = fig.get_figheight()
    ncol = 2 if len(handles) > 2 else max(1, len(handles))
    legend_rows = math.ceil(len(handles) / ncol)
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=ncol, frameon=False, fontsize=9)
    if note:  # the hardware line, under the title: a figure must say what it was measured on
        wrapped = textwrap.fill(note, width=int(fig.get_figwidth() * 17))
        fig.text(0.5, 1 - 0.42 / height, wrapped, ha="center", va="top", fontsize=7.5, color="0.35")
    fig.tight_layout(rect=(0, (legend_rows * LEGEND_ROW_IN + 0.1) / height, 1, 1 - TOP_IN / height))
    paths = []
    for fmt in FORMATS:
        path = out / f"{name}.{fmt}"
        fig.savefig(path, dpi=110)
        paths.append(path)
    plt.close(fig)
    return paths


def plot_accuracy(summary: pd.DataFrame, out: Path, note: str = "") -> list[Path]:
    fig, axes = panels(tasks_of(summary), "Exact-match accuracy vs difficulty (shaded: Wilson 95 % CI)")
    for task, backend, label, color, style, rows in series(summary):
        ax = axes[task]
        ax.plot(rows["difficulty"], rows["accuracy"] * 100, style, marker="o", color=color, label=label)
        ax.fill_between(rows["difficulty"], rows["accuracy_lo"] * 100, rows["accuracy_hi"] * 100, color=color,
                        alpha=0.18, linewidth=0)
        ax.set_ylim(-3, 103)
    return finish(fig, axes, summary, "accuracy (%)", out, "accuracy", note)


def plot_time(summary: pd.DataFrame, out: Path, note: str = "") -> list[Path]:
    fig, axes = panels(tasks_of(summary),
                       "Time per answer vs difficulty (log scale; set-up and warm-up excluded)")
    for task, backend, label, color, style, rows in series(summary):
        ax = axes[task]
        ax.plot(rows["difficulty"], rows["time_per_answer_s"], style, marker="o", color=color,
                label=f"{label}: batched time ÷ answers")
        ax.plot(rows["difficulty"], rows["latency_median_s"], ":", marker="x", color=color,
                label=f"{label}: latency of one answer (median, IQR shaded)")
        ax.fill_between(rows["difficulty"], rows["latency_q1_s"], rows["latency_q3_s"], color=color, alpha=0.15,
                        linewidth=0)
        ax.set_yscale("log")
    return finish(fig, axes, summary, "seconds per answer", out, "time", note)


def plot_cost(summary: pd.DataFrame, out: Path, note: str = "") -> list[Path]:
    """Work per answer: ISA instructions executed vs LLM floating-point operations (both per answer, log scale)."""
    fig, axes = panels(tasks_of(summary),
                       "Work per answer vs difficulty: ISA instructions executed vs LLM FLOPs (log scale)")
    for task, backend, label, color, style, rows in series(summary):
        column = {"isa": "instructions_per_answer", "llm": "flops_per_answer"}.get(backend)
        if column is None or rows[column].isna().all():
            continue
        unit = "instructions" if backend == "isa" else "FLOPs (≈ 2 × params × tokens)"
        axes[task].plot(rows["difficulty"], rows[column], style, marker="o", color=color, label=f"{label}: {unit}")
        axes[task].set_yscale("log")
    return finish(fig, axes, summary, "operations per answer", out, "cost", note)


def plot_ratio(summary: pd.DataFrame, out: Path, note: str = "") -> list[Path]:
    fig, axes = panels(tasks_of(summary),
                       "How many times slower the LLM is than the ISA, per answer (log scale; 1 = equal)")
    for task, backend, label, color, style, rows in series(summary):
        if backend != "llm" or rows["time_ratio_llm_isa"].isna().all():
            continue
        axes[task].plot(rows["difficulty"], rows["time_ratio_llm_isa"], style, marker="o", color=color,
                        label=f"{label} time ÷ ISA time")
        axes[task].set_yscale("log")
    for ax in axes.values():
        ax.axhline(1.0, color="0.5", linewidth=0.8)
    return finish(fig, axes, summary, "LLM time ÷ ISA time", out, "time_ratio", note)


def plot_all(summary: pd.DataFrame, out: str | Path, note: str = "") -> list[Path]:
    """Every figure, into `out`; returns the files written."""
    if summary.empty:
        raise ValueError("nothing to plot: the summary has no rows (no records yet?)")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = plot_accuracy(summary, out, note) + plot_time(summary, out, note)
    # Work and ratio figures need the sides that define them; an ISA-only or reference-only run has no ratio.
    if summary[["instructions_per_answer", "flops_per_answer"]].notna().any().any():
        paths += plot_cost(summary, out, note)
    if summary["time_ratio_llm_isa"].notna().any():
        paths += plot_ratio(summary, out, note)
    return paths
