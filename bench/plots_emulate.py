"""The emulate task's own figure: what one emulated instruction costs each side, against instructions executed.

Left: seconds per executed instruction (the LLM's batched time per answer ÷ the instructions its program executes;
the ISA's whole time per answer ÷ the same, and its machine time alone ÷ the same). Right: the LLM's FLOPs per
executed instruction, beside the machine's one instruction. Both log scale.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from bench.plots import FORMATS, label_log_axis, plt, series
from bench.safe_io import save_figure


def plot_emulate(summary: pd.DataFrame, out: Path, note: str = "") -> list[Path]:
    rows = summary[summary["task"] == "emulate"]
    if rows.empty:
        return []
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.5, 4.6))
    fig.suptitle("emulate: the cost of one emulated instruction vs instructions executed (log scales)", fontsize=11.5)
    for _, backend, label, color, r in series(rows):
        steps = r["difficulty"].astype(float)
        if backend == "llm":
            left.plot(steps, r["time_per_answer_s"] / steps, "-o", color=color, label=f"{label}: batched time")
            if r["flops_per_answer"].notna().any():
                right.plot(steps, r["flops_per_answer"] / steps, "-o", color=color, label=f"{label}: FLOPs")
        elif backend == "isa":
            left.plot(steps, r["time_per_answer_s"] / steps, "-o", color=color, label=f"{label}: whole time")
            if r["machine_per_answer_s"].notna().any():
                left.plot(steps, r["machine_per_answer_s"] / steps, "--.", color=color, label=f"{label}: machine only")
            right.plot(steps, [1.0] * len(steps), "-o", color=color, label=f"{label}: 1 instruction")
    for ax, ylabel in ((left, "seconds per executed instruction"), (right, "operations per executed instruction")):
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(rows["difficulty"].unique()), [str(d) for d in sorted(rows["difficulty"].unique())])
        ax.set_xlabel("instructions executed (HALT included)")
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        if ax.has_data():
            ax.set_yscale("log")
            label_log_axis(ax)
            ax.legend(fontsize=8, frameon=False)
    if note:
        fig.text(0.5, 0.01, note, ha="center", va="bottom", fontsize=7, color="0.35", wrap=True)
    fig.tight_layout(rect=(0, 0.05, 1, 0.95))
    paths = []
    for fmt in FORMATS:
        path = Path(out) / f"emulate_cost.{fmt}"
        paths.append(save_figure(fig, path, dpi=110))
    plt.close(fig)
    return paths
