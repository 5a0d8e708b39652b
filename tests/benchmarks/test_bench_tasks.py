"""Both sides on every task x difficulty, one JSON holding speed and score (run with `pytest --benchmark`).

Each benchmark times one batched call over the same seeded, held-out instances, through the same sides `isabench run`
uses: the ISA's batched solve (every weight table on sentiment) and the LLM side's answer (each task's default model:
the embedded model, the shipped adapter for sentiment, by the method the task calls for). The score and the work per
answer go into `benchmark.extra_info`, so `isabench report results/benchmarks/.../NNNN_*.json` turns the file into the
same tables and plots as `isabench run`. Set ISABENCH_BENCH_MODEL to benchmark another model on every task.
"""
from __future__ import annotations

import os

import pytest

from bench.sides import SideOptions
from bench.tasks import TASKS, get_task

N = 32  # instances per task x difficulty: one batch on both sides
SEED = 0
MODEL = os.environ.get("ISABENCH_BENCH_MODEL")  # None: each task's default model
# One thread per side, as `isabench run` defaults to: with 2 threads on a shared 2-core box, barrier stalls made the
# LLM ~100x slower per answer (120 ms vs 1.2 ms) and the batched ISA ~10x.
THREADS = int(os.environ.get("ISABENCH_BENCH_THREADS", "1"))
CASES = [(name, d) for name, task in TASKS.items() for d in task.difficulties]
IDS = [f"{name}-d{d}" for name, d in CASES]


def instances_of(name: str, d: int):
    return get_task(name).instances(d, N, seed=SEED, split="test")


def scored(name: str, d: int, insts, answers: list[str | None]) -> dict:
    task = get_task(name)
    scores = [task.score(a, task.answer_of(i)) for i, a in zip(insts, answers)]
    return {"task": name, "axis": task.axis, "ground_truth": task.ground_truth, "difficulty": d, "n": len(insts),
            "seed": SEED, "correct": sum(s.exact for s in scores), "partial": sum(s.partial for s in scores) / len(scores),
            "unparsed": sum(a is None for a in answers)}


@pytest.fixture(scope="module")
def isa_side():
    from bench.side_isa import IsaSide

    side = IsaSide(SideOptions(isa_threads=THREADS))
    side.start(list(TASKS.values()))
    return side


@pytest.fixture(scope="module")
def llm_side():
    from bench.side_llm import LlmSide

    side = LlmSide(SideOptions(model=MODEL, batch_size=N, threads=THREADS))
    side.start(list(TASKS.values()))
    return side


@pytest.mark.parametrize("name, d", CASES, ids=IDS)
def test_bench_isa(benchmark, isa_side, name, d):
    task, insts = get_task(name), instances_of(name, d)
    who = isa_side.contestants(task)[0]
    texts = [i.text for i in insts]
    benchmark.group = f"{name} d{d}"
    task.solve_isa_batch(texts, "jit", who.handle, THREADS)  # compile outside the timing
    out = benchmark.pedantic(task.solve_isa_batch, args=(texts, "jit", who.handle, THREADS), rounds=5,
                             warmup_rounds=1)
    steps = [a.steps if a.steps >= 0 else task.solve_isa(t, "jit", who.handle).steps for a, t in zip(out.answers, texts)]
    benchmark.extra_info.update(scored(name, d, insts, [a.answer for a in out.answers]), backend="isa",
                                contestant=who.label, variant=who.variant, setting=who.setting,
                                instructions_per_answer=sum(steps) / len(steps),
                                machine_per_answer_s=out.machine_s / len(texts),
                                glue_per_answer_s=out.glue_s / len(texts),
                                errors=sum(a.status.lower() != "halted" for a in out.answers))
    assert len(out.answers) == len(texts)


@pytest.mark.parametrize("name, d", CASES, ids=IDS)
def test_bench_llm(benchmark, llm_side, name, d):
    task, insts = get_task(name), instances_of(name, d)
    who = llm_side.contestants(task)[0]
    benchmark.group = f"{name} d{d}"
    rows = benchmark.pedantic(llm_side.ask, args=(task, who, insts), rounds=3, warmup_rounds=1)
    info = who.handle.info
    benchmark.extra_info.update(
        scored(name, d, insts, [r["answer"] for r in rows]), backend="llm", contestant=who.label,
        variant=who.variant, setting=who.setting, method=who.options["method"], batch_size=N,
        prompt_tokens_per_answer=sum(r["prompt_tokens"] for r in rows) / len(rows),
        generated_tokens_per_answer=sum(r["generated_tokens"] for r in rows) / len(rows),
        flops_per_answer=sum(r["flops"] or 0 for r in rows) / len(rows),
        model_info={k: info.get(k) for k in ("model", "content_hash", "revision", "dtype", "device", "n_params",
                                             "n_params_non_embedding", "torch_threads")})
    assert len(rows) == len(insts)
