"""Differential tests: random programs run on the JIT, on the compiled tier and on the reference must agree on
everything observable.

Random programs mostly loop until their (small) fuel runs out, hit every trap and touch the int64 extremes, which is
where the tiers could differ (wrap-around, shifts, truncating division, address overflow, fuel accounting; for the
compiled tier also the fuel-short fallback, taken whenever the fuel ends inside a straight-line run).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isa import spec
from isa.machine import TIERS, run, run_batch
from isa.program import ProgramError, load_program

FAST_TIERS = ("jit", "compiled")  # each checked against "ref"


@pytest.fixture(scope="module", autouse=True)
def private_compile_cache(tmp_path_factory):
    """Thousands of random programs are compiled here: keep their objects out of the user's cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ISABENCH_CACHE_DIR", str(tmp_path_factory.mktemp("isa-cache")))
        yield

EXTREMES = [0, 1, -1, 2, -2, 63, 64, 65, -64, spec.INT64_MAX, spec.INT64_MIN, spec.INT64_MAX - 1, spec.INT64_MIN + 1,
            1 << 32, -(1 << 32)]
values = st.one_of(st.sampled_from(EXTREMES), st.integers(-8, 16), st.integers(spec.INT64_MIN, spec.INT64_MAX))
registers = st.integers(0, spec.NUM_REGS - 1)


@st.composite
def programs(draw, max_len: int = 12):
    """A valid random program: random opcodes, every field in range, unused fields zero."""
    n = draw(st.integers(1, max_len))
    code = np.zeros((n, spec.INSTR_WIDTH), np.int64)
    for pc in range(n):
        op = spec.BY_CODE[draw(st.integers(0, spec.NUM_OPS - 1))]
        words, slot = [op.code], 1
        for kind in op.operands:
            if kind == "r":
                words.append(draw(registers))
            elif kind == "i":
                words.append(draw(values))
            elif kind == "l":
                words.append(draw(st.integers(0, n - 1)))
            else:
                words += [draw(registers), draw(st.one_of(st.integers(-3, 10), st.sampled_from(EXTREMES)))]
        code[pc, : len(words)] = words
    data = draw(st.lists(values, max_size=6))
    return load_program(code, np.array(data, np.int64))


@st.composite
def machines(draw):
    """(program, memory size, fuel, initial registers)."""
    program = draw(programs())
    mem_size = draw(st.integers(len(program.data), len(program.data) + 6))
    fuel = draw(st.one_of(st.integers(0, 60), st.integers(0, 400)))
    regs = np.array(draw(st.lists(values, min_size=spec.NUM_REGS, max_size=spec.NUM_REGS)), np.int64)
    return program, mem_size, fuel, regs


def assert_same(a, b, context=""):
    assert (a.status, a.pc, a.steps) == (b.status, b.pc, b.steps), context
    np.testing.assert_array_equal(a.regs, b.regs, err_msg=context)
    np.testing.assert_array_equal(a.mem, b.mem, err_msg=context)


def check_tiers_agree(machine) -> None:
    program, mem_size, fuel, regs = machine
    ref = run(program, mem_size, fuel=fuel, regs=regs, tier="ref")
    for tier in FAST_TIERS:
        got = run(program, mem_size, fuel=fuel, regs=regs, tier=tier)
        try:
            assert_same(got, ref, tier)
        except AssertionError:
            from isa.disasm import disassemble
            print(disassemble(program), f"tier={tier} mem_size={mem_size} fuel={fuel} regs={regs.tolist()}")
            raise
    assert ref.steps <= fuel


SWEEP_EXAMPLES = 20_000  # the whole sweep: `pytest --benchmark` (3.5 CPU-minutes, 6 minutes at load 4)
CI_EXAMPLES = 1_000  # its slice in every plain `pytest` (about 15 CPU-seconds), new random programs each run


@pytest.mark.slow
def test_fast_tiers_match_reference(full_sweep):
    """Random machines (program, memory size, fuel, registers) on every fast tier against the reference: plain
    `pytest` checks a slice of CI_EXAMPLES of them (different ones each run: hypothesis draws afresh), `pytest
    --benchmark` the whole sweep of SWEEP_EXAMPLES."""

    @settings(max_examples=SWEEP_EXAMPLES if full_sweep else CI_EXAMPLES, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(machines())
    def sweep(machine):
        check_tiers_agree(machine)

    sweep()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.lists(st.lists(values, min_size=0, max_size=8), min_size=1, max_size=5),
       st.integers(0, 300))
