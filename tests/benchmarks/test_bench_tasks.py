"""Both sides on every task x difficulty, one JSON holding speed and score (run with `pytest --benchmark`).

Each benchmark times one batched call over the same seeded, held-out instances: the ISA's `solve_isa_many`, and the
embedded model's `generate` over those instances' prompts. The score and the work per answer go into
`benchmark.extra_info`, so `isabench report results/benchmarks/.../NNNN_*.json` turns the file into the same tables and
plots as `isabench run`. Set ISABENCH_BENCH_MODEL to benchmark another model folder the same way.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import llm
from bench.tasks import STOP, TASKS, get_task

N = 32  # instances per task x difficulty: one batch on both sides
SEED = 0
MODEL = Path(os.environ.get("ISABENCH_BENCH_MODEL", llm.DEFAULT_MODEL_DIR))
# One thread per side, as `isabench run` defaults to: with 2 threads on a shared 2-core box, barrier stalls made the
# LLM ~100x slower per answer (120 ms vs 1.2 ms) and the batched ISA ~10x.
THREADS = int(os.environ.get("ISABENCH_BENCH_THREADS", "1"))
CASES = [(name, d) for name, task in TASKS.items() for d in task.difficulties]
IDS = [f"{name}-d{d}" for name, d in CASES]


def texts_of(name: str, d: int) -> list[str]:
    return [i.text for i in get_task(name).instances(d, N, seed=SEED, split="test")]


def scored(name: str, d: int, texts: list[str], answers: list[str | None]) -> dict:
    task = get_task(name)
    scores = [task.score(a, task.reference(t)) for t, a in zip(texts, answers)]
    return {"task": name, "axis": task.axis, "difficulty": d, "n": len(texts), "seed": SEED,
            "correct": sum(s.exact for s in scores), "partial": sum(s.partial for s in scores) / len(scores),
            "unparsed": sum(a is None for a in answers)}


@pytest.fixture(scope="module")
def isa_ready():
    try:
        from isa import library  # noqa: F401
    except ImportError as e:
        pytest.skip(f"isa.library is not importable: {e}")
    import numba

    numba.set_num_threads(min(THREADS, numba.config.NUMBA_NUM_THREADS))


@pytest.fixture(scope="module")
def backend():
    if not (MODEL / "config.json").is_file():
        pytest.skip(f"no trained model in {MODEL}: run `isabench train` first (or set ISABENCH_BENCH_MODEL)")
    from llm.runner import load_backend

    return load_backend(str(MODEL), device="auto", batch_size=N, threads=THREADS)


@pytest.mark.parametrize("name, d", CASES, ids=IDS)
def test_bench_isa(benchmark, isa_ready, name, d):
    from bench.sides import isa_source_hash

    task, texts = get_task(name), texts_of(name, d)
    benchmark.group = f"{name} d{d}"
    task.solve_isa_many(texts)  # compile outside the timing
    answers = benchmark.pedantic(task.solve_isa_many, args=(texts,), rounds=5, warmup_rounds=1)
    benchmark.extra_info.update(scored(name, d, texts, [a.answer for a in answers]), backend="isa",
                                variant=f"isa@{isa_source_hash()}",
                                instructions_per_answer=sum(a.steps for a in answers) / len(answers),
                                errors=sum(a.status.lower() != "halted" for a in answers))
    assert len(answers) == len(texts)


@pytest.mark.parametrize("name, d", CASES, ids=IDS)
def test_bench_llm(benchmark, backend, name, d):
    from bench.sides import model_variant

    task, texts = get_task(name), texts_of(name, d)
    prompts = [task.prompt(t) for t in texts]
    budget = max(task.max_new_tokens(t) for t in texts)
    benchmark.group = f"{name} d{d}"
    completions = benchmark.pedantic(backend.generate, args=(prompts, budget), kwargs={"stop": [STOP]}, rounds=3,
                                     warmup_rounds=1)
    info = backend.info
    tokens = [c.prompt_tokens + c.generated_tokens for c in completions]
    benchmark.extra_info.update(
        scored(name, d, texts, [task.parse_reply(c.text) for c in completions]), backend="llm",
        variant=model_variant(info), batch_size=N,
        prompt_tokens_per_answer=sum(c.prompt_tokens for c in completions) / len(completions),
        generated_tokens_per_answer=sum(c.generated_tokens for c in completions) / len(completions),
        flops_per_answer=2 * info["n_params_non_embedding"] * sum(tokens) / len(tokens),
        model_info={k: info.get(k) for k in ("model", "content_hash", "revision", "dtype", "device", "n_params",
                                             "n_params_non_embedding", "torch_threads")})
    assert len(completions) == len(texts)
