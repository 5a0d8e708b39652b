"""Tables from a summary, one row per task x difficulty x contestant: a narrow one for the terminal (fits 100
columns) and the full one in Markdown and LaTeX for reports.

Accuracy is shown with its Wilson 95 % interval; times follow bench/timing.py (total per answer with the quartiles
over repeats and chunks; machine and glue apart); each side other than the ISA is divided by the ISA twice, total
by total and machine by machine (the model's forward passes by the register machine's engine call).
"""
from __future__ import annotations

import pandas as pd

FEW = 10  # a level with fewer answers shows mostly a chunk's fixed costs as its time per answer: its ratios are marked
COVERAGE_NOTE = {"held-out": "", "train-shared": "†", "untrained": "‡", "unknown": "", "": ""}
NOTES = ("Accuracy: exact-match % with the Wilson 95 % interval. Every time runs from an instance's text in to its "
         "parsed answer out, the same span on every side (set-up and warm-up excluded). Total/answer: a chunk's "
         "time ÷ its answers (the median of its repeats), [q1–q3] over every repeat of every chunk. Machine: the "
         "instruction set at work per answer: the register machine's engine call (ISA), the model's forward passes "
         "(LLM). Glue: the rest of the total (reading text, prompts, tokens, laying memory, decoding, parsing). "
         "Compile: building a program that is the instance, inside the total. Alone: the median latency of one "
         "answer on its own. total ÷ ISA total: the row's total per answer over the ISA's; model ÷ ISA machine: its "
         "machine over the ISA's machine; [lo–hi]: its q1 over the ISA's q3 to its q3 over the ISA's q1; the ISA "
         "row is named in \"vs ISA\" (a task with several ISA contestants is divided by its first). write + run: "
         "the hybrid's halves, the model writing the program and the machine assembling and running it. Partial: "
         "the mean partial credit per answer: the share of a number's characters right (right-aligned, sign "
         "included), word-count F1 on wordfreq, 1 or 0 on labelled tasks. "
         "Tokens: a model's prompt + generated tokens per answer, what its forward passes processed. Outcomes: "
         "answers that are not a normal finish, by status. FLOPs ≈ 2 × non-embedding parameters × tokens processed. "
         f"§ fewer than {FEW} answers at this level: a chunk's fixed costs dominate its time per answer, so its times "
         "and ratios do not compare with larger levels' (the ratio figure leaves them out). † the level's "
         "instances are also training data of the model (--split train); ‡ the model was never trained on this "
         "level. (incomplete): fewer answers than the run planned (an interrupted or failed level).")
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


def few(row) -> str:
    """§ on a level of fewer than FEW answers: its time per answer is mostly a chunk's fixed costs."""
    return "§" if int(row["n"]) < FEW else ""


def divided_by(summary: pd.DataFrame) -> str:
    """What "÷ISA" divides by, where a task has several ISA contestants: "sentiment: isa: lexicon"."""
    named = summary[["task", "isa_contestant"]].dropna().drop_duplicates()
    return "; ".join(f"{t}: {c}" for t, c in named.itertuples(index=False) if isinstance(c, str) and c != "isa")


