"""Inference speed of the shipped sentiment adapter (minilm + LoRA, merged) on the test split (`pytest --benchmark`).

pytest-benchmark's statistics time one classify call over the whole test split at batch 64. extra_info gets ms a
sentence at batch 64 (the whole split) and at batch 1 (its first BATCH1_SENTENCES), one torch thread, from ROUNDS
interleaved rounds (tests/benchmarks/rounds.py; one clock, time.perf_counter, wall): the median of each, and the
batching speed-up as the median of the per-round ratios with its quartiles. Asserted: batching does not change a
label. Plain `pytest` checks that once on CI_SENTENCES sentences (batches 1 and CI_BATCH), untimed.
"""
from __future__ import annotations

import pytest

from bench.tasks.sentiment_data import splits
from llm.runner import load_backend
from tests.benchmarks.rounds import Contender, Spread, interleave, load_1min, per_round_ratio, spread

THREADS = 1
ROUNDS = 3
BATCH1_SENTENCES = 100  # batch 1 is slow: its figure comes from the first 100 sentences
CI_SENTENCES, CI_BATCH = 12, 4


@pytest.fixture(scope="module")
def texts():
    return [r.text for r in splits()["test"]]


def batching_figures(times: dict[str, list[float]], many: int, few: int) -> tuple[dict[str, float], Spread]:
    """ms a sentence at batch 64 (`many` sentences a call) and batch 1 (`few`), medians over the rounds; the speed-up
    per round: batch 1's time a sentence over batch 64's."""
    ms = {b: spread([t / n * 1e3 for t in times[b]]).median for b, n in (("64", many), ("1", few))}
    return ms, per_round_ratio(times["1"], times["64"], many / few)


def test_batching_figures_per_sentence():
    """Made-up rounds: 100 sentences at batch 64, 10 at batch 1."""
    ms, speedup = batching_figures({"64": [0.2, 0.1, 0.3], "1": [0.1, 0.1, 0.06]}, 100, 10)
    assert (ms["64"], ms["1"]) == pytest.approx((2.0, 10.0))
    assert (speedup.median, speedup.min, speedup.max, speedup.rounds) == pytest.approx((5.0, 2.0, 10.0, 3))


def test_bench_classifier_ms_per_sentence(benchmark, texts):
    small = benchmark.disabled
    big = load_backend("sentiment-lora", device="cpu", dtype="float32", threads=THREADS,
                       batch_size=CI_BATCH if small else 64)
    one = load_backend("sentiment-lora", device="cpu", dtype="float32", threads=THREADS, batch_size=1)
    many, few = (texts[:CI_SENTENCES], texts[:CI_SENTENCES]) if small else (texts, texts[:BATCH1_SENTENCES])
    big.classify(many[:8])  # warm-up
    out64 = benchmark.pedantic(big.classify, args=(many,), rounds=1, iterations=1)
    out1 = one.classify(few)
    assert [a.label for a in out1] == [a.label for a in out64[:len(few)]], "batching changed labels"
    if small:
        return
    load = load_1min()
    times = interleave({"64": Contender(lambda: big.classify(many)), "1": Contender(lambda: one.classify(few))},
                       ROUNDS, warm_up=False)
    ms, speedup = batching_figures(times, len(many), len(few))
    benchmark.extra_info.update(
        model=big.info["model"], content_hash=big.info["content_hash"], torch_threads=big.info["torch_threads"],
        sentences=len(many), batch1_sentences=len(few), batch64_ms=ms["64"], batch1_ms=ms["1"],
        batching_speedup=speedup.as_dict(), rounds=ROUNDS, clock="time.perf_counter", load_1min=[load, load_1min()])
    print(f"\nbatch 64: {ms['64']:.2f} ms a sentence; batch 1: {ms['1']:.2f} ms ({THREADS} thread); "
          f"speed-up {speedup.text()}")
