"""Named sets of task levels that the literature reports, so a run can ask exactly those cells.

`gpt3-arithmetic`: the GPT-3 paper's Table 3.9 (Brown et al. 2020, "Language Models are Few-Shot Learners",
section 3.9.1) minus its 1-digit and 2-digit-only rows that isabench has no task for: 2D+ to 5D+ (add, operands below
10^2 .. 10^5), 2D- to 5D- (sub), 2Dx (mul, operands below 10^2) and 1DC (expr, three one-digit operands). Ask them
the paper's way with `--prompt gpt3 --shots K`. PAPER_FEW_SHOT holds the paper's own few-shot accuracies of GPT-3
175B for these cells, to print beside a run (they are the paper's figures, not isabench's measurements).
"""
from __future__ import annotations

SUITES: dict[str, dict[str, list[int]]] = {
    "gpt3-arithmetic": {"add": [2, 3, 4, 5], "sub": [2, 3, 4, 5], "mul": [2], "expr": [3]},
}
# GPT-3 175B, few-shot, as printed in the paper's Table 3.9, percent.
PAPER_FEW_SHOT: dict[tuple[str, int], float] = {
    ("add", 2): 100.0, ("sub", 2): 98.9, ("add", 3): 80.4, ("sub", 3): 94.2, ("add", 4): 25.5, ("sub", 4): 26.8,
    ("add", 5): 9.3, ("sub", 5): 9.9, ("mul", 2): 29.2, ("expr", 3): 21.3,
}
PAPER_NAMES: dict[tuple[str, int], str] = {
    ("add", 2): "2D+", ("sub", 2): "2D-", ("add", 3): "3D+", ("sub", 3): "3D-", ("add", 4): "4D+", ("sub", 4): "4D-",
    ("add", 5): "5D+", ("sub", 5): "5D-", ("mul", 2): "2Dx", ("expr", 3): "1DC",
}


def suite(name: str) -> dict[str, list[int]]:
    if name not in SUITES:
        raise KeyError(f"unknown suite {name!r}; known suites: {', '.join(SUITES)}")
    return SUITES[name]


def asked(summary) -> str:
    """How the models of a summary were asked: "gpt3 prompt, 4-shot" (each distinct way), for titles and captions."""
    models = summary[summary["backend"].isin(["llm", "hybrid"])]
    ways = [f"{r['prompt_format']} prompt, {int(r['shots']) if r['shots'] == r['shots'] else 0}-shot"  # NaN: 0
            for _, r in models.iterrows() if isinstance(r.get("prompt_format"), str)]
    return "; ".join(dict.fromkeys(ways))


def paper_table(summary) -> str:
    """Markdown: each gpt3-arithmetic cell, every contestant's exact-match accuracy, and the paper's GPT-3 175B."""
    wanted = {(t, d) for t, levels in SUITES["gpt3-arithmetic"].items() for d in levels}
    cells = [cell for cell in PAPER_NAMES if cell in wanted]  # the paper's order: 2D+, 2D-, 3D+, ... 2Dx, 1DC
    rows = summary[[(t, d) in PAPER_NAMES for t, d in zip(summary["task"], summary["difficulty"])]]
    if rows.empty:
        return ""
    who = list(dict.fromkeys(rows["contestant"]))
    lines = ["## Beside the GPT-3 paper (Table 3.9)", "",
             "| cell | " + " | ".join(who) + " | GPT-3 175B few-shot (the paper's figure) |",
             "|---|" + "---:|" * (len(who) + 1)]
    for task, d in cells:
        mine = rows[(rows["task"] == task) & (rows["difficulty"] == d)]
        if mine.empty:
            continue
        acc = {r["contestant"]: f"{100 * r['accuracy']:.1f} ({100 * r['accuracy_lo']:.1f}–"
                                f"{100 * r['accuracy_hi']:.1f})" for _, r in mine.iterrows()}
        lines.append(f"| {PAPER_NAMES[(task, d)]} ({task} {d}) | " + " | ".join(acc.get(w, "–") for w in who)
                     + f" | {PAPER_FEW_SHOT[(task, d)]:.1f} |")
    how = asked(rows)
    lines += ["", (f"Asked with the {how}. " if how else "") + "GPT-3 figures: Brown et al. 2020, Language Models "
              "are Few-Shot Learners, Table 3.9, as printed there (not measured by isabench)."]
    return "\n".join(lines) + "\n"
