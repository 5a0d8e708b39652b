"""Tables from a summary, one row per task x difficulty x contestant: a narrow one for the terminal (fits 100
columns) and the full one in Markdown and LaTeX for reports.

Accuracy is shown with its Wilson 95 % interval; times follow bench/timing.py (total per answer with the quartiles
over repeats and chunks; machine and glue apart); each side other than the ISA is divided by the ISA twice, total
by total and machine by machine (the model's forward passes by the register machine's engine call).
"""
from __future__ import annotations

import pandas as pd

COVERAGE_NOTE = {"held-out": "", "train-shared": "†", "untrained": "‡", "unknown": "", "": ""}
NOTES = ("Accuracy: exact-match % with the Wilson 95 % interval. Every time runs from an instance's text in to its "
         "parsed answer out, the same span on every side (set-up and warm-up excluded). Total/answer: a chunk's "
         "time ÷ its answers (the median of its repeats), [q1–q3] over every repeat of every chunk. Machine: the "
         "instruction set at work per answer: the register machine's engine call (ISA), the model's forward passes "
         "(LLM). Glue: the rest of the total (reading text, prompts, tokens, laying memory, decoding, parsing). "
         "Compile: building a program that is the instance, inside the total. Alone: the median latency of one "
         "answer on its own. total ÷ ISA total: the row's total per answer over the ISA's; model ÷ ISA machine: its "
         "machine over the ISA's machine; [lo–hi]: its q1 over the ISA's q3 to its q3 over the ISA's q1; the ISA "
         "row is named in \"vs ISA\". write + run: the hybrid's halves, the model writing the program and the machine "
         "assembling and running it. Outcomes: answers that are not a normal finish, by status. FLOPs ≈ 2 × non-embedding parameters × tokens processed. † the level's "
         "instances are also training data of the model (--split train); ‡ the model was never trained on this "
         "level.")
NOTES_TEXT = ("total÷ISA: the row's total time per answer ÷ the ISA's; model÷mach: its machine time (a model's forward "
              "passes) ÷ the ISA's machine (engine call) time; † training data too (--split train); ‡ a level the "
              "model never trained on; full table: report.md")


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
    if x is None or pd.isna(x):
        return "–"
    if x >= 1e6:
        return f"{x / 1e6:.3g}M×"
    return f"{x:,.0f}×" if x >= 100 else f"{x:.3g}×"  # "1,170×", not "1.17e+03×"


def fmt_ratio_spread(row, what: str = "total") -> str:
    mid, lo, hi = (row.get(f"{what}_ratio_to_isa{end}") for end in ("", "_lo", "_hi"))
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return fmt_ratio(mid)
    return f"{fmt_ratio(mid)} [{fmt_ratio(lo)}–{fmt_ratio(hi)}]"


def fmt_accuracy(row, latex: bool = False, kind: str = "accuracy") -> str:
    """`kind`: "accuracy" (strict-match) or "accuracy_flexible" (flexible-extract), with its interval."""
    acc, lo, hi = (row.get(f"{kind}{end}", float("nan")) * 100 for end in ("", "_lo", "_hi"))
    if pd.isna(acc):
        return "–"
    if pd.isna(lo):
        return f"{acc:.1f}"
    if latex:
        return f"{acc:.1f} [{lo:.1f}, {hi:.1f}]"
    return f"{acc:.1f} ({lo:.1f}–{hi:.1f})"


def fmt_spread(row) -> str:
    t, q1, q3 = row["time_per_answer_s"], row.get("per_answer_q1_s"), row.get("per_answer_q3_s")
    if pd.isna(t):
        return "–"
    if pd.isna(q1) or pd.isna(q3) or q3 <= q1:
        return fmt_time(t)
    return f"{fmt_time(t)} [{fmt_time(q1)}–{fmt_time(q3)}]"


def work(row) -> str:
    """Operations per answer, in each half's own unit: FLOPs of a model, instructions of the register machine (the
    hybrid does both)."""
    parts = []
    if not pd.isna(row["flops_per_answer"]):
        parts.append(f"{fmt_big(row['flops_per_answer'])} FLOP")
    if not pd.isna(row["instructions_per_answer"]):
        parts.append(f"{fmt_big(row['instructions_per_answer'])} instr")
    return " + ".join(parts) or "–"


def text_or_blank(value) -> str:
    return value if isinstance(value, str) else ""


def halves(row) -> str:
    """The hybrid's two halves per answer: the model writing (its forward passes within) and the machine running
    (its engine call within); "" for a side with one half."""
    if pd.isna(row.get("write_per_answer_s")) or pd.isna(row.get("run_per_answer_s")):
        return ""
    return (f"write {fmt_time(row['write_per_answer_s'])} (model {fmt_time(row['model_per_answer_s'])}) + run "
            f"{fmt_time(row['run_per_answer_s'])} (engine {fmt_time(row['engine_per_answer_s'])})")


