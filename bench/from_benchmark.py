"""pytest-benchmark JSON -> what `isabench report` shows: the same summary rows (and metadata) a run folder gives, and
the ISA's own benchmark tables.

Three kinds of benchmark carry isabench's extra_info:
- task benchmarks (tests/benchmarks/test_bench_tasks.py): one batched answering of n instances per benchmark, the
  score, the work and the harness's own times per answer in `extra_info` (a file without those times falls back on
  the statistics, per round of one batched call, divided by n). They become summary rows, the same tables and plots
  as `isabench run`.
- ISA tier benchmarks (tests/benchmarks/test_bench_isa.py, extra_info kind TIER_KIND): one engine on one workload;
  they become one table, ns per ISA instruction per engine and the ratios between engines over interleaved rounds.
- ISA harness-path benchmarks (tests/benchmarks/test_bench_isa_batch.py, kind HARNESS_KIND): the ISA side's answers
  through `isabench run`'s own path, per answer split into machine, glue and compile; one table.
Other benchmarks are left out; a file with none of these gets a message naming what it holds.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from bench.stats import wilson
from bench.summary import add_ratios, frame

NEEDED = ("task", "difficulty", "backend", "n", "correct")
TIER_KIND = "isa_tier"
HARNESS_KIND = "isa_harness"
TIER_ENGINES = ("ref", "jit", "compiled", "wasmtime", "native")
TIER_RATIOS = (("jit", "native"), ("compiled", "native"), ("compiled", "wasmtime"), ("wasmtime", "native"),
               ("ref", "jit"))
SOURCES = ("task benchmarks (tests/benchmarks/test_bench_tasks.py), ISA tier benchmarks "
           "(tests/benchmarks/test_bench_isa.py) or ISA harness-path benchmarks (tests/benchmarks/test_bench_isa_batch.py)")


def is_benchmark_json(path: str | Path) -> bool:
    path = Path(path)
    if not path.is_file() or path.suffix != ".json":
        return False
    try:
        data = json.loads(path.read_text())
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("benchmarks"), list)


def read(path: str | Path) -> dict:
    """The file's JSON; ValueError naming the problem if it is not pytest-benchmark's."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot read pytest-benchmark JSON {path}: {e}") from e
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise ValueError(f"{path} is not a pytest-benchmark JSON file (no 'benchmarks' list)")
    return data


def row_of(bench: dict) -> dict | None:
    x, stats = bench.get("extra_info") or {}, bench.get("stats") or {}
    if not all(k in x for k in NEEDED) or not stats.get("median"):
        return None
    n = int(x["n"])
    lo, hi = wilson(int(x["correct"]), n)
    per = lambda key: stats[key] / n if stats.get(key) is not None else float("nan")  # noqa: E731
    got = lambda key: x.get(key, float("nan"))  # noqa: E731
    own = "time_per_answer_s" in x  # the harness's own figures, else the statistics' share of a round
    total = x["time_per_answer_s"] if own else per("median")
    q1, q3 = (got("per_answer_q1_s"), got("per_answer_q3_s")) if own else (per("q1"), per("q3"))
    return {
        "task": x["task"], "axis": x.get("axis", ""), "ground_truth": x.get("ground_truth", "reference"),
        "difficulty": int(x["difficulty"]), "backend": x["backend"], "contestant": x.get("contestant", x["backend"]),
        "variant": x.get("variant", ""), "setting": x.get("setting", ""), "method": x.get("method", ""),
        "coverage": x.get("coverage", ""), "n": n, "correct": int(x["correct"]), "accuracy": int(x["correct"]) / n,
        "accuracy_lo": lo, "accuracy_hi": hi, "partial": x.get("partial", float("nan")),
        # One round answers all n at once, so each answer's share of a round is the statistics' per-answer time.
        "time_per_answer_s": total, "per_answer_q1_s": q1, "per_answer_q3_s": q3, "per_answer_iqr_s": q3 - q1,
        "batches": stats.get("rounds"), "repeats": x.get("repeats"), "throughput_per_s": 1 / total,
        **{k: got(k) for k in ("machine_per_answer_s", "machine_q1_s", "machine_q3_s", "glue_per_answer_s",
                               "compile_per_answer_s", "instructions_per_answer", "prompt_tokens_per_answer",
                               "generated_tokens_per_answer", "flops_per_answer")},
        "unparsed": x.get("unparsed", 0), "errors": x.get("errors", 0),
    }


def meta_of(data: dict) -> dict:
    """Map pytest-benchmark's machine and commit info onto the run metadata fields the hardware line reads."""
    mi, ci = data.get("machine_info") or {}, data.get("commit_info") or {}
    cpu = mi.get("cpu") or {}
    llm_info = next((b["extra_info"]["model_info"] for b in data.get("benchmarks", [])
                     if (b.get("extra_info") or {}).get("model_info")), None)
    return {
        "machine": {"cpu": cpu.get("brand_raw") or mi.get("processor") or "?", "gpu": mi.get("gpu"),
                    "python": mi.get("python_version")},
        "threads": {"cpu_count": cpu.get("count"), **(mi.get("threads") or {})},
        "packages": mi.get("packages") or {},
        "git": {"commit": ci.get("id"), "dirty": ci.get("dirty")},
        "sides": {"llm": {"info": llm_info}} if llm_info else {},
        "source": "pytest-benchmark", "datetime": data.get("datetime"),
    }


