"""LLM runner throughput on the embedded model (run with `pytest --benchmark`).

`test_bench_llm_batch[1]` and `[32]`: the same 64 prompts generated at batch 1 and at batch 32, each its own
benchmark entry (pytest-benchmark's statistics time one generate call over all the prompts). The batching speed-up
comes from ROUNDS interleaved rounds (tests/benchmarks/rounds.py: batch 1 and batch 32 alternate, the order
alternating too): each round's batch-1 time ÷ its batch-32 time, the median over rounds with its quartiles, in both
entries' extra_info with answers/s and generated tokens/s. `test_bench_llm_runner_overhead`: the runner against a
bare `model.generate` loop over the same batches, OVERHEAD_ROUNDS interleaved rounds, the median per-round ratio.
One clock for every time (time.perf_counter, wall). Nothing here asserts a speed; what is asserted: batching does
not change greedy answers, and the runner answers as bare generate does. Plain `pytest` runs those checks once on
a few prompts (batches 1 and CI_BATCH), untimed.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

import llm
from bench.tasks import get_task
from llm.runner import load_backend
from tests.benchmarks.rounds import Contender, interleave, load_1min, per_round_ratio, spread

THREADS = 1            # one thread: the figures compare batching, not how many cores the machine lends
MAX_NEW_TOKENS = 16    # squares of 4 digits have <= 8 digits + "\n"; sums fewer
ROUNDS = 5             # interleaved rounds of batch 1 and batch 32 (a batch-1 round is about a second)
OVERHEAD_ROUNDS = 15   # interleaved rounds of the runner and bare generate
BATCHES = (1, 32)
CI_PROMPTS, CI_BATCH = 6, 4  # plain `pytest`: these many prompts, the large batch this size
# Another model folder may be benchmarked the same way; by default it is the embedded model.
MODEL = Path(os.environ.get("ISABENCH_BENCH_MODEL", llm.DEFAULT_MODEL_DIR))
_SPEEDUP: dict[str, object] = {}


def bench_prompts() -> list[str]:
    square, add = get_task("square"), get_task("add")
    return [square.prompt(i.text) for i in square.instances(4, 32, seed=0)] + \
           [add.prompt(i.text) for i in add.instances(2, 32, seed=0)]


@pytest.fixture(scope="module")
def prompts():
    return bench_prompts()


@pytest.fixture(scope="module")
def backends():
    if not (MODEL / "config.json").is_file():
        pytest.skip(f"no trained model in {MODEL}: run `isabench train` first")
    sizes = {BATCHES[0], BATCHES[1], CI_BATCH}
    return {b: load_backend(str(MODEL), device="cpu", batch_size=b, threads=THREADS) for b in sorted(sizes)}


def sized(benchmark, backends, prompts) -> tuple[list[str], dict]:
    """The prompts and the backends by the batch size they stand for (32 is CI_BATCH in plain `pytest`)."""
    if benchmark.disabled:
        return prompts[:CI_PROMPTS], {1: backends[1], 32: backends[CI_BATCH]}
    return prompts, backends


def figures(prefix: str, seconds: float, completions) -> dict:
    generated = sum(c.generated_tokens for c in completions)
    return {f"{prefix}_seconds": seconds, f"{prefix}_answers_per_s": len(completions) / seconds,
            f"{prefix}_generated_tokens_per_s": generated / seconds, f"{prefix}_generated_tokens": generated}


def run_info(backend) -> dict:
    keys = ("model", "content_hash", "device", "dtype", "torch_threads", "n_params", "n_params_non_embedding")
    return {k: backend.info[k] for k in keys}


def batching(by_batch: dict, prompts: list[str]) -> dict:
    """The interleaved rounds of batch 1 and batch 32, measured once for both entries."""
    if not _SPEEDUP:
        outs = {b: by_batch[b].generate(prompts, MAX_NEW_TOKENS) for b in BATCHES}  # warm-up, and the answers
        load = load_1min()
        times = interleave({b: Contender(lambda b=b: by_batch[b].generate(prompts, MAX_NEW_TOKENS)) for b in BATCHES},
                           ROUNDS, warm_up=False)
        info = {"prompts": len(prompts), "max_new_tokens": MAX_NEW_TOKENS, "rounds": ROUNDS,
                "clock": "time.perf_counter", "load_1min": [load, load_1min()],
                "batching_speedup": per_round_ratio(times[1], times[32]).as_dict()}
        for b in BATCHES:
            info.update(figures(f"batch{b}", spread(times[b]).median, outs[b]))
        _SPEEDUP.update(info)
    return _SPEEDUP


@pytest.mark.parametrize("batch", BATCHES)
def test_bench_llm_batch(benchmark, backends, prompts, batch):
    prompts, by_batch = sized(benchmark, backends, prompts)
    backend = by_batch[batch]
    backend.generate(prompts[:4], MAX_NEW_TOKENS)  # warm-up: first calls allocate and build caches
    benchmark.group = "LLM batching"
    out = benchmark.pedantic(backend.generate, args=(prompts, MAX_NEW_TOKENS), rounds=3, iterations=1)
    other = by_batch[BATCHES[1] if batch == BATCHES[0] else BATCHES[0]].generate(prompts, MAX_NEW_TOKENS)
    assert [c.text for c in out] == [c.text for c in other], "batching changed greedy answers"
    if not benchmark.disabled:
        benchmark.extra_info.update(run_info(backend), batch_size=batch, **batching(by_batch, prompts))


def bare_generate(backend, prompts: list[str]) -> list[str]:
    """What one would write by hand: the runner's batches, tokenizer padding, generate, batch_decode."""
    tok, model = backend.tokenizer, backend.model
    tok.padding_side = "left"
    order = sorted(range(len(prompts)), key=lambda i: len(tok(prompts[i])["input_ids"]))
    texts = [""] * len(prompts)
    with torch.inference_mode():
        for start in range(0, len(order), backend.batch_size):
            batch = order[start:start + backend.batch_size]
            enc = tok([prompts[i] for i in batch], padding=True, return_tensors="pt")
            out = model.generate(**enc, max_new_tokens=MAX_NEW_TOKENS, do_sample=False, pad_token_id=backend.pad_id,
                                 eos_token_id=backend.eos_ids, stop_strings=["\n"], tokenizer=tok)
            decoded = tok.batch_decode(out[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
            for i, text in zip(batch, decoded):
                texts[i] = text.split("\n", 1)[0]
    return texts


def test_bench_llm_runner_overhead(benchmark, backends, prompts):
    prompts, by_batch = sized(benchmark, backends, prompts)
    runner = by_batch[32]
    bare = bare_generate(runner, prompts)  # warm-up, and the answers to compare
    benchmark.group = "LLM runner overhead"
    out = benchmark.pedantic(runner.generate, args=(prompts, MAX_NEW_TOKENS), rounds=1, iterations=1)
    assert [c.text for c in out] == bare, "the runner and bare generate disagree"
    if benchmark.disabled:
        return
    load = load_1min()
    times = interleave({"runner": Contender(lambda: runner.generate(prompts, MAX_NEW_TOKENS)),
                        "bare": Contender(lambda: bare_generate(runner, prompts))}, OVERHEAD_ROUNDS, warm_up=False)
    ratio = per_round_ratio(times["runner"], times["bare"])
    benchmark.extra_info.update(run_info(runner), runner_seconds=spread(times["runner"]).as_dict(),
                                bare_generate_seconds=spread(times["bare"]).as_dict(),
                                runner_over_bare=ratio.as_dict(), runner_overhead=ratio.median - 1,
                                rounds=OVERHEAD_ROUNDS, clock="time.perf_counter", load_1min=[load, load_1min()])


def test_batching_figures_on_a_counter_clock(monkeypatch):
    """Fake backends on a counter for a clock: batch 1 spends 4, 2, 6, 5, 3 s a timed call (after an untimed one),
    batch 32 1 s, on 2 prompts of 3 tokens each: speed-ups 4, 2, 6, 5, 3; each batch's answers and tokens per second
    from its median call."""
    from types import SimpleNamespace

    from tests.benchmarks import rounds

    clock = [0.0]
    monkeypatch.setattr(rounds, "now", lambda: clock[0])
    monkeypatch.setattr(f"{__name__}._SPEEDUP", {})

    class Fake:
        def __init__(self, *seconds: float):
            self.seconds = iter(seconds * (ROUNDS + 1) if len(seconds) == 1 else seconds)

        def generate(self, prompts, max_new_tokens):
            clock[0] += next(self.seconds)
            return [SimpleNamespace(generated_tokens=3) for _ in prompts]

    info = batching({1: Fake(9.0, 4.0, 2.0, 6.0, 5.0, 3.0), 32: Fake(1.0)}, ["a", "b"])
    speedup = info["batching_speedup"]
    assert (speedup["median"], speedup["min"], speedup["max"], speedup["rounds"]) == pytest.approx((4, 2, 6, ROUNDS))
    assert (info["batch1_seconds"], info["batch1_answers_per_s"], info["batch1_generated_tokens_per_s"]) == \
        pytest.approx((4.0, 0.5, 1.5))
    assert (info["batch32_seconds"], info["batch32_generated_tokens"], info["prompts"]) == (1.0, 6, 2)
