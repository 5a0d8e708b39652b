"""Log-likelihood scoring, timed (run with `pytest --benchmark tests/benchmarks/test_bench_loglik.py -s`).

The requests: sentiment's 397 test sentences x 2 labels, the LLM side's own prompts (`Review: ...\\nSentiment:` and
" positive" / " negative"), scored in one call. Each side's CPU time (process_time, one torch thread, tokenizers
without their thread pool) over ROUNDS interleaved rounds, the order alternating, after a warm-up; the figures are
medians, and the spread of the per-round ratios (min and max). Speed is reported, never asserted.

- shared vs pairs: the shared-context path (llm.loglik) against the pair-by-pair path (share=False: every request
  its own row), on the embedded model.
- against lm-evaluation-harness: the same requests through lm-eval's HFLM.loglikelihood on the same loaded model
  and tokenizer, the embedded model and SmolLM2 (and SmolLM2 with the gpt3 prompt) (add_bos_token=True, as isabench encodes); skipped unless lm-eval is installed (it is not a
  dependency: `pip install lm-eval`). Issue 19's goal is a ratio of 0.7 or less.
"""
from __future__ import annotations

import statistics
import time

import pytest
import torch

import llm.loglik
from bench.tasks import get_task
from bench.tasks.prompts import PromptSpec
from llm.runner import load_backend

ROUNDS = 5
THREADS = 1
BATCH_SIZE = 32  # the LLM side's default


def requests(n: int | None = None, fmt: str = "compact") -> tuple[list[str], list[str]]:
    task = get_task("sentiment")
    spec = PromptSpec(format=fmt)
    prompts = [task.prompt(i, spec) for d in task.difficulties for i in task.instances(d, 10**6, 0, "test")][:n]
    labels = [task.answer_prefix(fmt) + label for label in task.labels]
    return [p for p in prompts for _ in labels], [x for _ in prompts for x in labels]


def cpu_seconds(fn) -> tuple[float, object]:
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def interleaved(sides: dict, rounds: int) -> tuple[dict[str, list[float]], dict[str, object]]:
    """Each side's CPU seconds per round, the order alternating; and each side's last answers."""
    seconds, answers = {name: [] for name in sides}, {}
    with torch.inference_mode():
        for name, fn in sides.items():
            fn()  # warm-up: first calls allocate and build caches
        for r in range(rounds):
            for name in (list(sides) if r % 2 == 0 else list(sides)[::-1]):
                spent, answers[name] = cpu_seconds(sides[name])
                seconds[name].append(spent)
    return seconds, answers


def ratio_figures(seconds: dict[str, list[float]], ours: str, theirs: str) -> dict:
    ratios = [a / b for a, b in zip(seconds[ours], seconds[theirs])]
    return {f"{ours}_cpu_s_median": statistics.median(seconds[ours]),
            f"{theirs}_cpu_s_median": statistics.median(seconds[theirs]),
            f"{ours}_cpu_s_runs": seconds[ours], f"{theirs}_cpu_s_runs": seconds[theirs],
            f"{ours}_over_{theirs}": statistics.median(seconds[ours]) / statistics.median(seconds[theirs]),
            f"{ours}_over_{theirs}_round_min": min(ratios), f"{ours}_over_{theirs}_round_max": max(ratios)}


def loaded(model: str | None):
    try:
        return load_backend(model, device="cpu", batch_size=BATCH_SIZE, threads=THREADS)
    except (ValueError, OSError) as e:  # the embedded model untrained, the SmolLM2 wheel not installed
        pytest.skip(f"cannot load {model or 'the embedded model'}: {e}")


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")
    threads = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    yield
    torch.set_num_threads(threads)


