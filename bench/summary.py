"""Records -> the tidy summary: one row per task x difficulty x contestant (what answered, and how it was asked).

Timings per row, each named for what it measures:
  time per answer: batched wall time / answers, i.e. 1 / throughput, the fair figure for cost comparisons; its
    quartiles are over every timed batch (and the ISA's repeats of each), each divided by its batch size;
  machine / glue (ISA only): the share of that time inside the compiled machine, and the Python/numpy around it
    (laying inputs into memory, decoding answers);
  alone: one answer on its own (ISA: every instance; LLM: a sample of each batch), the latency a user waits;
  batch latency (LLM): the wall time of the batch an answer came back in.
The LLM / ISA time ratio carries a spread: from the LLM's first quartile over the ISA's third to the LLM's third over
the ISA's first (per-answer batch times), so a reader sees how far batch-to-batch noise moves it.
"""
from __future__ import annotations

import math
from collections import defaultdict

import pandas as pd

from bench.stats import quartiles, wilson

OK_STATUSES = ("ok", "halted")  # the ISA's machine reports HALTED for a normal finish
GROUP = ("task", "difficulty", "backend", "variant", "setting")
COLUMNS = [
    "task", "axis", "ground_truth", "difficulty", "backend", "contestant", "variant", "setting", "method",
    "coverage", "n", "correct", "accuracy", "accuracy_lo", "accuracy_hi", "partial",
    "time_per_answer_s", "per_answer_q1_s", "per_answer_q3_s", "per_answer_iqr_s", "batches",
    "machine_per_answer_s", "glue_per_answer_s",
    "alone_median_s", "alone_q1_s", "alone_q3_s", "alone_n", "batch_latency_median_s",
    "throughput_per_s", "instructions_per_answer", "prompt_tokens_per_answer", "generated_tokens_per_answer",
    "flops_per_answer", "unparsed", "errors",
    "time_ratio_llm_isa", "time_ratio_llm_isa_lo", "time_ratio_llm_isa_hi", "time_ratio_llm_isa_machine",
    "flops_per_instruction",
]


def mean_of(recs: list[dict], name: str) -> float:
    xs = [r[name] for r in recs if r.get(name) is not None]
    return sum(xs) / len(xs) if xs else math.nan


def per_answer_times(recs: list[dict]) -> list[float]:
    """Every timed batch once (records of one chunk share its timings), each over its batch size."""
    seen, out = set(), []
    for r in recs:
        times = r.get("batch_times_s") or ([r["batch_s"]] if r.get("batch_s") is not None else [])
        chunk = r.get("chunk") or (tuple(times), r.get("batch_size"))
        if chunk in seen or not times:
            continue
        seen.add(chunk)
        out += [t / (r.get("batch_size") or 1) for t in times]
    return out


def summarise_group(recs: list[dict]) -> dict:
    first = recs[0]
    n = len(recs)
    correct = sum(bool(r["exact"]) for r in recs)
    lo, hi = wilson(correct, n)
    total = sum(r.get("per_answer_s") or 0.0 for r in recs)
    pa_q1, _, pa_q3 = quartiles(per_answer_times(recs))
    alone = [r.get("alone_s") for r in recs if r.get("alone_s") is not None]
    al_q1, al_med, al_q3 = quartiles(alone)
    machine = mean_of(recs, "machine_s")
    return {
        "task": first["task"], "axis": first.get("axis", ""), "ground_truth": first.get("ground_truth", "reference"),
        "difficulty": first["difficulty"], "backend": first["backend"],
        "contestant": first.get("contestant") or first["backend"], "variant": first.get("variant", ""),
        "setting": first.get("setting", ""), "method": first.get("method") or "", "coverage": first.get("coverage", ""),
        "n": n, "correct": correct, "accuracy": correct / n, "accuracy_lo": lo, "accuracy_hi": hi,
        "partial": mean_of(recs, "partial"),
        "time_per_answer_s": total / n if total else math.nan,
        "per_answer_q1_s": pa_q1, "per_answer_q3_s": pa_q3, "per_answer_iqr_s": pa_q3 - pa_q1,
        "batches": len({r.get("chunk") or (r.get("batch_s"), r.get("batch_size")) for r in recs}),
        "machine_per_answer_s": machine, "glue_per_answer_s": mean_of(recs, "glue_s"),
        "alone_median_s": al_med, "alone_q1_s": al_q1, "alone_q3_s": al_q3, "alone_n": len(alone),
        "batch_latency_median_s": quartiles([r.get("batch_s") for r in recs if r["backend"] == "llm"])[1],
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
        groups[tuple(r.get(k, "") for k in GROUP)].append(r)
    rows = [summarise_group(recs) for recs in groups.values()]
    return add_ratios(frame(rows))


def frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["_side"] = df["backend"].map({"isa": 0, "llm": 1, "reference": 2}).fillna(3)
    df["_task"] = df["task"].map(task_order())  # the registry's order (square, add, ...), unknown tasks last
    df = df.sort_values(["_task", "task", "difficulty", "_side", "contestant", "variant", "setting"], kind="stable",
                        na_position="last")
    df = df.drop(columns=["_side", "_task"])
    return df.reset_index(drop=True)


def task_order() -> dict[str, int]:
    from bench.tasks import task_names

    return {name: i for i, name in enumerate(task_names())}


def add_ratios(df: pd.DataFrame) -> pd.DataFrame:
    """On LLM rows: its time per answer over the ISA's (end to end, and over the machine's own time alone), and its
    FLOPs over the ISA's instructions, same task and level (the first ISA contestant where there are several)."""
    df = df.copy()
    isa = df[df["backend"] == "isa"].drop_duplicates(["task", "difficulty"]).set_index(["task", "difficulty"])
    for i, row in df[df["backend"] == "llm"].iterrows():
        key = (row["task"], row["difficulty"])
        if key not in isa.index:
            continue
        ref = isa.loc[key]
        df.at[i, "time_ratio_llm_isa"] = ratio(row["time_per_answer_s"], ref["time_per_answer_s"])
        df.at[i, "time_ratio_llm_isa_lo"] = ratio(row["per_answer_q1_s"], ref["per_answer_q3_s"])
        df.at[i, "time_ratio_llm_isa_hi"] = ratio(row["per_answer_q3_s"], ref["per_answer_q1_s"])
        df.at[i, "time_ratio_llm_isa_machine"] = ratio(row["time_per_answer_s"], ref["machine_per_answer_s"])
        df.at[i, "flops_per_instruction"] = ratio(row["flops_per_answer"], ref["instructions_per_answer"])
    return df


def ratio(a, b) -> float:
    if a is None or b is None or pd.isna(a) or pd.isna(b) or b == 0:
        return math.nan
    return float(a) / float(b)