def text_table(summary: pd.DataFrame, facts=None) -> str:
    """The terminal's table: what a reader needs at a glance, within 100 columns. The ISA's machine time stands
    beside its whole time per answer, and the LLM's time is divided by each (÷ISA, ÷mach); a level with fewer
    answers than planned shows "n/planned", and an interrupted run says so on top."""
    rows = [("task", "d", "side", "n", "exact % (95% CI)", "total", "machine", "total÷ISA", "model÷mach",
             "work/answer")]
    for _, r in summary.iterrows():
        vs = isinstance(r.get("isa_contestant"), str) and bool(r.get("isa_contestant"))
        n = f"{int(r['n'])}/{facts.planned_n(r)}" if facts is not None and facts.short(r) else str(int(r["n"]))
        rows.append((r["task"][:9], str(int(r["difficulty"])), r["contestant"][:19] + mark(r), n,
                     fmt_accuracy(r), fmt_time(r["time_per_answer_s"]) + few(r), fmt_time(r["machine_per_answer_s"]),
                     fmt_ratio(r["total_ratio_to_isa"]) if vs else "",
                     fmt_ratio(r["machine_ratio_to_isa"]) if vs else "", work(r)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {1, 3, 5, 6, 7, 8, 9}
    lines = [" ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
             for row in rows]
    marked = summary["coverage"].fillna("").isin(("train-shared", "untrained")).any()
    notes = [NOTES_TEXT] if marked else []
    named = divided_by(summary)
    if named:
        notes.append(f"÷ISA divides by the ISA contestant {named}")
    if (summary["n"] < FEW).any():
        notes.append(f"§ n < {FEW}: a chunk's fixed costs dominate the time per answer; compare it and its ratios with "
                     "care")
    top = []
    if facts is not None and (facts.interrupted or any(facts.short(r) for _, r in summary.iterrows())):
        top.append(("INTERRUPTED: " if facts.interrupted else "") + "n/planned marks a level with fewer answers than "
                   "the run planned" + ("; rerun the same command to finish" if facts.interrupted else ""))
    return "\n".join(top + lines + notes)


LATEX_SIGNS = (("%", r"\%"), ("_", r"\_"), ("×", r"$\times$"), ("÷", "/"), ("µs", r"$\mu$s"), ("–", "--"),
               ("†", r"$^\dagger$"), ("‡", r"$^\ddagger$"), ("§", r"$^\S$"))
FULL = ["task", "difficulty", "side", "n", "exact % (95 % CI)", "partial", "total/answer [IQR]", "machine", "glue",
        "compile", "alone", "work/answer", "tokens", "total ÷ ISA total [lo–hi]", "model ÷ ISA machine [lo–hi]",
        "vs ISA", "write + run", "errors", "unparsed", "outcomes", "flexible % (95 % CI)"]


def full_rows(summary: pd.DataFrame, latex: bool = False, facts=None) -> list[list[str]]:
    from bench.run_facts import short_n

    out = []
    for _, r in summary.iterrows():
        tokens = r["prompt_tokens_per_answer"] + (r["generated_tokens_per_answer"] or 0) \
            if not pd.isna(r["prompt_tokens_per_answer"]) else None
        vs = r.get("isa_contestant") if isinstance(r.get("isa_contestant"), str) else ""
        out.append([r["task"], str(int(r["difficulty"])), r["contestant"] + mark(r), short_n(r, facts),
                    fmt_accuracy(r, latex),
                    f"{r['partial']:.2f}", fmt_spread(r) + few(r), fmt_time(r["machine_per_answer_s"]),
                    fmt_time(r["glue_per_answer_s"]),
                    fmt_time(r["compile_per_answer_s"]) if r["compile_per_answer_s"] > 0 else "–",
                    fmt_time(r["alone_median_s"]), work(r), fmt_big(tokens) if tokens is not None else "–",
                    fmt_ratio_spread(r, "total") + few(r) if vs else "",
                    fmt_ratio_spread(r, "machine") + few(r) if vs else "", vs,
                    halves(r), str(int(r["errors"])), str(int(r["unparsed"])), text_or_blank(r.get("outcomes")),
                    fmt_accuracy(r, latex, "accuracy_flexible")])
    return out


def markdown(summary: pd.DataFrame, hardware: str, title: str = "isabench results", extra: str = "",
             facts=None) -> str:
    """report.md: the run's command, seed, date and conditions on top (bench/run_facts.py), the full table, its
    notes, the extra sections, the hardware."""
    from bench.run_facts import head

    header = "| " + " | ".join(FULL) + " |"
    rule = "|" + "|".join("---" if c in ("task", "side") else "---:" for c in FULL) + "|"
    body = ["| " + " | ".join(row) + " |" for row in full_rows(summary, facts=facts)]
    about = head(facts) if facts is not None else []
    gone = facts.missing(summary) if facts is not None else []
    if gone:
        about.append("Not answered (planned, no records): " + "; ".join(gone))
    return "\n".join([f"# {title}", "", *[line + "  " for line in about], *([""] if about else []), header, rule,
                      *body, "", NOTES, "", extra, f"Hardware: {hardware}", ""])


def marks_said(summary: pd.DataFrame, facts=None) -> list[str]:
    """The table's marks that need a word in a caption: few answers, incomplete levels, an interrupted run."""
    out = [f"§ fewer than {FEW} answers: fixed costs dominate the time per answer"] if (summary["n"] < FEW).any() \
        else []
    if facts is not None and any(facts.short(r) for _, r in summary.iterrows()):
        out.append("(incomplete): fewer answers than planned")
    if facts is not None and facts.interrupted:
        out.append("The run was interrupted")
    return out


def latex(summary: pd.DataFrame, hardware: str, title: str = "isabench results", facts=None) -> str:
    cols = [c for c in FULL if c not in ("partial", "tokens", "unparsed", "compile", "write + run", "outcomes")]
    keep = [FULL.index(c) for c in cols]

    def esc(s) -> str:
        s = str(s)
        for plain, tex in LATEX_SIGNS:
            s = s.replace(plain, tex)
        return s

    lines = [r"\begin{table}[t]", r"\centering", r"\small", rf"\begin{{tabular}}{{ll{'r' * (len(cols) - 2)}}}",
             r"\toprule", " & ".join(esc(c) for c in cols) + r" \\", r"\midrule"]
    lines += [" & ".join(esc(row[i]) for i in keep) + r" \\" for row in full_rows(summary, True, facts)]
    marks = "".join(f"{said}. " for said in marks_said(summary, facts))
    lines += [r"\bottomrule", r"\end{tabular}",
              rf"\caption{{{esc(title)}. Exact-match accuracy in \% with Wilson 95\,\% intervals; time per answer "
              rf"excludes set-up, with the interquartile range over batches. {esc(marks)}{esc(hardware)}}}",
              r"\end{table}", ""]
    return "\n".join(lines)
