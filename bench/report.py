"""Tables from a summary: a wide comparison (one row per task x difficulty, ISA beside LLM) in text, Markdown, LaTeX.

Accuracy is shown with its Wilson 95 % interval as +/- distances (asymmetric near 0 and 100 %); times are medians of
the batched time per answer with +/- half the interquartile range of the per-answer times (batch time / batch size).
"""
from __future__ import annotations

import math

import pandas as pd

SIDE_ORDER = ("isa", "llm", "reference")


def fmt_time(s: float) -> str:
    if s is None or pd.isna(s):
        return "–"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if abs(s) >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def fmt_big(x: float) -> str:
    if x is None or pd.isna(x):
        return "–"
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{unit}"
    return f"{x:.3g}"


def fmt_ratio(x: float) -> str:
    return f"{x:,.0f}×" if x >= 100 else f"{x:.3g}×"  # "1,170×", not "1.17e+03×"


def fmt_accuracy(row, latex: bool = False) -> str:
    acc, lo, hi = row["accuracy"] * 100, row["accuracy_lo"] * 100, row["accuracy_hi"] * 100
    if pd.isna(lo):
        return f"{acc:.1f}"
    up, down = max(0.0, hi - acc), max(0.0, acc - lo)  # no "-0.0" from rounding at 0 % and 100 %
    if latex:
        return f"${acc:.1f}^{{+{up:.1f}}}_{{-{down:.1f}}}$"
    return f"{acc:.1f} +{up:.1f}/−{down:.1f}"


def fmt_latency(row, latex: bool = False) -> str:
    t = row["time_per_answer_s"]
    spread = row.get("per_answer_iqr_s", math.nan)
    half_iqr = spread / 2 if not pd.isna(spread) and spread > 0 else math.nan  # one batch: no spread to show
    if pd.isna(t):
        return "–"
    text = fmt_time(t) + ("" if pd.isna(half_iqr) else f" ± {fmt_time(half_iqr)}")
    return text.replace("±", r"$\pm$").replace("µs", r"$\mu$s") if latex else text


def side_label(backend: str, variant: str, many_variants: bool) -> str:
    return f"{backend} [{variant}]" if many_variants and backend == "llm" else backend


def wide(summary: pd.DataFrame, latex: bool = False) -> pd.DataFrame:
    """Task x difficulty rows; per side: n, accuracy, partial, time per answer, work per answer; then LLM/ISA ratios."""
    many = summary[summary["backend"] == "llm"]["variant"].nunique() > 1
    rows = []
    for (task, d), grp in summary.groupby(["task", "difficulty"], sort=False):  # the summary's order
        ns = list(dict.fromkeys(int(n) for n in grp["n"]))  # usually one n for all sides; else "20/13"
        row = {"task": task, "difficulty": int(d), "n": "/".join(map(str, ns))}
        for _, r in grp.iterrows():
            side = side_label(r["backend"], r["variant"], many)
            row[f"{side} acc %"] = fmt_accuracy(r, latex)
            row[f"{side} partial"] = f"{r['partial']:.2f}"
            row[f"{side} time/answer"] = fmt_latency(r, latex)
            if r["backend"] == "isa":
                row["isa instr/answer"] = fmt_big(r["instructions_per_answer"])
            if r["backend"] == "llm":
                row[f"{side} FLOPs/answer"] = fmt_big(r["flops_per_answer"])
                if not pd.isna(r["time_ratio_llm_isa"]):
                    row[f"{side} time ÷ isa"] = fmt_ratio(r["time_ratio_llm_isa"])
        rows.append(row)
    return pd.DataFrame(rows).fillna("–")


def text_table(summary: pd.DataFrame) -> str:
    return wide(summary).to_string(index=False)


def markdown(summary: pd.DataFrame, hardware: str, title: str = "isabench results") -> str:
    df = wide(summary)
    header = "| " + " | ".join(df.columns) + " |"
    rule = "|" + "|".join("---:" if c != "task" else "---" for c in df.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    notes = ("Accuracy: exact-match %, with the Wilson 95 % interval as +/−. "
             "Time/answer: batched wall time ÷ answers (set-up and warm-up excluded) ± half the interquartile range "
             "over batches. "
             "FLOPs ≈ 2 × non-embedding parameters × tokens processed.")
    return "\n".join([f"# {title}", "", header, rule, *body, "", notes, "", f"Hardware: {hardware}", ""])


def latex(summary: pd.DataFrame, hardware: str, title: str = "isabench results") -> str:
    df = wide(summary, latex=True)
    cols = "l" + "r" * (len(df.columns) - 1)

    def esc(s) -> str:
        s = str(s)
        if s.startswith("$"):  # already LaTeX math
            return s
        return s.replace("%", r"\%").replace("_", r"\_").replace("×", r"$\times$").replace("÷", "/")

    lines = [r"\begin{table}[t]", r"\centering", r"\small", rf"\begin{{tabular}}{{{cols}}}", r"\toprule",
             " & ".join(esc(c) for c in df.columns) + r" \\", r"\midrule"]
    lines += [" & ".join(esc(v) for v in row) + r" \\" for row in df.itertuples(index=False)]
    lines += [r"\bottomrule", r"\end{tabular}",
              rf"\caption{{{esc(title)}. Accuracy in \% with Wilson 95\,\% intervals; time per answer excludes "
              rf"set-up, $\pm$ half the IQR. {esc(hardware)}}}", r"\end{table}", ""]
    return "\n".join(lines)
