"""A learning curve's table (CSV and Markdown) and figure, from its points (bench.curve_points) alone.

One row per contestant and subset size: test accuracy's mean over seeds, its spread (lowest and highest seed), each
seed's figure, the pooled Wilson 95 % interval (all seeds' answers together), the fine-tuned points' dev accuracy and
the CPU seconds. The figure: mean test accuracy against labelled train sentences (log axis), a band from the lowest
to the highest seed, and the people-written `lexicon` table, which learns from no label, as a flat line.
"""
from __future__ import annotations

import csv
import io
import statistics
from pathlib import Path

from bench.curve_points import NO_LABELS, Point
from bench.plot_style import MARKERS, PALETTE
from bench.safe_io import save_figure, write_atomic
from bench.stats import wilson

COLUMNS = ("contestant", "size", "seeds", "test_mean", "test_min", "test_max", "test_by_seed", "pooled_ci95_lo",
           "pooled_ci95_hi", "test_n", "dev_mean", "epochs", "cpu_s_mean")
NAMES = {"lora": "LoRA fine-tuning", "full": "full fine-tuning",
         "counted": "ISA, `counted` table (counted on the subset)", "lexicon": "ISA, `lexicon` table (no labels)"}
# The figures' colour-blind-safe palette and markers (bench.plot_style), the ISA's tables first as in a run's figures.
STYLES = {"counted": (PALETTE[0], MARKERS[0]), "lexicon": (PALETTE[6], None), "lora": (PALETTE[1], MARKERS[1]),
          "full": (PALETTE[3], MARKERS[3])}


def summarise(points: list[Point]) -> list[dict]:
    groups: dict[tuple[str, int], list[Point]] = {}
    for p in sorted(points, key=lambda p: (list(NAMES).index(p.contestant) if p.contestant in NAMES else 99,
                                           p.size, p.seed)):
        groups.setdefault((p.contestant, p.size), []).append(p)
    rows = []
    for (contestant, size), group in groups.items():
        accs = [p.test_accuracy for p in group]
        lo, hi = wilson(sum(p.test_correct for p in group), sum(p.test_n for p in group))
        devs = [p.dev_accuracy for p in group if p.dev_accuracy is not None]
        rows.append({
            "contestant": contestant, "size": size, "seeds": len(group), "test_mean": statistics.fmean(accs),
            "test_min": min(accs), "test_max": max(accs), "test_by_seed": " ".join(f"{a:.4f}" for a in accs),
            "pooled_ci95_lo": lo, "pooled_ci95_hi": hi, "test_n": group[0].test_n,
            "dev_mean": statistics.fmean(devs) if devs else None,
            "epochs": group[0].epochs, "cpu_s_mean": statistics.fmean(p.cpu_s for p in group)})
    return rows


def pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def markdown(rows: list[dict]) -> str:
    lines = ["| contestant | labelled train sentences | seeds | test accuracy, mean (lowest - highest seed) | "
             "pooled 95 % CI | dev accuracy, mean | epochs | CPU s a point |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        size = "none" if r["size"] == NO_LABELS else f"{r['size']:,}"
        lines.append(f"| {NAMES.get(r['contestant'], r['contestant'])} | {size} | {r['seeds']} | "
                     f"**{pct(r['test_mean'])}** ({pct(r['test_min'])} - {pct(r['test_max'])}) | "
                     f"{pct(r['pooled_ci95_lo'])} - {pct(r['pooled_ci95_hi'])} | {pct(r['dev_mean'])} | "
                     f"{r['epochs'] or '-'} | {r['cpu_s_mean']:.1f} |")
    n = rows[0]["test_n"] if rows else 0
    return "\n".join(lines) + (
        f"\n\nTest: the task's whole test split ({n} sentences), read once per point. A fine-tuned point keeps the "
        "epoch with the best accuracy on the whole dev split, whatever its train subset's size: "
        "those dev labels are spent too. The ISA's tables use no dev label.\n")


def write_tables(out: Path, points: list[Point]) -> list[Path]:
    rows = summarise(points)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(out / "curve.csv", buffer.getvalue())
    write_atomic(out / "curve.md", markdown(rows))
    return [out / "curve.csv", out / "curve.md"]


def plot_curve(out: Path, points: list[Point], task: str, init: str, note: str = "") -> list[Path]:
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    rows = summarise(points)
    fig, ax = plt.subplots(figsize=(7.2, 4.6))
    for contestant in dict.fromkeys(r["contestant"] for r in rows):
        mine = [r for r in rows if r["contestant"] == contestant]
        label, (color, marker) = NAMES.get(contestant, contestant), STYLES.get(contestant, ("0.3", "x"))
        label += f" ({init})" if contestant in ("lora", "full") else ""
        if all(r["size"] == NO_LABELS for r in mine):
            ax.axhline(mine[0]["test_mean"], color=color, linestyle="--", linewidth=1.2, label=label)
            continue
        xs = [r["size"] for r in mine]
        ax.plot(xs, [r["test_mean"] for r in mine], marker=marker, color=color, label=label)
        ax.fill_between(xs, [r["test_min"] for r in mine], [r["test_max"] for r in mine], color=color, alpha=0.18,
                        linewidth=0)
    ax.set_xscale("log")
    sizes = sorted({r["size"] for r in rows if r["size"] != NO_LABELS})
    ax.xaxis.set_major_locator(ticker.FixedLocator(sizes))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("labelled train sentences (a stratified subset; log scale)")
    ax.set_ylabel("test accuracy")
    ax.grid(True, alpha=0.3)
    seeds = max((r["seeds"] for r in rows), default=0)
    n = rows[0]["test_n"] if rows else 0
    ax.set_title(textwrap.fill(f"{task}: test accuracy against labelled train sentences (mean of {seeds} seed(s); "
                               f"band: lowest to highest seed; {n} test sentences)", 80), fontsize=10)
    ax.legend(fontsize=8.5, loc="lower right")
    foot = ("Fine-tuned points keep the epoch that scores best on the whole dev split (all its labels). "
            + note)
    fig.text(0.5, 0.01, textwrap.fill(foot, 130), ha="center", va="bottom", fontsize=7, color="0.35")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    paths = [save_figure(fig, out / f"curve.{fmt}", dpi=110) for fmt in ("png", "svg")]
    plt.close(fig)
    return paths
