"""Accuracy beside the difficulty axis: overall per task, and per facet (a sentence's site; whether two operands
have equal length), for every contestant. Computed from the records alone, like the summary."""
from __future__ import annotations

from collections import defaultdict

import pandas as pd

from bench.stats import wilson

COLUMNS = ["task", "contestant", "backend", "variant", "setting", "facet", "value", "n", "correct", "accuracy",
           "accuracy_lo", "accuracy_hi"]


def breakdown(records: list[dict]) -> pd.DataFrame:
    cells: dict[tuple, list[bool]] = defaultdict(list)
    for r in records:
        who = (r["task"], r.get("contestant") or r["backend"], r["backend"], r.get("variant", ""), r.get("setting", ""))
        cells[(*who, "all levels", "all")].append(bool(r["exact"]))
        for facet, value in (r.get("facets") or {}).items():
            cells[(*who, facet, str(value))].append(bool(r["exact"]))
    rows = []
    for key, hits in cells.items():
        lo, hi = wilson(sum(hits), len(hits))
        rows.append([*key, len(hits), sum(hits), sum(hits) / len(hits), lo, hi])
    df = pd.DataFrame(rows, columns=COLUMNS)
    order = df["value"].map(value_order)  # numbers as numbers (2, 10, 12), then words as words
    df = df.assign(_order=order).sort_values(["task", "facet", "_order", "backend", "contestant"], kind="stable")
    return df.drop(columns="_order").reset_index(drop=True)


def value_order(value: str) -> tuple:
    """A facet value's place: a number by its size (emulate's `written`: 2, 4, 10, not 10, 2, 4), before words in
    their alphabetical order."""
    try:
        return (0, float(value), "")
    except ValueError:
        return (1, 0.0, value)


def markdown_section(df: pd.DataFrame) -> str:
    """The breakdown as a Markdown section for report.md."""
    if df.empty:
        return ""
    lines = ["## Overall and by facet", "", "| task | facet | value | side | n | exact % (95 % CI) |",
             "|---|---|---|---|---:|---:|"]
    for _, r in df.iterrows():
        lines.append(f"| {r['task']} | {r['facet']} | {r['value']} | {r['contestant']} | {r['n']} | "
                     f"{100 * r['accuracy']:.1f} ({100 * r['accuracy_lo']:.1f}–{100 * r['accuracy_hi']:.1f}) |")
    return "\n".join(lines) + "\n"
