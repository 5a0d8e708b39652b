"""The default `isabench run`, as a user starts it: one whole process, timed (`pytest --benchmark
tests/benchmarks/test_bench_default_run.py -s`, about 2.5 minutes on 2 cores).

Issue 19's third target is this run in at most 100 CPU-seconds with one thread per side (the defaults). The child's
user + system CPU and peak memory come from os.wait4 (what /usr/bin/time reports), beside its wall time and the
1-minute load before and after. Where the time goes is read from the run's own files: each side's answering per task
(summary.csv: time per answer x answers, the batched figure; one thread each, so CPU), each side's set-up
(meta.json: model loading, numba's first compile, warm-ups), and the rest (imports, planning, answering alone,
records, the report and the figures) as the process's CPU less those. The table goes to
results/benchmarks/default_run_summary.md. Plain `pytest` runs the same command on a tiny slice, untimed, and checks
the breakdown's sums. Nothing here asserts a speed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.benchmarks.rounds import load_1min, write_summary

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--tasks", "add,wordfreq", "--n", "3", "--no-plots"]  # plain pytest: the same path in seconds


def run_process(out: Path, extra: list[str]) -> dict:
    """`isabench run` in a child process: its exit status, wall seconds, CPU seconds and peak RSS. Its stderr goes
    to a file beside the run folder: a pipe read only after the child ends could fill and stall it."""
    load = load_1min()
    log = out.parent / f"{out.name}.stderr"
    started = time.perf_counter()
    with log.open("w") as err:
        child = subprocess.Popen([sys.executable, "-m", "bench.cli", "run", "--out", str(out), *extra], cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    return {"rc": os.waitstatus_to_exitcode(status), "stderr_tail": log.read_text()[-2000:], "wall_s": wall,
            **usage_figures(usage), "load_1min": [load, load_1min()]}


def usage_figures(usage) -> dict:
    """A finished child's CPU (user + system) and peak memory from its rusage (ru_maxrss is in KiB on Linux)."""
    return {"cpu_s": usage.ru_utime + usage.ru_stime, "user_s": usage.ru_utime, "system_s": usage.ru_stime,
            "peak_mib": usage.ru_maxrss / 1024}


def where_time_goes(out: Path, cpu_s: float) -> list[tuple[str, float]]:
    """(part, CPU seconds): each side answering each task, each side's set-up, and the rest of the process."""
    summary, meta = pd.read_csv(out / "summary.csv"), json.loads((out / "meta.json").read_text())
    answering = (summary["time_per_answer_s"] * summary["n"]).groupby([summary["backend"], summary["task"]]).sum()
    parts = [(f"{side} answering {task}", float(s)) for (side, task), s in answering.items()]
    parts += [(f"{side} set-up", float(sum(info.get("setup_s", {}).values()))) for side, info in meta["sides"].items()]
    return parts + [("the rest: imports, planning, answers alone, records, report, figures",
                     cpu_s - sum(s for _, s in parts))]


def table(figures: dict, parts: list[tuple[str, float]]) -> str:
    rows = [f"| {part} | {seconds:.1f} |" for part, seconds in parts]
    load = "/".join(f"{x:.2f}" for x in figures["load_1min"] if x is not None) or "?"
    return "\n".join([
        f"The default `isabench run` (fresh run folder, defaults: 1 thread per side): {figures['cpu_s']:.1f} CPU-s "
        f"({figures['user_s']:.1f} user, {figures['system_s']:.1f} system), {figures['wall_s']:.1f} s wall, peak "
        f"{figures['peak_mib']:.0f} MiB, {figures['answers']:,} answers; 1-minute load {load} (before/after). "
        "Issue 19's target: 100 CPU-s.", "", "| part | CPU-s |", "|---|---:|", *rows])


def test_bench_default_run(benchmark, tmp_path):
    extra = TINY if benchmark.disabled else []
    done = {}
    benchmark.pedantic(lambda: done.update(run_process(tmp_path / "run", extra)), rounds=1, iterations=1)
    assert done["rc"] == 0, done["stderr_tail"]
    meta = json.loads((tmp_path / "run" / "meta.json").read_text())
    done["answers"] = meta["invocations"][-1]["samples_done"]
    parts = where_time_goes(tmp_path / "run", done["cpu_s"])
    assert done["answers"] > 0
    assert {p for p, _ in parts} >= {"isa set-up", "llm set-up"}
    if not benchmark.disabled:
        benchmark.extra_info.update({**done, "parts": dict(parts), "stderr_tail": None})
        write_summary("default_run_summary.md", table(done, parts))
        return
    # One chunk a level here, so each side's answering per task is its chunks' times as the records carry them
    # (each record of a chunk holds the chunk's batch_s and batch_size), to summary.csv's 6 significant digits; the
    # rest is most of a tiny run.
    from bench import records
    chunks: dict[str, float] = {}
    for r in records.load(tmp_path / "run" / records.RECORDS_FILE).records:
        key = f"{r['backend']} answering {r['task']}"
        chunks[key] = chunks.get(key, 0.0) + r["batch_s"] / r["batch_size"]
    answering = {p: s for p, s in parts if " answering " in p}
    assert answering.keys() == chunks.keys() and all(answering[k] == pytest.approx(chunks[k], rel=1e-4) for k in chunks)
    assert parts[-1][1] > 0 and sum(seconds for _, seconds in parts) == pytest.approx(done["cpu_s"])


def test_the_childs_figures_are_its_user_plus_system_cpu_and_its_peak_in_mib():
    from types import SimpleNamespace

    figures = usage_figures(SimpleNamespace(ru_utime=1.5, ru_stime=0.25, ru_maxrss=3 * 1024))
    assert figures == {"cpu_s": 1.75, "user_s": 1.5, "system_s": 0.25, "peak_mib": 3.0}
