"""Inference speed of the shipped sentiment adapter (minilm + LoRA, merged) on the test split (`pytest --benchmark`).

benchmark.extra_info gets ms a sentence, wall and CPU (process_time), at batch 64 and batch 1 on one torch thread,
and the batching speed-up. Each figure is the best of several rounds: the machine is shared.
"""
from __future__ import annotations

import time

import pytest

from bench.tasks.sentiment_data import splits
from llm.runner import load_backend

THREADS = 1
ROUNDS = 3


@pytest.fixture(scope="module")
def texts():
    return [r.text for r in splits()["test"]]


def best_ms(clf, texts) -> tuple[float, float, list]:
    """(wall ms, CPU ms) a sentence, each the minimum over ROUNDS, and the last answers."""
    walls, cpus = [], []
    for _ in range(ROUNDS):
        wall, cpu = time.perf_counter(), time.process_time()
        answers = clf.classify(texts)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return 1000 * min(walls) / len(texts), 1000 * min(cpus) / len(texts), answers


def test_bench_classifier_ms_per_sentence(benchmark, texts):
    big = load_backend("sentiment-lora", device="cpu", dtype="float32", threads=THREADS, batch_size=64)
    one = load_backend("sentiment-lora", device="cpu", dtype="float32", threads=THREADS, batch_size=1)
    big.classify(texts[:8])  # warm-up
    wall64, cpu64, out64 = best_ms(big, texts)
    wall1, cpu1, out1 = best_ms(one, texts[:100])
    benchmark.pedantic(big.classify, args=(texts,), rounds=1, iterations=1)
    benchmark.extra_info.update(
        model=big.info["model"], content_hash=big.info["content_hash"], torch_threads=big.info["torch_threads"],
        sentences=len(texts), batch64_ms_wall=wall64, batch64_ms_cpu=cpu64, batch1_ms_wall=wall1,
        batch1_ms_cpu=cpu1, batching_speedup_wall=wall1 / wall64)
    print(f"\nbatch 64: {wall64:.2f} ms a sentence wall, {cpu64:.2f} CPU-ms; batch 1: {wall1:.2f} wall, "
          f"{cpu1:.2f} CPU-ms ({THREADS} thread)")
    assert [a.label for a in out1] == [a.label for a in out64[:100]], "batching changed labels"
