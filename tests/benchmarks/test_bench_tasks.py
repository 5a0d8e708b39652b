"""Both sides on every task x difficulty, one JSON holding speed and score (run with `pytest --benchmark`).

Each benchmark answers the same seeded, held-out instances through the sides `isabench run` uses, and its
extra_info is the summary row the harness itself makes of them (bench.runner.make_record, bench.summary.summarise):
score, work per answer, and time per answer with its machine, glue and compile shares as bench/timing.py measures
them (the side's repeat rule; what `isabench report` shows).
The ISA side runs every contestant of a task (every weight table on sentiment: Task.isa_variants), the LLM side each
task's default model (the embedded model, the shipped adapter for sentiment) by the method the task calls for.
pytest-benchmark's own statistics time the same span, one batched answering of all N instances from their texts to
their parsed answers (`solve_isa_batch`; `LlmSide.ask`), a round at a time. `isabench report
results/benchmarks/.../NNNN_*.json` turns the file into the same tables and plots as `isabench run`. Plain `pytest` runs every case once on CI_N instances, untimed: the ISA's answers must
equal the reference on computed tasks, and both sides must answer every instance. Set ISABENCH_BENCH_MODEL to
benchmark another model on every task.
"""
from __future__ import annotations

import os

import pytest

from bench.runner import Group, make_record
from bench.sides import SideOptions
from bench.summary import summarise
from bench.tasks import TASKS, get_task

N, CI_N = 32, 4  # instances per task x difficulty: one batch on both sides; in plain `pytest`
SEED = 0
MODEL = os.environ.get("ISABENCH_BENCH_MODEL")  # None: each task's default model
# One thread per side, as `isabench run` defaults to: with 2 threads on a shared 2-core box, barrier stalls made the
# LLM ~100x slower per answer (120 ms vs 1.2 ms) and the batched ISA ~10x.
THREADS = int(os.environ.get("ISABENCH_BENCH_THREADS", "1"))
CASES = [(name, d) for name, task in TASKS.items() for d in task.difficulties]
ISA_CASES = [(name, d, v) for name, d in CASES for v in TASKS[name].isa_variants]
# The summary row's fields a report reads back (bench/from_benchmark.py row_of): all its times are the harness's.
ROW = ("task", "axis", "ground_truth", "difficulty", "backend", "contestant", "variant", "setting", "method",
       "coverage", "n", "correct", "partial", "unparsed", "errors", "instructions_per_answer", "time_per_answer_s",
       "per_answer_q1_s", "per_answer_q3_s", "repeats", "machine_per_answer_s", "machine_q1_s", "machine_q3_s",
       "glue_per_answer_s", "compile_per_answer_s", "prompt_tokens_per_answer", "generated_tokens_per_answer",
       "flops_per_answer")


def instances_of(name: str, d: int, n: int):
    return get_task(name).instances(d, n, seed=SEED, split="test")


def harness_row(side, who, task, d: int, insts) -> tuple[list[dict], dict]:
    """The side's answers to `insts` as `isabench run` records them, and the summary row it makes of them."""
    side.warm_up(task, who, insts)
    rows = side.answer(task, who, insts)
    group = Group(task, d, insts, "test", len(insts))
    recs = [make_record(side, who, group, inst, row) for inst, row in zip(insts, rows)]
    for rec in recs:
        rec["chunk"] = "benchmark"  # one chunk: the records share its timings
    row = summarise(recs).iloc[0]
    info = {k: row[k].item() if hasattr(row[k], "item") else row[k] for k in ROW}
    return recs, {**info, "seed": SEED, "batch_size": len(insts), "threads": THREADS}


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


@pytest.mark.parametrize("name, d, variant", ISA_CASES, ids=[f"{n}-d{d}" + (f"-{v}" if v else "")
                                                              for n, d, v in ISA_CASES])
def test_bench_isa(benchmark, isa_side, name, d, variant):
    task, insts = get_task(name), instances_of(name, d, CI_N if benchmark.disabled else N)
    who = next(c for c in isa_side.contestants(task) if c.handle == variant)
    recs, info = harness_row(isa_side, who, task, d, insts)
    assert len(recs) == len(insts) and not [r["error"] for r in recs if r["error"]]
    if task.ground_truth == "reference":
        assert all(r["exact"] for r in recs), "the ISA differs from the reference"
    texts, tier = [i.text for i in insts], isa_side.options.tier
    benchmark.group = f"{name} d{d}"
    out = benchmark.pedantic(task.solve_isa_batch, args=(texts, tier, who.handle, THREADS), rounds=5,
                             warmup_rounds=1)
    assert [a.answer for a in out.answers] == [r["answer"] for r in recs]
    benchmark.extra_info.update(info, tier=tier)


@pytest.mark.parametrize("name, d", CASES, ids=[f"{name}-d{d}" for name, d in CASES])
def test_bench_llm(benchmark, llm_side, name, d):
    task, insts = get_task(name), instances_of(name, d, CI_N if benchmark.disabled else N)
    who = llm_side.contestants(task)[0]
    recs, info = harness_row(llm_side, who, task, d, insts)
    assert len(recs) == len(insts)  # a model's refusal (a prompt past its positions) is a recorded result
    benchmark.group = f"{name} d{d}"
    rows = benchmark.pedantic(llm_side.ask, args=(task, who, insts), rounds=3, warmup_rounds=1)
    assert [r["answer"] for r in rows] == [r["answer"] for r in recs], "the model's answers changed between calls"
    model = who.handle.info
    benchmark.extra_info.update(info, model_info={
        k: model.get(k) for k in ("model", "content_hash", "revision", "dtype", "device", "n_params",
                                  "n_params_non_embedding", "torch_threads")})