def test_batch_rows_equal_single_runs(program, memories, fuel):
    memories = [program.initial_memory(len(program.data)).tolist() + m for m in memories]  # ragged on purpose
    singles = [run(program, memory=np.array(memory, np.int64), fuel=fuel, tier="ref") for memory in memories]
    for tier in TIERS:
        batch = run_batch(program, memories, fuel=fuel, tier=tier)
        assert batch.tier == tier and batch.threads == 1
        for i, single in enumerate(singles):
            assert_same(batch.row(i), single, f"{tier} row {i}")


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("threads", [1, 2])
def test_batch_on_threads_equals_single_runs(tier, threads):
    """Rows split over threads (and the fuel-short fallback on some of them) give each row's own result."""
    program = load_program([[spec.OP_LD, 1, 0, 0], [spec.OP_ADDI, 2, 2, 3], [spec.OP_SUBI, 1, 1, 1],
                            [spec.OP_ST, 2, 1, 1], [spec.OP_BNEI, 1, 0, 1], [spec.OP_HALT, 0, 0, 0]])
    memories = np.zeros((9, 40), np.int64)
    memories[:, 0] = np.arange(9) * 4  # row 8 stores past its memory: MEM_OOB
    fuel = 70  # rows 6 and 7 run out inside a loop body
    batch = run_batch(program, memories, fuel=fuel, tier=tier, threads=threads)
    assert batch.threads == (1 if tier == "ref" else threads) and batch.machine_s > 0  # ref runs rows one by one
    statuses = set()
    for i in range(len(memories)):
        single = run(program, memory=memories[i], fuel=fuel, tier="ref")
        assert_same(batch.row(i), single, f"row {i}")
        statuses.add(single.status)
    assert statuses == {spec.Status.HALTED, spec.Status.OUT_OF_FUEL, spec.Status.MEM_OOB}


@pytest.mark.parametrize("tier", TIERS)
def test_batch_takes_a_2d_array_and_per_row_registers(tier):
    program = load_program([[spec.OP_ADD, 0, 1, 2], [spec.OP_ST, 0, 3, 0], [spec.OP_HALT, 0, 0, 0]])
    regs = np.zeros((3, 16), np.int64)
    regs[:, 1] = [1, spec.INT64_MAX, -5]
    regs[:, 2] = [2, 1, 5]
    regs[:, 3] = [0, 1, 2]
    out = run_batch(program, np.zeros((3, 2), np.int64), regs=regs, tier=tier)
    assert out.status.tolist() == [spec.Status.HALTED, spec.Status.HALTED, spec.Status.MEM_OOB]
    assert out.regs[:, 0].tolist() == [3, spec.INT64_MIN, 0]
    assert out.mem.tolist() == [[3, 0], [0, spec.INT64_MIN], [0, 0]]
    assert out.steps.tolist() == [3, 3, 1]


# ---- invalid programs are rejected at load time ---------------------------------------------------------------------

@st.composite
def broken_programs(draw):
    """A valid program with one field broken: (code, the instruction index, a word the error must mention)."""
    program = draw(programs())
    code = program.code.copy()
    n = len(code)
    pc = draw(st.integers(0, n - 1))
    op = spec.BY_CODE[int(code[pc, 0])]
    slots = {}
    slot = 1
    for kind in op.operands:
        slots.setdefault(kind, []).append(slot)
        slot += spec.OPERAND_FIELDS[kind]
    choices = ["opcode"] + [k for k in ("r", "m", "l") if k in slots] + (["unused"] if slot < 4 else [])
    what = draw(st.sampled_from(choices))
    if what == "opcode":
        code[pc, 0] = draw(st.one_of(st.integers(spec.NUM_OPS, 1000), st.integers(spec.INT64_MIN, -1)))
        return code, pc, "opcode"
    if what == "unused":
        code[pc, draw(st.integers(slot, 3))] = draw(st.integers(1, 100))
        return code, pc, "unused"
    field = draw(st.sampled_from(slots[what]))
    if what == "l":
        code[pc, field] = draw(st.one_of(st.integers(n, n + 100), st.integers(spec.INT64_MIN, -1)))
        return code, pc, "target"
    code[pc, field] = draw(st.one_of(st.integers(16, spec.INT64_MAX), st.integers(spec.INT64_MIN, -1)))
    return code, pc, "register"


@settings(max_examples=300, deadline=None)
@given(broken_programs())
def test_invalid_fields_are_rejected_at_load(broken):
    code, pc, word = broken
    with pytest.raises(ProgramError, match=rf"instruction {pc}\b.*{word}"):
        load_program(code)


@pytest.mark.parametrize("code, message", [
    (np.zeros((2, 3), np.int64), "shape"),
    (np.zeros((2, 4), np.float64), "integers"),
    (np.full((1, 4), 2**63, np.uint64), "int64"),
])
def test_malformed_arrays_are_rejected(code, message):
    with pytest.raises(ProgramError, match=message):
        load_program(code)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_len=20))
def test_disassembly_round_trips_random_programs(program):
    from isa.asm import assemble
    from isa.disasm import disassemble

    again = assemble(disassemble(program))
    assert again == program
    np.testing.assert_array_equal(again.code, program.code)
    np.testing.assert_array_equal(again.data, program.data)
