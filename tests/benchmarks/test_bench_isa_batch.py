"""Per-answer cost of the ISA's batched answers: in the library, and through the harness (`pytest --benchmark`).

`test_bench_solve_batch`: isa.library.solve_batch over N inputs (square of 3-digit numbers, add of 5-digit pairs),
1 thread, on the jit and the compiled tier, split into its own measured phases (lay-out: inputs -> memories; machine:
inside the engine call; decoding: memories -> values), beside one library.solve per input. pytest-benchmark times
the whole solve_batch call; the figures in extra_info come from ROUNDS interleaved rounds (tests/benchmarks/
rounds.py: batch and one-by-one alternate), every time on one clock (time.perf_counter, wall, as the phases inside
solve_batch are), each figure the median over rounds, the one-by-one ÷ batch ratio with its quartiles.

`test_bench_harness_isa`: the ISA side's answers through `isabench run`'s own path (bench.runner.run, --backends isa,
--n N, 1 thread) on the levels issue 19's targets name: add d5 and square d3 (its test split holds 170) and wordfreq
d8, on jit and compiled; per answer from the run's own records (bench.summary: total, machine, glue, compile, as
bench/timing.py defines them). pytest-benchmark times the span the side times: one chunk of IsaSide.chunk_size
instances, from their texts to their parsed answers.

`test_bench_glue_every_task`: issue 19's "glue ≤ 2× the machine's time on every computed task on jit" — one
`isabench run --backends isa --tier jit --n N` path over every computed task at its default levels, 1 thread; per
task the glue ÷ machine of all its answers (their sums), and per level beside it (a level of a few instances is one
small chunk: its fixed costs, ~20-60 µs, dominate its time per answer).

All write results/benchmarks/isa_batch_summary.md. Plain `pytest` runs the same correctness checks (batched answers
equal one-by-one; the harness's answers equal the reference, with no errors) once at CI size, untimed. Nothing here
asserts a speed.
"""
from __future__ import annotations

import random

import pytest

from bench.from_benchmark import HARNESS_KIND, harness_table, num
from bench.side_isa import IsaSide
from bench.stats import quartiles
from isa import library
from tests.benchmarks.rounds import Contender, interleave, load_1min, per_round_ratio, write_summary

N, CI_N = 1000, 20  # inputs per batch: timed, and in plain `pytest`
ROUNDS = 15
WORKLOADS = {
    "square, 3 digits": ("square", lambda rng: rng.randrange(100, 1000)),
    "add, 5 digits": ("add", lambda rng: (rng.randrange(10_000, 100_000), rng.randrange(10_000, 100_000))),
}
HARNESS = [("add", 5), ("square", 3), ("wordfreq", 8), ("emulate", 8)]
COMPUTED = ["square", "add", "sub", "mul", "expr", "wordfreq", "emulate"]  # the tasks whose answers the ISA computes
TIERS = ["jit", "compiled"]
_ROWS: list[str] = []
_HARNESS: list[dict] = []
_GLUE: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def summary():
    yield
    parts = []
    if _ROWS:
        parts += ["| workload | tier | n | total µs/answer | lay-out | machine | decoding | glue ÷ machine | "
                  "one solve per input, µs/answer | one by one ÷ batch |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|", *_ROWS, "",
                  f"solve_batch, 1 thread, wall clock (time.perf_counter) for every figure: the median over {ROUNDS} "
                  "interleaved rounds (the batch and one library.solve per input alternating); lay-out, machine and "
                  "decoding are solve_batch's own phases; the ratio is the median of the per-round ratios, with its "
                  "quartiles.", ""]
    if _HARNESS:
        parts.append(harness_table(_HARNESS))
    if _GLUE:
        parts += _GLUE
    if parts:
        write_summary("isa_batch_summary.md", "\n".join(parts))


def inputs_of(workload: str, n: int) -> tuple[str, list]:
    name, make = WORKLOADS[workload]
    rng = random.Random(f"{workload}-{N}")
    return name, [make(rng) for _ in range(n)]


def batch_figures(workload: str, tier: str, n: int, times: dict[str, list[float]], phases: list) -> dict:
    """solve_batch's figures over the rounds (`times`: seconds per round of the batch and of the one-by-one solves;
    `phases`: each round's BatchSolve): medians in µs per answer, and the one-by-one ÷ batch ratio per round."""
    us = lambda xs: quartiles([x / n * 1e6 for x in xs])[1]  # noqa: E731 - the median, µs per answer
    return {
        "workload": workload, "tier": tier, "n": n, "threads": 1, "rounds": ROUNDS, "clock": "time.perf_counter",
        "total_us_per_answer": us(times["batch"]),
        **{f"{k}_us_per_answer": us([getattr(p, f"{k}_s") for p in phases]) for k in ("lay", "machine", "decode")},
        "glue_over_machine": quartiles([p.glue_s / p.machine_s for p in phases])[1],
        "singles_us_per_answer": us(times["singles"]),
        "singles_over_batch": per_round_ratio(times["singles"], times["batch"]).as_dict(),
    }


