"""A suite's own figure (`isabench run --suite gpt3-arithmetic`): the paper's cells on the x axis (2D+ .. 1DC, in the
order of its Table 3.9), every contestant's measured exact-match accuracy with its Wilson 95 % interval, and the
paper's own GPT-3 175B few-shot figure beside each cell (a grey bar: printed there, not measured here). The title
says how the models were asked (prompt format, shots)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from bench.plot_style import legend_entry, series
from bench.plots import KEY_COLOR, plt, save
from bench.suites import PAPER_FEW_SHOT, PAPER_NAMES, SUITES, asked

WIDTH = 0.8  # of one cell's slot: the paper's bar and the contestants' points share it


def cells_of(summary: pd.DataFrame, suite: str) -> list[tuple[str, int]]:
    """The suite's cells this summary holds, in the paper's order."""
    wanted = {(t, d) for t, levels in SUITES[suite].items() for d in levels}
    held = set(zip(summary["task"], summary["difficulty"].astype(int)))
    return [cell for cell in PAPER_NAMES if cell in wanted and cell in held]


def plot_suite(summary: pd.DataFrame, out: Path, suite: str, note: str = "") -> list[Path]:
    cells = cells_of(summary, suite)
    if not cells:
        return []
    slot = {cell: i for i, cell in enumerate(cells)}
    rows = summary[[(t, int(d)) in slot for t, d in zip(summary["task"], summary["difficulty"])]]
    fig, ax = plt.subplots(figsize=(max(7.5, 0.9 * len(cells) + 3), 5.4))
    paper = [PAPER_FEW_SHOT[c] for c in cells]
    ax.bar(range(len(cells)), paper, width=WIDTH, color="0.88", edgecolor="0.6", label="GPT-3 175B few-shot, the "
           "paper's Table 3.9 (not measured here)")
    lines = [line for line in series(rows) if line.backend != "reference"]
    who = list(dict.fromkeys(line.label for line in lines))  # one place in each cell's slot per contestant
    for line in lines:
        k = who.index(line.label)
        where = [slot[(line.task, int(d))] for d in line.rows["difficulty"]]
        x = [w - WIDTH / 2 + WIDTH * (k + 1) / (len(who) + 1) for w in where]
        acc = line.rows["accuracy"] * 100
        err = [acc - line.rows["accuracy_lo"] * 100, line.rows["accuracy_hi"] * 100 - acc]
        ax.errorbar(x, acc, yerr=err, fmt=line.marker, color=line.color, capsize=3, markersize=6, linewidth=1.2)
        legend_entry(ax, line, linestyle="none", size=6)
    n = rows["n"].astype(int)
    ax.set_xticks(range(len(cells)), [f"{PAPER_NAMES[c]}\n{c[0]} d{c[1]}" for c in cells], fontsize=8.5)
    ax.set_ylabel("exact-match accuracy (%)")
    ax.set_ylim(0, 105)
    ax.grid(True, axis="y", alpha=0.3)
    how = asked(rows)
    ax.set_title(f"{suite}: the GPT-3 paper's arithmetic cells, measured (points, Wilson 95 % CI) beside the paper's "
                 f"GPT-3 175B (bars)" + (f"\nasked with the {how}" if how else "")
                 + (f"; n = {n.min()}" if n.nunique() == 1 else f"; n = {n.min()}-{n.max()} per cell"), fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))  # one entry per contestant, though each task drew its own points
    fig.legend(unique.values(), unique.keys(), fontsize=8.5, frameon=False, loc="lower center", ncol=2,
               bbox_to_anchor=(0.5, 0.06 if note else 0.0))
    if note:
        fig.text(0.5, 0.005, note, ha="center", va="bottom", fontsize=7, color=KEY_COLOR, wrap=True)
    rows_of_legend = (len(unique) + 1) // 2
    fig.tight_layout(rect=(0, (0.3 * rows_of_legend + (0.45 if note else 0.1)) / fig.get_figheight(), 1, 1))
    return save(fig, out, "suite")
