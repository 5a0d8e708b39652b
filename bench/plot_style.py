"""How every figure tells its lines apart: one colour and one marker per contestant, the same in every figure of a
run, from a colour-blind-safe palette (Okabe & Ito 2008); a legend label that says what answered and how it was
asked (model, prompt format, shots); fill styles for the levels a model never trained on (hollow) and those whose
instances are also its training data (half-filled); and a small sideways step between contestants so that one line
never hides another.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

# Okabe-Ito, in an order that keeps the first few far apart; yellow (faint on white) last.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
REFERENCE = ("0.45", "h")  # the reference answer: grey hexagons, never one of the contestants' styles
COVERAGE_FILL = {"untrained": "none", "train-shared": "left"}  # hollow; half-filled; anything else: filled
COVERAGE_MEANING = {"untrained": "hollow: a level the model never trained on",
                    "train-shared": "half-filled: the level's instances are also the model's training data"}
DODGE = 0.07  # sideways step between two contestants, as a share of the smallest gap between a panel's levels


@dataclass
class Line:
    """One contestant's rows in one task's panel, sorted by difficulty, and how to draw them."""

    task: str
    backend: str
    label: str
    color: str
    marker: str
    rows: pd.DataFrame
    shift: float = 0.0  # sideways step on a by-difficulty axis: added, or on a log axis a power of 2 to multiply by
    log: bool = False  # the task's levels grow geometrically (2, 4, 8, ...): its axis is log2

    @property
    def x(self) -> pd.Series:
        d = self.rows["difficulty"].astype(float)
        return d * 2 ** self.shift if self.log else d + self.shift


def geometric(levels) -> bool:
    """Levels that grow by one factor of at least 2 (emulate's 2, 4, 8, 16, 32): drawn on a log2 axis."""
    levels = sorted(float(d) for d in set(levels))
    if len(levels) < 3 or levels[0] <= 0:
        return False
    factor = levels[1] / levels[0]
    return factor >= 2 and all(abs(b / a - factor) < 1e-9 for a, b in zip(levels, levels[1:]))


def tasks_of(summary: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(summary["task"]))  # the summary's order: the task registry's


def who_of(summary: pd.DataFrame) -> pd.DataFrame:
    cols = ["backend", "contestant", "setting"] + [c for c in ("model", "prompt_format", "shots", "method")
                                                   if c in summary]
    return summary[cols].drop_duplicates(["backend", "contestant", "setting"])


def styles(summary: pd.DataFrame) -> dict[tuple[str, str], tuple[str, str]]:
    """(contestant, setting) -> (colour, marker), in the summary's order (the ISA first): the same in every figure
    drawn from one summary."""
    out, k = {}, 0
    for _, w in who_of(summary).iterrows():
        if w["backend"] == "reference":
            out[(w["contestant"], w["setting"])] = REFERENCE
            continue
        out[(w["contestant"], w["setting"])] = (PALETTE[k % len(PALETTE)], MARKERS[k % len(MARKERS)])
        k += 1
    return out


def present(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value != ""


def how_asked(w) -> str:
    """What a model contestant's name leaves out: the model when the name has none, the prompt format and shots
    ("embedded model; compact prompt, 0-shot"; "classifier head")."""
    parts = []
    if w["backend"] not in ("llm", "hybrid"):
        return ""
    if w["contestant"] == w["backend"]:  # "llm": the embedded model, whose name the label omits
        parts.append("embedded model" if not present(w.get("model")) else str(w["model"]))
    method = w.get("method")
    if method == "head":
        parts.append("classifier head")
    elif present(w.get("prompt_format")):
        shots = int(float(w["shots"])) if present(w.get("shots")) else 0
        scored = ", log-likelihood" if method == "loglikelihood" else ""
        parts.append(f"{w['prompt_format']} prompt, {shots}-shot{scored}")
    return "; ".join(parts)


def labels(summary: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(contestant, setting) -> its legend label; the setting is spelled out where one contestant has several and
    the prompt options do not already tell them apart."""
    who = who_of(summary)
    out = {}
    for _, w in who.iterrows():
        name = {"isa": "ISA (register machine)", "reference": "reference answer"}.get(w["contestant"], w["contestant"])
        detail = how_asked(w)
        out[(w["contestant"], w["setting"])] = f"{name} ({detail})" if detail else name
    clash = pd.Series(list(out.values())).duplicated(keep=False).tolist()
    for (key, label), twin in zip(list(out.items()), clash):
        if twin:
            out[key] = f"{label} [{key[1]}]"
    return out


def series(summary: pd.DataFrame, dodge: bool = False):
    """A Line for every contestant of every task, in the summary's order; `dodge` steps them apart sideways."""
    style, label = styles(summary), labels(summary)
    for task in tasks_of(summary):
        mine = summary[summary["task"] == task]
        groups = list(mine.groupby(["backend", "contestant", "setting"], sort=False))
        levels = sorted(mine["difficulty"].astype(float).unique())
        log = geometric(levels)
        steps = [math.log2(b / a) if log else b - a for a, b in zip(levels, levels[1:])]
        gap = min(steps, default=1.0)
        for k, ((backend, contestant, setting), rows) in enumerate(groups):
            color, marker = style[(contestant, setting)]
            shift = (k - (len(groups) - 1) / 2) * DODGE * gap if dodge else 0.0
            yield Line(task, backend, label[(contestant, setting)], color, marker, rows.sort_values("difficulty"),
                       shift, log)


def coverage_of(rows: pd.DataFrame) -> pd.Series:
    return rows["coverage"].fillna("") if "coverage" in rows else pd.Series("", index=rows.index)


def runs_of_training(rows: pd.DataFrame) -> list[pd.Index]:
    """The row indices in stretches a line may join: a level the model never trained on is never joined to one it
    trained on."""
    untrained = (coverage_of(rows) == "untrained").tolist()
    out, start = [], 0
    for i in range(1, len(untrained) + 1):
        if i == len(untrained) or untrained[i] != untrained[i - 1]:
            out.append(rows.index[start:i])
            start = i
    return out


def draw_points(ax, line: Line, x: pd.Series, y: pd.Series, size: float = 5.5, linestyle: str = "-",
                linewidth: float = 1.2) -> None:
    """The line in stretches of equal training (never joining untrained to trained) and its markers, filled by
    coverage, and the contestant's legend entry."""
    cover = coverage_of(line.rows)
    for idx in runs_of_training(line.rows):
        ax.plot(x[idx], y[idx], linestyle=linestyle, color=line.color, linewidth=linewidth)
    legend_entry(ax, line, linestyle, size)
    for fill in dict.fromkeys(cover):
        at = cover.index[cover == fill]
        style = COVERAGE_FILL.get(fill)
        ax.plot(x[at], y[at], linestyle="none", marker=line.marker, markersize=size, color=line.color,
                markerfacecolor="white" if style == "none" else line.color,
                fillstyle="full" if style in (None, "none") else style, markerfacecoloralt="white")


def legend_entry(ax, line: Line, linestyle: str = "-", size: float = 5.5) -> None:
    """The contestant's legend entry (its colour, marker and line), drawn as an empty line: no data of its own."""
    ax.plot([], [], linestyle=linestyle, color=line.color, marker=line.marker, markersize=size, label=line.label)


def coverage_keys(summary: pd.DataFrame) -> dict[str, object]:
    """Legend entries (grey markers) for the fill styles the summary uses."""
    from matplotlib.lines import Line2D

    used = set(summary["coverage"].fillna("")) if "coverage" in summary else set()
    out = {}
    for fill, meaning in COVERAGE_MEANING.items():
        if fill in used:
            style = COVERAGE_FILL[fill]
            out[meaning] = Line2D([], [], linestyle="none", marker="o", color="0.3", markersize=6,
                                  markerfacecolor="white" if style == "none" else "0.3",
                                  fillstyle="full" if style == "none" else style, markerfacecoloralt="white")
    return out