def test_batch_figures_are_medians_per_answer():
    """Three rounds of 2 answers: every figure is its median over the rounds, in µs per answer."""
    from types import SimpleNamespace

    phases = [SimpleNamespace(lay_s=lay, machine_s=machine, decode_s=decode, glue_s=lay + decode)
              for lay, machine, decode in ((2e-6, 2e-6, 0.0), (2e-6, 4e-6, 2e-6), (2e-6, 4e-6, 4e-6))]
    times = {"batch": [6e-6, 2e-6, 4e-6], "singles": [24e-6, 8e-6, 8e-6]}  # singles ÷ batch per round: 4, 4, 2
    f = batch_figures("add", "jit", 2, times, phases)
    assert (f["total_us_per_answer"], f["singles_us_per_answer"]) == pytest.approx((2.0, 4.0))
    assert (f["lay_us_per_answer"], f["machine_us_per_answer"], f["decode_us_per_answer"]) == pytest.approx((1, 2, 1))
    assert f["glue_over_machine"] == pytest.approx(1.0)  # per round 1, 1, 1.5
    ratio = f["singles_over_batch"]
    assert (ratio["median"], ratio["min"], ratio["max"], ratio["rounds"]) == pytest.approx((4.0, 2.0, 4.0, 3))


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_bench_solve_batch(benchmark, workload, tier):
    name, inputs = inputs_of(workload, CI_N if benchmark.disabled else N)
    batch = lambda: library.solve_batch(name, inputs, tier=tier, threads=1)  # noqa: E731
    singles = lambda: [library.solve(name, x, tier=tier) for x in inputs]  # noqa: E731
    batch()  # compiling or loading the tier's code: set-up, outside every figure
    out, ones = batch(), singles()
    benchmark.group = f"solve_batch, {workload}"
    assert out.values == [r.value for r in ones] and out.steps.tolist() == [r.steps for r in ones]
    assert out.threads == 1 and out.compile_s == 0.0 and out.tier == tier
    benchmark.pedantic(batch, rounds=ROUNDS, warmup_rounds=1)
    if benchmark.disabled:
        return
    phases: list = []
    timed_batch = lambda: phases.append(batch())  # noqa: E731
    times = interleave({"batch": Contender(timed_batch), "singles": Contender(singles)}, ROUNDS, warm_up=False)
    figures = batch_figures(workload, tier, len(inputs), times, phases) | {"steps_per_answer": float(out.steps.mean()),
                                                                          "load_1min": load_1min()}
    benchmark.extra_info.update(figures)
    f, ratio, n = figures, figures["singles_over_batch"], len(inputs)
    _ROWS.append(f"| {workload} | {tier} | {n:,} | {num(f['total_us_per_answer'])} | {num(f['lay_us_per_answer'])} | "
                 f"{num(f['machine_us_per_answer'])} | {num(f['decode_us_per_answer'])} | "
                 f"{num(f['glue_over_machine'])} | {num(f['singles_us_per_answer'])} | "
                 f"{num(ratio['median'])} ({num(ratio['q1'])}–{num(ratio['q3'])}) |")


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("task, d", HARNESS, ids=[f"{t}-d{d}" for t, d in HARNESS])
def test_bench_harness_isa(benchmark, tmp_path, task, d, tier):
    from bench import records, runner
    from bench.sides import SideOptions
    from bench.summary import summarise
    from bench.tasks import get_task

    n = CI_N if benchmark.disabled else N
    load = load_1min()
    cfg = runner.RunConfig(out=tmp_path / "run", tasks=[task], backends=["isa"], difficulties=[d], n=n,
                           side=SideOptions(tier=tier, isa_threads=1), progress=False)
    result = runner.run(cfg)
    assert not result.failures and not result.interrupted, result.failures
    recs = records.load(cfg.out / records.RECORDS_FILE).records
    assert recs and not [r["error"] for r in recs if r.get("error")]
    assert all(r["answer"] == r["reference"] for r in recs)
    row = summarise(recs).iloc[0]
    # pytest-benchmark's own statistics: the span the side times, one chunk from its texts to its parsed answers
    texts = [r["instance"] for r in recs[:IsaSide.chunk_size]]
    benchmark.group = "ISA through the harness"
    answers = benchmark.pedantic(get_task(task).solve_isa_batch, args=(texts, tier, "", 1), rounds=ROUNDS,
                                 warmup_rounds=1)
    assert [a.answer for a in answers.answers] == [r["answer"] for r in recs[:IsaSide.chunk_size]]
    if benchmark.disabled:
        return
    keys = ("time_per_answer_s", "per_answer_q1_s", "per_answer_q3_s", "machine_per_answer_s", "machine_q1_s",
            "machine_q3_s", "glue_per_answer_s", "compile_per_answer_s", "instructions_per_answer", "batches",
            "repeats")
    info = {"kind": HARNESS_KIND, "task": task, "difficulty": d, "tier": tier, "n": int(row["n"]),
            "chunk_size": IsaSide.chunk_size, "threads": 1, **{k: float(row[k]) for k in keys},
            "span_per_answer_s": benchmark.stats.stats.median / len(texts), "load_1min": [load, load_1min()]}
    benchmark.extra_info.update(info)
    _HARNESS.append(info)


