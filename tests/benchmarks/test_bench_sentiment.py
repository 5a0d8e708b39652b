"""Sentiment on the register machine, timed (run with `pytest --benchmark tests/benchmarks/test_bench_sentiment.py`).

For each weight table, the 1,986 vendored sentences in one corpus run: instructions per sentence, the machine's CPU
time per sentence (time inside isa.machine.run, jit tier, one thread: the tier runs one corpus on one core), the time
to lay the memory, and what copying the table alone into one batch row would cost, which is why sentiment.s takes a
whole corpus in one run. Each time is the best of ROUNDS after a warm-up (process_time, and perf_counter for wall).
"""
from __future__ import annotations

import time

import numpy as np
import pytest

from bench.tasks.sentiment import table
from bench.tasks.sentiment_data import vendored
from isa import sentiment as S
from isa.machine import run

ROUNDS = 7


def best(fn) -> tuple[float, float]:
    fn()
    walls, cpus = [], []
    for _ in range(ROUNDS):
        w, c = time.perf_counter(), time.process_time()
        fn()
        cpus.append(time.process_time() - c)
        walls.append(time.perf_counter() - w)
    return min(walls), min(cpus)


@pytest.mark.parametrize("name", ["lexicon", "counted"])
def test_corpus_run(benchmark, name):
    tab = table(name)
    texts = [r.text for r in vendored()]
    n = len(texts)
    mem, _, fuel = S.lay(texts, tab)
    result = run(S.program(), memory=mem, fuel=fuel)
    assert result.ok
    machine_wall, machine_cpu = best(lambda: run(S.program(), memory=mem, fuel=fuel))
    lay_wall, lay_cpu = best(lambda: S.lay(texts, tab))
    rows = np.zeros((200, tab.image.size), np.int64)
    copy_wall, copy_cpu = best(lambda: rows.__setitem__(slice(None), tab.image))  # the table into 200 rows
    figures = {
        "sentences": n, "steps": result.steps, "steps_per_sentence": result.steps / n,
        "machine_cpu_us_per_sentence": machine_cpu / n * 1e6, "machine_wall_us_per_sentence": machine_wall / n * 1e6,
        "ns_per_instr_cpu": machine_cpu / result.steps * 1e9,
        "lay_cpu_us_per_sentence": lay_cpu / n * 1e6,
        "table_words": tab.image.size, "table_copy_cpu_us_per_row": copy_cpu / 200 * 1e6,
        "table_copy_wall_us_per_row": copy_wall / 200 * 1e6,
    }
    figures["table_copy_over_machine"] = figures["table_copy_cpu_us_per_row"] / figures["machine_cpu_us_per_sentence"]
    benchmark.extra_info.update(figures)
    benchmark.pedantic(lambda: run(S.program(), memory=mem, fuel=fuel), rounds=ROUNDS, warmup_rounds=1)
    print(f"\n{name}: " + ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items()))
    # The design point: copying the table into a row alone costs more than the machine spends on a sentence.
    assert figures["table_copy_over_machine"] > 1
