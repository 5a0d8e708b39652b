"""Records -> the tidy summary: one row per task x difficulty x contestant (what answered, and how it was asked).

Times follow the one timing model (bench/timing.py), the same spans on every side, each named for what it measures:
  time per answer (total): a chunk's time from text in to parsed answer out ÷ its answers, i.e. 1 / throughput; its
    quartiles are over every timed repeat of every chunk, each divided by its chunk's size;
  machine: the instruction set at work (the register machine's engine call; the language model's forward passes),
    with quartiles the same way; glue: the rest of the total; compile: building a program that is the instance;
  alone: one answer on its own (ISA: every instance; LLM: a sample of each chunk), the latency a user waits;
  model / engine: the machine's two parts (a model's forward passes, the register machine's call: the hybrid has
    both), write / run: the hybrid's two halves (the model writing the program; assembling and running it).
Model, prompt_format, shots: how a model contestant was asked (its records' options; empty on the ISA).
Outcomes: the answers that are not a normal finish, by status (a refused prompt; a hybrid program that would not
assemble, trapped or ran out of fuel); errors: the harness's own failures.
Ratios, on every row of a side other than the ISA, against the ISA contestant of the same task and level named in
`isa_contestant` (the task's first: `isa: lexicon` on sentiment):
  total ratio = its total time per answer ÷ the ISA's; machine ratio = its machine (the model) ÷ the ISA's machine;
  each with a spread from its first quartile over the ISA's third to its third over the ISA's first.
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
    "time_per_answer_s", "per_answer_q1_s", "per_answer_q3_s", "per_answer_iqr_s", "batches", "repeats",
    "machine_per_answer_s", "machine_q1_s", "machine_q3_s", "glue_per_answer_s", "compile_per_answer_s",
    "model_per_answer_s", "engine_per_answer_s", "write_per_answer_s", "run_per_answer_s",
    "alone_median_s", "alone_q1_s", "alone_q3_s", "alone_n", "batch_latency_median_s",
    "throughput_per_s", "instructions_per_answer", "prompt_tokens_per_answer", "generated_tokens_per_answer",
    "flops_per_answer", "unparsed", "errors", "outcomes", "isa_contestant",
    "total_ratio_to_isa", "total_ratio_to_isa_lo", "total_ratio_to_isa_hi",
    "machine_ratio_to_isa", "machine_ratio_to_isa_lo", "machine_ratio_to_isa_hi", "flops_per_instruction",
    # lm-eval's flexible-extract beside the strict `accuracy` (bench/tasks/replies.py); NaN for records older than it
    "correct_flexible", "accuracy_flexible", "accuracy_flexible_lo", "accuracy_flexible_hi",
    "model", "prompt_format", "shots",  # how a model contestant was asked, for figure legends (empty on the ISA)
]


def mean_of(recs: list[dict], name: str) -> float:
    xs = [r[name] for r in recs if r.get(name) is not None]
    return sum(xs) / len(xs) if xs else math.nan


def per_answer_times(recs: list[dict], field: str = "batch_times_s", single: str = "batch_s") -> list[float]:
    """Every timed repeat of every chunk once (records of one chunk share its timings), each over its chunk's size:
    `field` holds the repeats' totals (or their machine times, "machine_times_s")."""
    seen, out = set(), []
    for r in recs:
        times = r.get(field) or ([r[single]] if single and r.get(single) is not None else [])
        chunk = r.get("chunk") or (tuple(times), r.get("batch_size"))
        if chunk in seen or not times:
            continue
        seen.add(chunk)
        out += [t / (r.get("batch_size") or 1) for t in times if t is not None]
    return out


def summarise_group(recs: list[dict]) -> dict:
    first = recs[0]
    n = len(recs)
    correct = sum(bool(r["exact"]) for r in recs)
    lo, hi = wilson(correct, n)
    total = sum(r.get("per_answer_s") or 0.0 for r in recs)
    pa_q1, _, pa_q3 = quartiles(per_answer_times(recs))
    m_q1, _, m_q3 = quartiles(per_answer_times(recs, "machine_times_s", ""))
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
        "repeats": mean_of(recs, "repeats"),
        "machine_per_answer_s": machine, "machine_q1_s": m_q1, "machine_q3_s": m_q3,
        "glue_per_answer_s": mean_of(recs, "glue_s"), "compile_per_answer_s": mean_of(recs, "compile_s"),
        **{f"{part}_per_answer_s": mean_of(recs, f"{part}_s") for part in ("model", "engine", "write", "run")},
        "alone_median_s": al_med, "alone_q1_s": al_q1, "alone_q3_s": al_q3, "alone_n": len(alone),
        "batch_latency_median_s": quartiles([r.get("batch_s") for r in recs])[1],
        "throughput_per_s": n / total if total else math.nan,
        "instructions_per_answer": mean_of(recs, "steps"),
        "prompt_tokens_per_answer": mean_of(recs, "prompt_tokens"),
        "generated_tokens_per_answer": mean_of(recs, "generated_tokens"),
        "flops_per_answer": mean_of(recs, "flops"),
        # The LLM replied but not in the answer's form: kept apart from wrong answers to tell the two failures apart.
        # (A computed task scored by log-likelihood has no reply: its answer is unknown where it is not greedy.)
        "unparsed": sum(r.get("answer") is None and "is_greedy" not in r for r in recs),
        # The harness's own failures (an ISA answer that differs from a computed reference); a contestant's
        # failures to answer (a prompt the model refused, a program that would not assemble) are outcomes.
        "errors": sum(bool(r.get("error")) for r in recs),
        "outcomes": outcomes(recs),
        **flexible(recs),
        "model": first.get("model"), "prompt_format": first.get("prompt_format"), "shots": first.get("shots"),
    }