def glue_rows(recs: list[dict]) -> list[dict]:
    """Per task (difficulty None), then per level: answers, glue and machine µs per answer (means over answers) and
    glue ÷ machine as the ratio of their sums: the share of the task's own time that is glue."""
    groups: dict[tuple, list[dict]] = {}
    for r in recs:
        groups.setdefault((r["task"], None), []).append(r)
        groups.setdefault((r["task"], r["difficulty"]), []).append(r)
    rows = []
    for (task, d), group in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] is not None, kv[0][1] or 0)):
        glue, machine = sum(r["glue_s"] for r in group), sum(r["machine_s"] for r in group)
        rows.append({"task": task, "difficulty": d, "n": len(group), "glue_us": glue / len(group) * 1e6,
                     "machine_us": machine / len(group) * 1e6, "glue_over_machine": glue / machine})
    return rows


def test_glue_rows_are_sums_over_answers_per_task_and_per_level():
    recs = [{"task": "add", "difficulty": 1, "glue_s": 3e-6, "machine_s": 1e-6},
            {"task": "add", "difficulty": 2, "glue_s": 1e-6, "machine_s": 1e-6},
            {"task": "add", "difficulty": 2, "glue_s": 2e-6, "machine_s": 4e-6}]
    rows = {(r["task"], r["difficulty"]): r for r in glue_rows(recs)}
    assert list(rows) == [("add", None), ("add", 1), ("add", 2)]
    whole, two = rows[("add", None)], rows[("add", 2)]
    assert (whole["n"], whole["glue_us"], whole["machine_us"]) == (3, pytest.approx(2.0), pytest.approx(2.0))
    assert whole["glue_over_machine"] == pytest.approx(1.0)  # 6 µs of glue over 6 of machine, not the mean of ratios
    assert (two["n"], two["glue_over_machine"]) == (2, pytest.approx(0.6))


def test_bench_glue_every_task(benchmark, tmp_path):
    from bench import records, runner
    from bench.sides import SideOptions

    n = CI_N if benchmark.disabled else N
    load = load_1min()
    cfg = runner.RunConfig(out=tmp_path / "run", tasks=COMPUTED, backends=["isa"], n=n,
                           side=SideOptions(tier="jit", isa_threads=1), progress=False)
    benchmark.group = "ISA glue on every computed task"
    result = benchmark.pedantic(runner.run, args=(cfg,), rounds=1, iterations=1)
    assert not result.failures and not result.interrupted, result.failures
    recs = records.load(cfg.out / records.RECORDS_FILE).records
    assert {r["task"] for r in recs} == set(COMPUTED) and all(r["answer"] == r["reference"] for r in recs)
    rows = glue_rows(recs)
    if benchmark.disabled:
        return
    benchmark.extra_info.update({"n": n, "tier": "jit", "threads": 1, "rows": rows, "load_1min": [load, load_1min()]})
    _GLUE.extend(["| task | d | n | glue µs/answer | machine µs/answer | glue ÷ machine |", "|---|---:|---:|---:|---:|---:|"])
    _GLUE.extend(f"| {'**' + r['task'] + '**' if r['difficulty'] is None else r['task']} | "
                 f"{'all' if r['difficulty'] is None else r['difficulty']} | {r['n']:,} | {num(r['glue_us'])} | "
                 f"{num(r['machine_us'])} | {num(r['glue_over_machine'])} |" for r in rows)
    _GLUE.append(f"\nEvery computed task through `isabench run --backends isa --tier jit --n {n}` (bench.runner.run), "
                 f"1 thread, chunks of {IsaSide.chunk_size}: glue ÷ machine is the sum of the answers' glue over the "
                 f"sum of their machine time (bench/timing.py). 1-minute load average {load:.2f}–{load_1min():.2f}.\n")
