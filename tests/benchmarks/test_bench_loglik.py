"""Log-likelihood scoring, timed (run with `pytest --benchmark tests/benchmarks/test_bench_loglik.py -s`).

The requests: sentiment's 397 test sentences x 2 labels, the LLM side's own prompts (compact: `Review: ...\\nSentiment:`
and " positive" / " negative"; gpt3: the paper's question before each review), scored in one call. Each side's CPU
time (time.process_time, one torch thread, tokenizers without their thread pool) over ROUNDS interleaved rounds
(tests/benchmarks/rounds.py: the order alternating, after a warm-up round); the figures are each side's median and
the per-round ratio's median, quartiles and min-max, with the 1-minute load before and after. Speed is reported,
never asserted; the summary table goes to results/benchmarks/loglik_summary.md.

- shared vs pairs: the shared-context path (llm.loglik) against the pair-by-pair path (share=False: every request
  its own row), on the embedded model.
- against lm-evaluation-harness: the same requests through lm-eval's HFLM.loglikelihood on the same loaded model
  and tokenizer (add_bos_token=True, as isabench encodes): the embedded model, SmolLM2, and SmolLM2 with the gpt3
  prompt (README's sentiment table); skipped unless lm-eval is installed (it is not a dependency: `pip install
  lm-eval`). Issue 19's goal is a ratio of 0.7 or less.
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
from tests.benchmarks.rounds import Contender, interleave, load_1min, per_round_ratio, write_summary

ROUNDS = 5
THREADS = 1
BATCH_SIZE = 32  # the LLM side's default
_ROWS: list[str] = []  # the summary table's rows, one per comparison this session


def requests(n: int | None = None, fmt: str = "compact") -> tuple[list[str], list[str]]:
    task = get_task("sentiment")
    spec = PromptSpec(format=fmt)
    prompts = [task.prompt(i, spec) for d in task.difficulties for i in task.instances(d, 10**6, 0, "test")][:n]
    labels = [task.answer_prefix(fmt) + label for label in task.labels]
    return [p for p in prompts for _ in labels], [x for _ in prompts for x in labels]


def compare(sides: dict, rounds: int) -> tuple[dict[str, list[float]], dict[str, object], list[float | None]]:
    """Each side's CPU seconds per round (interleaved), each side's last answers, and the load before and after."""
    answers = {}

    def keep(name):
        def call():
            answers[name] = sides[name]()
        return Contender(call)

    load = load_1min()
    with torch.inference_mode():
        seconds = interleave({name: keep(name) for name in sides}, rounds, clock=time.process_time)
    return seconds, answers, [load, load_1min()]


def ratio_figures(seconds: dict[str, list[float]], ours: str, theirs: str) -> dict:
    ratio = per_round_ratio(seconds[ours], seconds[theirs])
    return {f"{ours}_cpu_s_median": statistics.median(seconds[ours]),
            f"{theirs}_cpu_s_median": statistics.median(seconds[theirs]),
            f"{ours}_cpu_s_runs": seconds[ours], f"{theirs}_cpu_s_runs": seconds[theirs],
            f"{ours}_over_{theirs}": ratio.as_dict(), "rounds": ratio.rounds, "clock": "time.process_time"}


def report(label: str, figures: dict, ours: str, theirs: str, note: str, timed: bool) -> None:
    """One row of the summary table, printed; when timed, the table is written after every comparison (so an
    interrupted session keeps its rows)."""
    r = figures[f"{ours}_over_{theirs}"]
    load = "/".join(f"{x:.1f}" for x in figures["load_1min"] if x is not None) or "?"
    _ROWS.append(f"| {label} | {ours} / {theirs} | {figures[f'{ours}_cpu_s_median']:.2f} | "
                 f"{figures[f'{theirs}_cpu_s_median']:.2f} | {r['median']:.3f} | {r['q1']:.3f}-{r['q3']:.3f} | "
                 f"{r['min']:.3f}-{r['max']:.3f} | {r['rounds']} | {load} | {note} |")
    table = "\n".join([
        f"Log-likelihood scoring phase, CPU seconds per call ({figures['requests']} requests, {THREADS} thread, "
        f"batch {BATCH_SIZE}; interleaved rounds)", "",
        "| model (prompt) | ratio | ours s | theirs s | ratio median | quartiles | min-max | rounds | load 1 min "
        "before/after | note |", "|---|---|---|---|---|---|---|---|---|---|", *_ROWS])
    if timed:
        write_summary("loglik_summary.md", table)
    else:  # a CI-sized check (timing off): figures of 8 sentences and one round are no record
        print("\n" + _ROWS.pop())


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
    seconds, answers, load = compare(sides, rounds)
    shared, pairs = answers["shared"], answers["pairs"]
    assert [s.logprob for s in shared] == pytest.approx([p.logprob for p in pairs], abs=1e-4)
    figures = ratio_figures(seconds, "shared", "pairs")
    figures.update(requests=len(contexts), threads=THREADS, batch_size=BATCH_SIZE, model=backend.info["model"],
                   load_1min=load, shared_tokens=sum(s.processed_tokens for s in shared),
                   pairs_tokens=sum(p.processed_tokens for p in pairs))
    benchmark.extra_info.update(figures)
    with torch.inference_mode():  # pytest-benchmark's own wall-clock figure: one more call of the shared path
        benchmark.pedantic(sides["shared"], rounds=1, iterations=1)
    report("embedded (compact)", figures, "shared", "pairs",
           f"tokens run {figures['shared_tokens']} / {figures['pairs_tokens']}", not benchmark.disabled)


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
    seconds, answers, load = compare(sides, rounds)
    ours, theirs = answers["isabench"], answers["lm_eval"]
    gap = max(abs(s.logprob - lp) for s, (lp, _) in zip(ours, theirs))
    assert gap < 1e-3 and [s.is_greedy for s in ours] == [g for _, g in theirs]
    figures = ratio_figures(seconds, "isabench", "lm_eval")
    figures.update(requests=len(contexts), threads=THREADS, batch_size=BATCH_SIZE, model=backend.info["model"],
                   prompt_format=fmt, lm_eval_version=version("lm_eval"), max_logprob_gap=gap, load_1min=load)
    benchmark.extra_info.update(figures)
    benchmark.pedantic(sides["isabench"], rounds=1, iterations=1)
    report(f"{model or 'embedded'} ({fmt})", figures, "isabench", "lm_eval",
           f"max gap {gap:.1e} nats; lm-eval {figures['lm_eval_version']}", not benchmark.disabled)


def test_ratio_figures_and_their_row(capsys):
    """Made-up rounds: each side's median CPU seconds and the per-round ratio, as the summary row prints them."""
    figures = ratio_figures({"ours": [4.0, 1.0, 2.0], "theirs": [2.0, 4.0, 8.0]}, "ours", "theirs")  # 2, 1/4, 1/4
    assert (figures["ours_cpu_s_median"], figures["theirs_cpu_s_median"], figures["rounds"]) == (2.0, 4.0, 3)
    assert figures["ours_over_theirs"] == pytest.approx({"median": 0.25, "q1": 0.25, "q3": 1.125, "min": 0.25,
                                                         "max": 2.0, "rounds": 3})
    report("made up", figures | {"requests": 6, "load_1min": [1.25, None]}, "ours", "theirs", "a note", timed=False)
    assert capsys.readouterr().out.strip() == ("| made up | ours / theirs | 2.00 | 4.00 | 0.250 | 0.250-1.125 | "
                                               "0.250-2.000 | 3 | 1.2 | a note |")
    assert not _ROWS  # an untimed row is printed, never kept for the table