def mark(row) -> str:
    return COVERAGE_NOTE.get(row.get("coverage") or "", "")


def text_table(summary: pd.DataFrame) -> str:
    """The terminal's table: what a reader needs at a glance, within 100 columns. The ISA's machine time stands
    beside its whole time per answer, and the LLM's time is divided by each (÷ISA, ÷mach)."""
    rows = [("task", "d", "side", "n", "exact % (95% CI)", "total", "machine", "total÷ISA", "model÷mach",
             "work/answer")]
    for _, r in summary.iterrows():
        vs = isinstance(r.get("isa_contestant"), str) and bool(r.get("isa_contestant"))
        rows.append((r["task"][:9], str(int(r["difficulty"])), r["contestant"][:19] + mark(r), str(int(r["n"])),
                     fmt_accuracy(r), fmt_time(r["time_per_answer_s"]), fmt_time(r["machine_per_answer_s"]),
                     fmt_ratio(r["total_ratio_to_isa"]) if vs else "",
                     fmt_ratio(r["machine_ratio_to_isa"]) if vs else "", work(r)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {1, 3, 5, 6, 7, 8, 9}
    lines = [" ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
             for row in rows]
    marked = summary["coverage"].fillna("").isin(("train-shared", "untrained")).any()
    return "\n".join(lines + ([NOTES_TEXT] if marked else []))


LATEX_SIGNS = (("%", r"\%"), ("_", r"\_"), ("×", r"$\times$"), ("÷", "/"), ("µs", r"$\mu$s"), ("–", "--"),
               ("†", r"$^\dagger$"), ("‡", r"$^\ddagger$"))
FULL = ["task", "difficulty", "side", "n", "exact % (95 % CI)", "partial", "total/answer [IQR]", "machine", "glue",
        "compile", "alone", "work/answer", "tokens", "total ÷ ISA total [lo–hi]", "model ÷ ISA machine [lo–hi]",
        "vs ISA", "write + run", "errors", "unparsed", "outcomes", "flexible % (95 % CI)"]


def full_rows(summary: pd.DataFrame, latex: bool = False) -> list[list[str]]:
    out = []
    for _, r in summary.iterrows():
        tokens = r["prompt_tokens_per_answer"] + (r["generated_tokens_per_answer"] or 0) \
            if not pd.isna(r["prompt_tokens_per_answer"]) else None
        vs = r.get("isa_contestant") if isinstance(r.get("isa_contestant"), str) else ""
        out.append([r["task"], str(int(r["difficulty"])), r["contestant"] + mark(r), str(int(r["n"])),
                    fmt_accuracy(r, latex),
                    f"{r['partial']:.2f}", fmt_spread(r), fmt_time(r["machine_per_answer_s"]),
                    fmt_time(r["glue_per_answer_s"]),
                    fmt_time(r["compile_per_answer_s"]) if r["compile_per_answer_s"] > 0 else "–",
                    fmt_time(r["alone_median_s"]), work(r), fmt_big(tokens) if tokens is not None else "–",
                    fmt_ratio_spread(r, "total") if vs else "", fmt_ratio_spread(r, "machine") if vs else "", vs,
                    halves(r), str(int(r["errors"])), str(int(r["unparsed"])), text_or_blank(r.get("outcomes")),
                    fmt_accuracy(r, latex, "accuracy_flexible")])
    return out


def markdown(summary: pd.DataFrame, hardware: str, title: str = "isabench results", extra: str = "") -> str:
    header = "| " + " | ".join(FULL) + " |"
    rule = "|" + "|".join("---" if c in ("task", "side") else "---:" for c in FULL) + "|"
    body = ["| " + " | ".join(row) + " |" for row in full_rows(summary)]
    return "\n".join([f"# {title}", "", header, rule, *body, "", NOTES, "", extra, f"Hardware: {hardware}", ""])


def latex(summary: pd.DataFrame, hardware: str, title: str = "isabench results") -> str:
    cols = [c for c in FULL if c not in ("partial", "tokens", "unparsed", "compile", "write + run", "outcomes")]
    keep = [FULL.index(c) for c in cols]

    def esc(s) -> str:
        s = str(s)
        for plain, tex in LATEX_SIGNS:
            s = s.replace(plain, tex)
        return s

    lines = [r"\begin{table}[t]", r"\centering", r"\small", rf"\begin{{tabular}}{{ll{'r' * (len(cols) - 2)}}}",
             r"\toprule", " & ".join(esc(c) for c in cols) + r" \\", r"\midrule"]
    lines += [" & ".join(esc(row[i]) for i in keep) + r" \\" for row in full_rows(summary, latex=True)]
    lines += [r"\bottomrule", r"\end{tabular}",
              rf"\caption{{{esc(title)}. Exact-match accuracy in \% with Wilson 95\,\% intervals; time per answer "
              rf"excludes set-up, with the interquartile range over batches. {esc(hardware)}}}", r"\end{table}", ""]
    return "\n".join(lines)
