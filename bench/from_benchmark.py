"""pytest-benchmark JSON -> the same summary rows (and metadata) a run folder gives, for the same tables and plots.

tests/benchmarks/test_bench_tasks.py times one batched call over n instances per benchmark and stores the score and
the work per answer in `extra_info`; the timing statistics are per round (one batched call), so per-answer figures
divide them by n. Benchmarks without isabench's extra_info (other tests') are left out.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from bench.stats import wilson
from bench.summary import add_ratios, frame

NEEDED = ("task", "difficulty", "backend", "n", "correct")


def is_benchmark_json(path: str | Path) -> bool:
    path = Path(path)
    if not path.is_file() or path.suffix != ".json":
        return False
    try:
        data = json.loads(path.read_text())
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("benchmarks"), list)


def row_of(bench: dict) -> dict | None:
    x, stats = bench.get("extra_info") or {}, bench.get("stats") or {}
    if not all(k in x for k in NEEDED) or not stats.get("median"):
        return None
    n = int(x["n"])
    lo, hi = wilson(int(x["correct"]), n)
    per = lambda key: stats[key] / n if stats.get(key) is not None else float("nan")  # noqa: E731
    return {
        "task": x["task"], "axis": x.get("axis", ""), "ground_truth": x.get("ground_truth", "reference"),
        "difficulty": int(x["difficulty"]), "backend": x["backend"], "contestant": x.get("contestant", x["backend"]),
        "variant": x.get("variant", ""), "setting": x.get("setting", ""), "method": x.get("method", ""),
        "coverage": x.get("coverage", ""), "n": n, "correct": int(x["correct"]), "accuracy": int(x["correct"]) / n,
        "accuracy_lo": lo, "accuracy_hi": hi, "partial": x.get("partial", float("nan")),
        # One round answers all n at once, so each answer's share of a round is the only per-answer time there is.
        "time_per_answer_s": per("median"), "per_answer_q1_s": per("q1"), "per_answer_q3_s": per("q3"),
        "per_answer_iqr_s": per("iqr"), "batches": stats.get("rounds"), "throughput_per_s": n / stats["median"],
        "machine_per_answer_s": x.get("machine_per_answer_s", float("nan")),
        "glue_per_answer_s": x.get("glue_per_answer_s", float("nan")),
        "instructions_per_answer": x.get("instructions_per_answer", float("nan")),
        "prompt_tokens_per_answer": x.get("prompt_tokens_per_answer", float("nan")),
        "generated_tokens_per_answer": x.get("generated_tokens_per_answer", float("nan")),
        "flops_per_answer": x.get("flops_per_answer", float("nan")),
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


def load_benchmark(path: str | Path) -> tuple[pd.DataFrame, dict]:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot read pytest-benchmark JSON {path}: {e}") from e
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise ValueError(f"{path} is not a pytest-benchmark JSON file (no 'benchmarks' list)")
    rows = [r for r in map(row_of, data["benchmarks"]) if r is not None]
    if not rows:
        raise ValueError(f"{path}: none of its {len(data['benchmarks'])} benchmarks carry isabench's extra_info "
                         f"({', '.join(NEEDED)}); were they saved by tests/benchmarks/test_bench_tasks.py?")
    return add_ratios(frame(rows)), meta_of(data)
