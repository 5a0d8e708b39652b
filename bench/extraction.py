"""The two answer rules side by side in a run's report and on the terminal: lm-evaluation-harness's `strict-match`
(the headline exact %) and `flexible-extract` (flexible %), each task's flexible rule in words, and the generation
settings (--gen-kwargs) that shaped the replies. The rules themselves are the tasks' (bench/tasks/replies.py)."""
from __future__ import annotations

import pandas as pd

from bench.tasks.replies import FLEXIBLE, STRICT

ANSWERS_AS_TEXT = ("The register machine, the reference, a label chosen by log-likelihood or by a head, and a hybrid "
                   "program's result are exact text: both rules read them alike.")


def rules(tasks) -> list[str]:
    """One line per task: its flexible rule."""
    from bench.tasks import TASKS

    return [f"- {name}: {TASKS[name].flexible_rule}" for name in dict.fromkeys(tasks) if name in TASKS]


def generation_settings(summary: pd.DataFrame) -> list[str]:
    """The distinct --gen-kwargs of the summary's generated rows (their setting ends in `;gen=...`)."""
    found = sorted({s.split(";gen=", 1)[1] for s in summary["setting"].dropna().astype(str) if ";gen=" in s})
    return [f"- `{g}`" for g in found]


def markdown_section(summary: pd.DataFrame) -> str:
    if summary.empty or "accuracy_flexible" not in summary:
        return ""
    lines = ["## Answer extraction: strict and flexible", "",
             f"*exact %* is lm-evaluation-harness's `{STRICT}`: the reply's first line is the answer in its form "
             f"(`27`, `the 2 cat 1`, `positive`). *flexible %* is its `{FLEXIBLE}`: the strict answer where there "
             "is one, else one read out of the first non-blank line. " + ANSWERS_AS_TEXT, "",
             *rules(summary["task"]), ""]
    gen = generation_settings(summary)
    if gen:
        lines += ["Generation settings of the generated rows (--gen-kwargs; each is its own contestant setting):",
                  *gen, ""]
    return "\n".join(lines) + "\n"


def differences_text(summary: pd.DataFrame) -> str:
    """For the terminal: the rows whose flexible score differs from the strict one, or ""."""
    if "accuracy_flexible" not in summary:
        return ""
    rows = summary[summary["accuracy_flexible"].notna() & (summary["accuracy_flexible"] != summary["accuracy"])]
    if rows.empty:
        return ""
    out = [f"\n{FLEXIBLE} where it differs from {STRICT} (exact %; rules: report.md):"]
    for _, r in rows.iterrows():
        out.append(f"  {r['task']:<9} d{int(r['difficulty']):<3} {r['contestant']:<22} strict {100 * r['accuracy']:.1f}"
                   f"  flexible {100 * r['accuracy_flexible']:.1f} ({100 * r['accuracy_flexible_lo']:.1f}–"
                   f"{100 * r['accuracy_flexible_hi']:.1f})")
    return "\n".join(out)
