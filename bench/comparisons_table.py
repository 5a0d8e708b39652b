"""The comparison table (bench/comparisons.py) for people: a terminal table, a report.md section, a report.tex table.

Each row reads: b's accuracy minus a's in points with its 95 % interval, the test's p-value and its Holm-corrected
value, the better contestant where the corrected test says they differ, and the minimum detectable effect (MDE).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

COMPARISONS_FILE = "comparisons.csv"
NOTES = ("b − a: b's exact-match accuracy minus a's, in points, with its 95 % interval (paired: Newcombe's method "
         "10 for paired proportions; unpaired: his method 10 for independent ones). a / b only: instances only a "
         "(only b) answered rightly, the discordant pairs McNemar's exact test weighs. p: that test's two-sided "
         "p-value (unpaired rows: the two-proportion score test); Holm: corrected over the {tests} of this table. "
         "Better: the more accurate one where the corrected p < 0.05. MDE: the smallest difference in points this "
         "n detects with 80 % power at 5 % (paired: given the observed share of discordant instances; – : no "
         "difference is detectable with so few disagreements). Time b ÷ a: b's median per-answer batch time over "
         "a's, [95 % bootstrap interval over batches]; none over all levels (their batches mix levels).")


def tests(df: pd.DataFrame) -> str:
    m = int(df["p_value"].notna().sum())
    return f"{m} test" + ("" if m == 1 else "s")


def fmt_points(x: float, signed: bool = True) -> str:
    if x is None or pd.isna(x):
        return "–"
    return f"{100 * x:+.1f}" if signed else f"{100 * x:.1f}"


def fmt_difference(r, latex: bool = False) -> str:
    d, lo, hi = r["difference"], r["difference_lo"], r["difference_hi"]
    if pd.isna(lo):
        return fmt_points(d)
    return f"{fmt_points(d)} [{fmt_points(lo)}, {fmt_points(hi)}]" if latex else \
        f"{fmt_points(d)} ({fmt_points(lo)} to {fmt_points(hi)})"


def fmt_p(p: float) -> str:
    if p is None or pd.isna(p):
        return "–"
    if p >= 0.001:
        return f"{p:.3f}"
    return "<1e-300" if p == 0 else f"{p:.1e}"


def fmt_ratio(r) -> str:
    x, lo, hi = r["time_ratio"], r["time_ratio_lo"], r["time_ratio_hi"]
    if x is None or pd.isna(x):
        return "–"
    if pd.isna(lo):
        return f"{x:.3g}×"
    return f"{x:.3g}× [{lo:.3g}–{hi:.3g}]"


def fmt_discordant(r) -> str:
    return "–" if pd.isna(r["a_only"]) else f"{int(r['a_only'])} / {int(r['b_only'])}"


def level(r) -> str:
    return str(r["difficulty"])


def rows_of(df: pd.DataFrame, latex: bool = False) -> list[list[str]]:
    return [[r["task"], level(r), r["a"], r["b"], r["design"], str(int(r["n"])), fmt_points(r["accuracy_a"], False),
             fmt_points(r["accuracy_b"], False), fmt_difference(r, latex), fmt_discordant(r), fmt_p(r["p_value"]),
             fmt_p(r["p_holm"]), r["better"] or "–", fmt_points(r["mde"], False), fmt_ratio(r)]
            for _, r in df.iterrows()]


HEADER = ["task", "d", "a", "b", "design", "n", "a %", "b %", "b − a (95 % CI)", "a / b only", "p", "Holm",
          "better", "MDE", "time b ÷ a [95 % CI]"]


def markdown_section(df: pd.DataFrame, title: str = "Comparisons") -> str:
    """report.md's section: every comparison, then how to read it."""
    if df is None or df.empty:
        return ""
    right = {"n", "a %", "b %", "b − a (95 % CI)", "a / b only", "p", "Holm", "MDE", "time b ÷ a [95 % CI]"}
    lines = [f"## {title}", "", "| " + " | ".join(HEADER) + " |",
             "|" + "|".join("---:" if h in right else "---" for h in HEADER) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows_of(df)]
    return "\n".join(lines + ["", NOTES.format(tests=tests(df)), ""]) + "\n"




def esc(text) -> str:
    """Plain text -> LaTeX: the summary table's signs (bench/report.py), and a minus and a less-than besides."""
    from bench.report import LATEX_SIGNS

    text = str(text)
    for plain, tex in (*LATEX_SIGNS, ("−", "--"), ("<", "$<$")):
        text = text.replace(plain, tex)
    return text


def latex_table(df: pd.DataFrame, title: str = "Comparisons") -> str:
    """report.tex's table of comparisons (the design and discordant counts are in report.md and the CSV)."""
    if df is None or df.empty:
        return ""
    keep = [HEADER.index(h) for h in ("task", "d", "a", "b", "n", "b − a (95 % CI)", "p", "Holm", "better", "MDE",
                                      "time b ÷ a [95 % CI]")]
    lines = [r"\begin{table}[t]", r"\centering", r"\small", rf"\begin{{tabular}}{{llll{'r' * (len(keep) - 4)}}}",
             r"\toprule", " & ".join(esc(HEADER[i]) for i in keep) + r" \\", r"\midrule"]
    lines += [" & ".join(esc(row[i]) for i in keep) + r" \\" for row in rows_of(df, latex=True)]
    lines += [r"\bottomrule", r"\end{tabular}",
              rf"\caption{{{esc(title)}: accuracy of b minus a in points, 95\,\% interval by Newcombe's method 10; "
              rf"p: exact McNemar test on the discordant instances (unpaired rows: two-proportion score test); Holm: "
              rf"corrected over the {tests(df)} of this table; MDE: smallest difference detectable with 80\,\% power "
              rf"at 5\,\%; time: ratio of median per-answer batch times with a 95\,\% bootstrap interval.}}",
              r"\end{table}", ""]
    return "\n".join(lines)


def text_table(df: pd.DataFrame) -> str:
    """The terminal's table: no design, discordant counts or times (report.md has them); fits 100 columns."""
    cols = ["task", "d", "a", "b", "n", "b − a (95 % CI)", "p", "Holm", "better", "MDE"]
    keep = [HEADER.index(c) for c in cols]
    rows = [cols] + [[row[i][:22] for i in keep] for row in rows_of(df)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
    right = {1, 4, 5, 6, 7, 9}
    return "\n".join(" ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     .rstrip() for r in rows)


def overall_text(run: str | Path) -> str:
    """For `isabench run`'s terminal: each task's comparisons over all its levels (or its only level)."""
    path = Path(run) / COMPARISONS_FILE
    if not path.exists():
        return ""
    df = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"difficulty": str, "better": str})
    df["better"] = df["better"].fillna("")
    several = set(df.loc[df["difficulty"] == "all", "task"])
    shown = df[(df["difficulty"] == "all") | ~df["task"].isin(several)]
    if shown.empty:
        return ""
    return (f"\ncomparisons (b − a in points; p: exact McNemar; Holm over the {tests(df)} in {COMPARISONS_FILE}; "
            f"per level in report.md):\n" + text_table(shown))