def flexible(recs: list[dict]) -> dict:
    """The flexible-extract score with its Wilson interval; NaN where a record predates it."""
    if any(type(r.get("exact_flexible")) is not bool for r in recs):
        return {"correct_flexible": math.nan, "accuracy_flexible": math.nan, "accuracy_flexible_lo": math.nan,
                "accuracy_flexible_hi": math.nan}
    correct = sum(r["exact_flexible"] for r in recs)
    lo, hi = wilson(correct, len(recs))
    return {"correct_flexible": correct, "accuracy_flexible": correct / len(recs), "accuracy_flexible_lo": lo,
            "accuracy_flexible_hi": hi}


def outcomes(recs: list[dict]) -> str:
    """The answers that are not a normal finish, by status ("asm-error 5, BAD_PC 2"); "" when every one is."""
    counts: dict[str, int] = defaultdict(int)
    for r in recs:
        status = str(r.get("status", "ok"))
        if status.lower() not in OK_STATUSES:
            counts[status] += 1
    return ", ".join(f"{status} {n}" for status, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def summarise(records: list[dict]) -> pd.DataFrame:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in records:
        groups[tuple(r.get(k, "") for k in GROUP)].append(r)
    rows = [summarise_group(recs) for recs in groups.values()]
    return add_ratios(frame(rows))


def frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=COLUMNS)
    from bench.sides import BACKENDS

    df["_side"] = df["backend"].map({name: i for i, name in enumerate(BACKENDS)}).fillna(len(BACKENDS))
    df["_task"] = df["task"].map(task_order())  # the registry's order (square, add, ...), unknown tasks last
    df = df.sort_values(["_task", "task", "difficulty", "_side", "contestant", "variant", "setting"], kind="stable",
                        na_position="last")
    df = df.drop(columns=["_side", "_task"])
    return df.reset_index(drop=True)


def task_order() -> dict[str, int]:
    from bench.tasks import task_names

    return {name: i for i, name in enumerate(task_names())}


def isa_reference(df: pd.DataFrame) -> dict[tuple, pd.Series]:
    """Per (task, difficulty), the ISA row every other side is divided by: the contestant of the task's first ISA
    variant (`isa: lexicon` on sentiment, the rules people wrote), or the only one."""
    from bench.tasks import TASKS

    out = {}
    for key, rows in df[df["backend"] == "isa"].groupby(["task", "difficulty"], sort=False):
        task = TASKS.get(key[0])
        first = task.isa_variants[0] if task is not None else ""
        wanted = rows[rows["contestant"] == (f"isa: {first}" if first else "isa")]
        out[key] = (wanted if len(wanted) else rows).iloc[0]
    return out


def add_ratios(df: pd.DataFrame) -> pd.DataFrame:
    """On every row of a side other than the ISA (and the reference): its time per answer over the ISA's (total
    over total; machine over machine: the model's forward passes over the engine call), each with its spread, and
    its FLOPs over the ISA's instructions, same task and level; `isa_contestant` names the ISA row used."""
    df = df.copy()
    df["isa_contestant"] = df["isa_contestant"].astype(object)
    isa = isa_reference(df)
    for i, row in df[~df["backend"].isin(["isa", "reference"])].iterrows():
        ref = isa.get((row["task"], row["difficulty"]))
        if ref is None:
            continue
        df.at[i, "isa_contestant"] = ref["contestant"]
        for what, mid, q1, q3 in (("total", "time_per_answer_s", "per_answer_q1_s", "per_answer_q3_s"),
                                  ("machine", "machine_per_answer_s", "machine_q1_s", "machine_q3_s")):
            df.at[i, f"{what}_ratio_to_isa"] = ratio(row[mid], ref[mid])
            df.at[i, f"{what}_ratio_to_isa_lo"] = ratio(row[q1], ref[q3])
            df.at[i, f"{what}_ratio_to_isa_hi"] = ratio(row[q3], ref[q1])
        df.at[i, "flops_per_instruction"] = ratio(row["flops_per_answer"], ref["instructions_per_answer"])
    return df


def ratio(a, b) -> float:
    if a is None or b is None or pd.isna(a) or pd.isna(b) or b == 0:
        return math.nan
    return float(a) / float(b)
