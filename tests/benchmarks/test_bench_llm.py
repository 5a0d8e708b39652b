"""LLM runner throughput on the embedded model (run with `pytest --benchmark`).

Figures go into benchmark.extra_info: answers/s and generated tokens/s at batch 1 and 32 on the same prompts, the
batching speed-up (goal >= 8x on CPU) and the runner's overhead against a bare `model.generate` loop (goal <= 5 %).
The two goals are asserted here, where speed is measured, never in the unit tests.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import torch

import llm
from bench.tasks import get_task
from llm.runner import load_backend

THREADS = 1            # one thread: the figures compare batching, not how many cores the machine lends
MAX_NEW_TOKENS = 16    # squares of 4 digits have <= 8 digits + "\n"; sums fewer
REPEATS = 5            # rounds of the batch-32 timing
OVERHEAD_REPEATS = 15  # interleaved pairs for the overhead comparison; the minimum is the least disturbed (shared CPUs)
# Another model folder may be benchmarked the same way; by default it is the embedded model.
MODEL = Path(os.environ.get("ISABENCH_BENCH_MODEL", llm.DEFAULT_MODEL_DIR))


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
    return {b: load_backend(str(MODEL), device="cpu", batch_size=b, threads=THREADS) for b in (1, 32)}


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def figures(prefix: str, seconds: float, completions) -> dict:
    generated = sum(c.generated_tokens for c in completions)
    return {f"{prefix}_seconds": seconds, f"{prefix}_answers_per_s": len(completions) / seconds,
            f"{prefix}_generated_tokens_per_s": generated / seconds, f"{prefix}_generated_tokens": generated}


def run_info(backend) -> dict:
    keys = ("model", "content_hash", "device", "dtype", "torch_threads", "n_params", "n_params_non_embedding")
    return {k: backend.info[k] for k in keys}


def test_bench_llm_batching(benchmark, backends, prompts):
    one, many = backends[1], backends[32]
    many.generate(prompts[:4], MAX_NEW_TOKENS)  # warm-up: first calls allocate and build caches
    seconds_1, out_1 = min((timed(lambda: one.generate(prompts, MAX_NEW_TOKENS)) for _ in range(2)),
                           key=lambda r: r[0])
    out_32 = benchmark.pedantic(many.generate, args=(prompts, MAX_NEW_TOKENS), rounds=REPEATS, iterations=1)
    seconds_32 = benchmark.stats.stats.min
    speedup = seconds_1 / seconds_32
    benchmark.extra_info.update(run_info(many), prompts=len(prompts), max_new_tokens=MAX_NEW_TOKENS,
                                **figures("batch1", seconds_1, out_1), **figures("batch32", seconds_32, out_32),
                                batching_speedup=speedup)
    assert [c.text for c in out_32] == [c.text for c in out_1], "batching changed greedy answers"
    assert speedup >= 8, f"batch 32 is only {speedup:.1f}x batch 1"


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
    runner = backends[32]
    bare_generate(runner, prompts[:4])
    runs = {"runner": [], "bare": []}
    for r in range(OVERHEAD_REPEATS):  # interleaved, alternating who goes first: a busy moment hits both sides alike
        for side in (("runner", "bare") if r % 2 else ("bare", "runner")):
            if side == "runner":
                seconds, out = timed(lambda: runner.generate(prompts, MAX_NEW_TOKENS))
            else:
                seconds, bare = timed(lambda: bare_generate(runner, prompts))
            runs[side].append(seconds)
    overhead = min(runs["runner"]) / min(runs["bare"]) - 1
    benchmark.pedantic(runner.generate, args=(prompts, MAX_NEW_TOKENS), rounds=1, iterations=1)
    benchmark.extra_info.update(run_info(runner), runner_seconds_min=min(runs["runner"]),
                                bare_generate_seconds_min=min(runs["bare"]), runner_overhead=overhead)
    assert [c.text for c in out] == bare, "the runner and bare generate disagree"
    assert overhead <= 0.05, f"runner overhead {overhead:.1%} over bare generate"
