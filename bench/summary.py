"""Records -> the tidy summary: one row per task x difficulty x backend (x model variant).

Two timings per row, because they answer different questions:
  latency: how long one answer takes to come back (ISA: the instance solved alone; LLM: the wall time of its batch);
  time per answer: total batched time / answers, i.e. 1 / throughput, the fair figure for cost comparisons.
"""
from __future__ import annotations

import math
from collections import defaultdict

import pandas as pd

from bench.stats import quartiles, wilson

OK_STATUSES = ("ok", "halted")  # the ISA's machine reports HALTED for a normal finish
COLUMNS = [
    "task", "axis", "difficulty", "backend", "variant", "n", "correct", "accuracy", "accuracy_lo", "accuracy_hi",
    "partial", "latency_median_s", "latency_q1_s", "latency_q3_s", "latency_iqr_s", "time_per_answer_s",
    "per_answer_iqr_s",
    "throughput_per_s", "instructions_per_answer", "prompt_tokens_per_answer", "generated_tokens_per_answer",
    "flops_per_answer", "unparsed", "errors", "time_ratio_llm_isa", "flops_per_instruction",
]


def mean_of(recs: list[dict], field: str) -> float:
    xs = [r[field] for r in recs if r.get(field) is not None]
    return sum(xs) / len(xs) if xs else math.nan


def summarise_group(recs: list[dict]) -> dict:
    first = recs[0]
    n = len(recs)
    correct = sum(bool(r["exact"]) for r in recs)
    lo, hi = wilson(correct, n)
    q1, med, q3 = quartiles([r.get("latency_s") for r in recs])
    total = sum(r.get("per_answer_s") or 0.0 for r in recs)
    pa_q1, _, pa_q3 = quartiles([r.get("per_answer_s") for r in recs])
    return {
        "task": first["task"], "axis": first.get("axis", ""), "difficulty": first["difficulty"],
        "backend": first["backend"], "variant": first.get("variant", ""),
        "n": n, "correct": correct, "accuracy": correct / n, "accuracy_lo": lo, "accuracy_hi": hi,
        "partial": mean_of(recs, "partial"),
        "latency_median_s": med, "latency_q1_s": q1, "latency_q3_s": q3, "latency_iqr_s": q3 - q1,
        "time_per_answer_s": total / n if total else math.nan,
        "per_answer_iqr_s": pa_q3 - pa_q1,
        "throughput_per_s": n / total if total else math.nan,
        "instructions_per_answer": mean_of(recs, "steps"),
        "prompt_tokens_per_answer": mean_of(recs, "prompt_tokens"),
        "generated_tokens_per_answer": mean_of(recs, "generated_tokens"),
        "flops_per_answer": mean_of(recs, "flops"),
        # The LLM replied but not in the answer's form: kept apart from wrong answers to tell the two failures apart.
        "unparsed": sum(r.get("answer") is None for r in recs),
        "errors": sum(bool(r.get("error")) or str(r.get("status", "ok")).lower() not in OK_STATUSES for r in recs),
    }


def summarise(records: list[dict]) -> pd.DataFrame:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in records:
        groups[(r["task"], r["difficulty"], r["backend"], r.get("variant", ""))].append(r)
    rows = [summarise_group(recs) for recs in groups.values()]
    return add_ratios(frame(rows))


def frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["_side"] = df["backend"].map({"isa": 0, "llm": 1, "reference": 2}).fillna(3)
    df["_task"] = df["task"].map(task_order())  # the registry's order (square, add, ...), unknown tasks last
    df = df.sort_values(["_task", "task", "difficulty", "_side", "variant"], kind="stable", na_position="last")
    df = df.drop(columns=["_side", "_task"])
    return df.reset_index(drop=True)


def task_order() -> dict[str, int]:
    from bench.tasks import task_names

    return {name: i for i, name in enumerate(task_names())}


def add_ratios(df: pd.DataFrame) -> pd.DataFrame:
    """On LLM rows: its time per answer over the ISA's, and its FLOPs over the ISA's instructions, same task x level."""
    df = df.copy()
    isa = df[df["backend"] == "isa"].drop_duplicates(["task", "difficulty"]).set_index(["task", "difficulty"])
    for i, row in df[df["backend"] == "llm"].iterrows():
        key = (row["task"], row["difficulty"])
        if key not in isa.index:
            continue
        ref = isa.loc[key]
        df.at[i, "time_ratio_llm_isa"] = ratio(row["time_per_answer_s"], ref["time_per_answer_s"])
        df.at[i, "flops_per_instruction"] = ratio(row["flops_per_answer"], ref["instructions_per_answer"])
    return df


def ratio(a, b) -> float:
    if a is None or b is None or pd.isna(a) or pd.isna(b) or b == 0:
        return math.nan
    return float(a) / float(b)
