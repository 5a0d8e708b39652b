"""The assembler on one line of many labels, timed (`pytest --benchmark tests/benchmarks/test_bench_asm.py`).

100,000 labels on one line once took minutes (each label re-sliced the line's tokens); the fix made it linear.
pytest-benchmark's statistics time assembling LABELS labels; extra_info gets the time at LABELS over the time at a
quarter of them from ROUNDS interleaved rounds (tests/benchmarks/rounds.py; time.perf_counter): about 4 when linear,
about 16 when quadratic. It is reported, not asserted (a timing figure on a shared machine); what is asserted is that
every label resolves (tests/test_isa_asm.py asserts it too, at 100,000). Plain `pytest` assembles CI_LABELS, untimed.
"""
from __future__ import annotations

from isa import spec
from isa.asm import assemble
from tests.benchmarks.rounds import Contender, interleave, load_1min, per_round_ratio

LABELS, CI_LABELS = 100_000, 2_000
ROUNDS = 5


def source(n: int) -> str:
    return " ".join(f"l{i}:" for i in range(n)) + f" li r1, 1\njmp l{n - 1}\nhalt"


def test_bench_assemble_labels_on_one_line(benchmark):
    n = CI_LABELS if benchmark.disabled else LABELS
    text = source(n)
    program = benchmark.pedantic(assemble, args=(text,), rounds=ROUNDS, warmup_rounds=1)
    assert program.symbols["l0"] == program.symbols[f"l{n - 1}"] == 0
    assert program.code[1].tolist() == [spec.OP_JMP, 0, 0, 0]
    if benchmark.disabled:
        return
    quarter = source(n // 4)
    times = interleave({"all": Contender(lambda: assemble(text)), "quarter": Contender(lambda: assemble(quarter))},
                       ROUNDS)
    benchmark.extra_info.update(labels=n, all_over_quarter=per_round_ratio(times["all"], times["quarter"]).as_dict(),
                                rounds=ROUNDS, clock="time.perf_counter", load_1min=load_1min())
