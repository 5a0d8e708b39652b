"""Sentiment on the register machine, timed (run with `pytest --benchmark tests/benchmarks/test_bench_sentiment.py`).

For each weight table, the 1,986 vendored sentences in one corpus run on the jit tier, one thread: pytest-benchmark's
statistics time the machine alone (isa.machine.run_laid on a fresh copy of the laid memory, made in pedantic's
untimed setup). extra_info gets instructions per sentence and, from ROUNDS interleaved rounds (tests/benchmarks/
rounds.py; one clock, time.perf_counter, wall), the medians of: the machine's time per sentence and per
instruction, the time to lay the memory, and what copying the table alone into one batch row would cost, with the
copy ÷ machine ratio per round (median and quartiles), which is why sentiment.s takes a whole corpus in one run.
Asserted: every label equals the plain-Python twin's. Plain `pytest` checks that on CI_SENTENCES sentences, untimed.
"""
from __future__ import annotations

import numpy as np
import pytest

from bench.tasks.sentiment import table
from bench.tasks.sentiment_data import vendored
from isa import sentiment as S
from isa.machine import run_laid
from tests.benchmarks.rounds import Contender, interleave, load_1min, per_round_ratio, spread

ROUNDS = 7
COPY_ROWS = 200  # the table copied into this many batch rows, per round
CI_SENTENCES = 60


def corpus_figures(times: dict[str, list[float]], n: int, steps: int, table_words: int) -> dict:
    """The rounds' figures for a corpus of n sentences run in `steps` instructions: medians per sentence, per
    instruction and per copied row, and the table copy over the machine's time per round."""
    median = lambda key, per: spread([t / per for t in times[key]]).median  # noqa: E731
    return {
        "sentences": n, "steps": steps, "steps_per_sentence": steps / n,
        "machine_us_per_sentence": median("machine", n) * 1e6, "ns_per_instr": median("machine", steps) * 1e9,
        "lay_us_per_sentence": median("lay", n) * 1e6, "table_words": table_words,
        "table_copy_us_per_row": median("copy", COPY_ROWS) * 1e6,
        # per round: one row's table copy over one sentence's machine time
        "table_copy_over_machine": per_round_ratio(times["copy"], times["machine"], n / COPY_ROWS).as_dict(),
        "rounds": ROUNDS, "clock": "time.perf_counter", "threads": 1,
    }


def test_corpus_figures_per_sentence_instruction_and_row():
    """Made-up rounds: 4 sentences in 2,000 instructions, COPY_ROWS rows copied."""
    times = {"machine": [4e-6, 8e-6, 6e-6], "lay": [2e-6, 2e-6, 1e-6],
             "copy": [c * COPY_ROWS for c in (1e-6, 1e-6, 3e-6)]}
    f = corpus_figures(times, 4, 2000, 99)
    assert (f["steps_per_sentence"], f["table_words"]) == (500.0, 99)
    assert (f["machine_us_per_sentence"], f["ns_per_instr"]) == pytest.approx((1.5, 3.0))
    assert (f["lay_us_per_sentence"], f["table_copy_us_per_row"]) == pytest.approx((0.5, 1.0))
    # per round, one row's copy (1, 1, 3 µs) over one sentence's machine time (1, 2, 1.5 µs)
    assert f["table_copy_over_machine"] == pytest.approx({"median": 1.0, "q1": 0.75, "q3": 1.5, "min": 0.5,
                                                          "max": 2.0, "rounds": 3})


@pytest.mark.parametrize("name", ["lexicon", "counted"])
def test_corpus_run(benchmark, name):
    tab = table(name)
    texts = [r.text for r in vendored()][: CI_SENTENCES if benchmark.disabled else None]
    n = len(texts)
    mem, records, fuel = S.lay(texts, tab)
    sizes = np.array([mem.size], np.int64)
    machine = Contender(lambda row: run_laid(S.program(), row, sizes, fuel=fuel, tier="jit", threads=1),
                        lambda: (mem.reshape(1, -1).copy(),))
    benchmark.group = "sentiment corpus run"
    out = benchmark.pedantic(machine.call, setup=lambda: (machine.setup(), {}), rounds=ROUNDS, warmup_rounds=1)
    assert out.ok.all()
    labels = out.mem[0, records : records + S.RECORD * n].reshape(n, S.RECORD)[:, 3].tolist()
    assert labels == [S.twin(t, tab)[1] for t in texts]
    if benchmark.disabled:
        return
    steps = int(out.steps[0])
    rows = np.zeros((COPY_ROWS, tab.image.size), np.int64)
    load = load_1min()
    times = interleave({"machine": machine, "lay": Contender(lambda: S.lay(texts, tab)),
                        "copy": Contender(lambda: rows.__setitem__(slice(None), tab.image))}, ROUNDS)
    figures = corpus_figures(times, n, steps, int(tab.image.size)) | {"load_1min": [load, load_1min()]}
    benchmark.extra_info.update(figures)
    print(f"\n{name}: " + ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items()))
