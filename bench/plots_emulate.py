"""The emulate task's own figure: what one emulated instruction costs each side, against instructions executed.

Left: seconds per executed instruction: every contestant's time per answer ÷ the instructions the instance's program
executes (the level), with its IQR over repeats and chunks ÷ the same; the register machine's machine part alone
(dashed). Right: a model's FLOPs per executed instruction (the hybrid's: its model writing the program). n stands
under each level (beside each point where contestants differ); the register machine spends one instruction per instruction by definition, so it has no line there.
Both log scales; the footer names only the models drawn.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from bench.plot_style import coverage_keys, draw_points, series
from bench.plots import KEY_COLOR, label_log_axis, n_ticks, plt, save, shared_n, style_key


def plot_emulate(summary: pd.DataFrame, out: Path, note: str = "") -> list[Path]:
    rows = summary[summary["task"] == "emulate"]
    if rows.empty:
        return []
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5.2))
    fig.suptitle("emulate: the cost of one emulated instruction vs instructions executed (log scales)", fontsize=11.5)
    shared = shared_n(rows).get("emulate", {})
    for line in series(rows):
        r, steps = line.rows, line.rows["difficulty"].astype(float)
        per = r["time_per_answer_s"] / steps
        err = [(per - r["per_answer_q1_s"] / steps).clip(lower=0).fillna(0),
               (r["per_answer_q3_s"] / steps - per).clip(lower=0).fillna(0)]
        left.errorbar(steps, per, yerr=err, fmt="none", ecolor=line.color, capsize=3, linewidth=1.0)
        draw_points(left, line, steps, per)
        if line.backend == "isa" and r["machine_per_answer_s"].notna().any():
            left.plot(steps, r["machine_per_answer_s"] / steps, "--", color=line.color, linewidth=1.0)
        if r["flops_per_answer"].notna().any():
            flops = r["flops_per_answer"] / steps
            draw_points(right, line, steps, flops)
        for x, y, n, d in zip(steps, per, r["n"], r["difficulty"]):
            if int(n) != shared[d]:  # not the level's n (under its tick): the point says its own
                left.annotate(f"n={int(n)}", (x, y), textcoords="offset points", xytext=(6, -10), fontsize=6.5,
                              color=line.color)
    levels = sorted(rows["difficulty"].unique())
    ticks = n_ticks(rows)["emulate"]
    left.set_title("seconds per executed instruction (bars: IQR)", fontsize=10, y=1.0)  # as bench/plots.finish
    right.set_title("a model's FLOPs per executed instruction\n(the register machine: 1 instruction each)",
                    fontsize=10, y=1.0)
    for ax, ylabel in ((left, "seconds per executed instruction"), (right, "FLOPs per executed instruction")):
        ax.set_xscale("log", base=2)
        ax.set_xticks(levels, [ticks[d] for d in levels], fontsize=8.5)
        ax.set_xlabel("instructions executed (HALT included)")
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        if ax.has_data():
            ax.set_yscale("log")
            label_log_axis(ax)
    handles, labels = left.get_legend_handles_labels()
    keys = {"solid: time per answer ÷ instructions": style_key("", "-")}
    if rows.loc[rows["backend"] == "isa", "machine_per_answer_s"].notna().any():
        keys["dashed: the register machine's engine call alone"] = style_key("", "--")
    keys.update(coverage_keys(rows))
    fig.legend(handles + list(keys.values()), labels + list(keys), loc="lower center", ncol=2, frameon=False,
               fontsize=8.5, bbox_to_anchor=(0.5, 0.045))
    if note:
        fig.text(0.5, 0.005, note, ha="center", va="bottom", fontsize=7, color=KEY_COLOR, wrap=True)
    legend_rows = (len(handles) + len(keys) + 1) // 2
    fig.tight_layout(rect=(0, (0.3 * legend_rows + 0.5) / fig.get_figheight(), 1, 0.95))
    return save(fig, out, "emulate_cost")