def summary_of(data: dict) -> pd.DataFrame:
    """The task benchmarks' summary rows (empty when the file holds none)."""
    rows = [r for r in map(row_of, data["benchmarks"]) if r is not None]
    return add_ratios(frame(rows)) if rows else frame([])


def entries(data: dict, kind: str) -> list[dict]:
    """The extra_info of every benchmark of `kind`, in the file's order."""
    return [b["extra_info"] for b in data["benchmarks"] if (b.get("extra_info") or {}).get("kind") == kind]


def nothing_to_report(path: str | Path, data: dict) -> str:
    names = [b.get("name", "?") for b in data["benchmarks"]]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (f"{path}: none of its {len(names)} benchmarks is one isabench reports ({SOURCES}); "
            f"it holds: {shown or 'nothing'}")


def load_benchmark(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """The task benchmarks' summary and the run metadata; ValueError when the file holds no task benchmark."""
    data = read(path)
    summary = summary_of(data)
    if summary.empty:
        raise ValueError(nothing_to_report(path, data) if not tables_of(data) else
                         f"{path} holds no task benchmark (tests/benchmarks/test_bench_tasks.py): nothing to plot; "
                         f"`isabench report {path}` shows its ISA tables")
    return summary, meta_of(data)


def tables_of(data: dict) -> dict[str, str]:
    """The ISA's own tables the file holds, by the file name each is written to."""
    made = {}
    for name, kind, render in (("isa_tiers.md", TIER_KIND, tier_table), ("isa_harness.md", HARNESS_KIND,
                                                                          harness_table)):
        if found := entries(data, kind):
            made[name] = render(found)
    return made


def num(x: float | None) -> str:
    """Three significant figures, thousands separated ("0.114", "2.31", "213", "1,170"); "n/a" when missing."""
    if x is None or pd.isna(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def spread_text(s: dict | None) -> str:
    return "n/a" if not s else f"{num(s['median'])} ({num(s['q1'])}–{num(s['q3'])})"


def load_range(found: list[dict]) -> str:
    loads = [x for e in found for x in (e.get("load_1min") or []) if x is not None]
    return f"{min(loads):.1f}–{max(loads):.1f}" if loads else "not recorded"


def tier_table(found: list[dict]) -> str:
    """One row per workload: ns per ISA instruction on each engine (median over interleaved rounds) and the ratios
    between engines (median over rounds of each round's ratio, with its quartiles)."""
    by_workload: dict[str, dict[str, dict]] = {}
    for e in found:
        by_workload.setdefault(e["workload"], {})[e["engine"]] = e
    head = (["workload", "instructions"] + [f"{k} ns/instr" for k in TIER_ENGINES]
            + [f"{a} ÷ {b}" for a, b in TIER_RATIOS])
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for workload, engines in by_workload.items():
        steps = next((e["run_instructions"] for e in engines.values()), None)
        cells = [workload, f"{steps:,}" if steps else "n/a"]
        cells += [num((engines[k].get("rounds_ns_per_instr") or {}).get("median")) if k in engines else "n/a"
                  for k in TIER_ENGINES]
        cells += [spread_text((engines[a].get("ratios") or {}).get(b)) if a in engines else "n/a"
                  for a, b in TIER_RATIOS]
        lines.append("| " + " | ".join(cells) + " |")
    first = found[0]
    prefixes = sorted({e["instructions"] for e in found if e["engine"] == "ref"})
    note = (f"ns per ISA instruction executed, wall clock ({first.get('clock', 'time.perf_counter')}), "
            f"{first.get('threads', 1)} thread, the median over {first.get('rounds', '?')} interleaved rounds (every "
            "engine once a round, the order alternating); a ratio is the median over those rounds of its per-round "
            "ratio, with its quartiles in brackets."
            + (f" The ref runs a fuel-limited prefix of each run, {' or '.join(f'{p:,}' for p in prefixes)} "
               "instructions, priced per instruction of it." if prefixes else "")
            + f" 1-minute load average {load_range(found)}.")
    return "\n".join(lines) + "\n\n" + note + "\n"


def harness_table(found: list[dict]) -> str:
    """One row per task, level and tier: the ISA side's time per answer through the harness, split as its records
    split it (bench/timing.py)."""
    us = lambda s: num(s * 1e6) if s is not None and not pd.isna(s) else "n/a"  # noqa: E731
    lines = ["| task | d | tier | n | total µs/answer (q1–q3) | machine | glue | compile | glue ÷ machine |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for e in found:
        total, machine, glue = e["time_per_answer_s"], e["machine_per_answer_s"], e["glue_per_answer_s"]
        lines.append(f"| {e['task']} | {e['difficulty']} | {e['tier']} | {e['n']:,} | {us(total)} "
                     f"({us(e['per_answer_q1_s'])}–{us(e['per_answer_q3_s'])}) | {us(machine)} | {us(glue)} | "
                     f"{us(e['compile_per_answer_s'])} | {num(glue / machine) if machine else 'n/a'} |")
    first = found[0]
    note = (f"Through `isabench run`'s own path (bench.runner.run, --backends isa), {first.get('threads', 1)} thread, "
            f"chunks of {first.get('chunk_size', '?')}: per answer, from the instance's text in to the parsed "
            "answer out (bench/timing.py): each chunk's median repeat, averaged over chunks; q1–q3 over every "
            "repeat of every chunk. Machine: the engine call; glue: the rest; compile: a program that is the "
            f"instance. 1-minute load average {load_range(found)}.")
    return "\n".join(lines) + "\n\n" + note + "\n"