def test_bench_shared_contexts_against_pair_by_pair(benchmark):
    backend = loaded(None)
    # With timing off (`--benchmark-disable`) one quick round on a few sentences still checks the path runs.
    n, rounds = (8, 1) if benchmark.disabled else (None, ROUNDS)
    contexts, continuations = requests(n)
    sides = {"shared": lambda: llm.loglik.score_pairs(backend, contexts, continuations),
             "pairs": lambda: llm.loglik.score_pairs(backend, contexts, continuations, share=False)}
    seconds, answers = interleaved(sides, rounds)
    shared, pairs = answers["shared"], answers["pairs"]
    assert [s.logprob for s in shared] == pytest.approx([p.logprob for p in pairs], abs=1e-4)
    figures = ratio_figures(seconds, "shared", "pairs")
    figures.update(requests=len(contexts), threads=THREADS, batch_size=BATCH_SIZE, model=backend.info["model"],
                   shared_tokens=sum(s.processed_tokens for s in shared),
                   pairs_tokens=sum(p.processed_tokens for p in pairs))
    benchmark.extra_info.update(figures)
    with torch.inference_mode():  # pytest-benchmark's own wall-clock figure: one more call of the shared path
        benchmark.pedantic(sides["shared"], rounds=1, iterations=1)
    print(f"\nshared/pairs CPU {figures['shared_over_pairs']:.3f} (rounds {figures['shared_over_pairs_round_min']:.3f}"
          f"-{figures['shared_over_pairs_round_max']:.3f}); medians {figures['shared_cpu_s_median']:.2f} s / "
          f"{figures['pairs_cpu_s_median']:.2f} s; tokens {figures['shared_tokens']} / {figures['pairs_tokens']}")


# The compact prompt for both; SmolLM2 also with the gpt3 prompt, which README's sentiment table runs it with (its
# fixed question before each review is a start every row shares).
@pytest.mark.parametrize("model, fmt", [(None, "compact"), ("smollm2", "compact"), ("smollm2", "gpt3")],
                         ids=["embedded", "smollm2", "smollm2-gpt3"])
def test_bench_against_lm_eval(benchmark, model, fmt):
    pytest.importorskip("lm_eval", reason="lm-evaluation-harness is not installed (pip install lm-eval)")
    from importlib.metadata import version

    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    backend = loaded(model)
    n, rounds = (8, 1) if benchmark.disabled else (None, ROUNDS)
    contexts, continuations = requests(n, fmt)
    harness = HFLM(pretrained=backend.model, tokenizer=backend.tokenizer, batch_size=BATCH_SIZE, add_bos_token=True,
                   device="cpu")
    asked = [Instance("loglikelihood", {}, pair, k) for k, pair in enumerate(zip(contexts, continuations))]
    sides = {"isabench": lambda: backend.loglikelihood(contexts, continuations),
             "lm_eval": lambda: harness.loglikelihood(asked, disable_tqdm=True)}
    seconds, answers = interleaved(sides, rounds)
    ours, theirs = answers["isabench"], answers["lm_eval"]
    gap = max(abs(s.logprob - lp) for s, (lp, _) in zip(ours, theirs))
    assert gap < 1e-3 and [s.is_greedy for s in ours] == [g for _, g in theirs]
    figures = ratio_figures(seconds, "isabench", "lm_eval")
    figures.update(requests=len(contexts), threads=THREADS, batch_size=BATCH_SIZE, model=backend.info["model"],
                   prompt_format=fmt, lm_eval_version=version("lm_eval"), max_logprob_gap=gap)
    benchmark.extra_info.update(figures)
    benchmark.pedantic(sides["isabench"], rounds=1, iterations=1)
    print(f"\n{model or 'embedded'} ({fmt}): isabench/lm-eval CPU {figures['isabench_over_lm_eval']:.3f} (rounds "
          f"{figures['isabench_over_lm_eval_round_min']:.3f}-{figures['isabench_over_lm_eval_round_max']:.3f}); "
          f"medians {figures['isabench_cpu_s_median']:.2f} s / {figures['lm_eval_cpu_s_median']:.2f} s; "
          f"max gap {gap:.1e} nats; lm-eval {figures['lm_eval_version']}")
