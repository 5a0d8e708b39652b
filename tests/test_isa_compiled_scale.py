"""The compiled tier on large programs (issue 23): functions of at most SEGMENT instructions, LLVM's loop strength
reduction only where few loops can chain, a size budget that is refused cleanly, and results identical to the other
tiers across segment boundaries, fuel refills and threads."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.cli import main
from isa import compiled, llvm_build, llvm_modules, slices, spec
from isa.asm import assemble
from isa.machine import run, run_batch
from isa.program import load_program
from tests.test_isa_diff import EXTREMES, assert_same


@pytest.fixture(scope="module", autouse=True)
def private_compile_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(compiled.CACHE_ENV, str(tmp_path_factory.mktemp("isa-cache")))
        yield


def blocks(n: int) -> str:
    """Issue 23's program: n blocks `addi r1, r1, 1` / `beqi r1, 7k, Lk` (never taken), then halt."""
    return "".join(f"L{k}: addi r1, r1, 1\n    beqi r1, {7 * k}, L{k}\n" for k in range(n)) + "halt\n"


def test_a_large_branchy_program_runs_on_the_compiled_tier_as_on_the_jit(tmp_path, capsys):
    path = tmp_path / "blocks.s"
    path.write_text(blocks(600))  # 1,201 instructions: three segments and the driver, each its own module
    assert len(list(llvm_modules.modules(assemble(path.read_text())))) == 4
    outputs = []
    for tier in ("compiled", "jit"):
        assert main(["asm", str(path), "--run", "--tier", tier]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] == "status HALTED at pc 1200 (line 1201)\nsteps 1201\nr1 = 600\n"


def test_many_loops_are_compiled_without_loop_strength_reduction(monkeypatch):
    """LSR's cost grows ~k^2.4 with k loops in a row (issue 23: 200 took 100 s); LLVM's switch for it is global, so
    it is set for the build and set back."""
    llvm = llvm_build.builder()
    calls = []
    monkeypatch.setattr(llvm.llvm, "set_option", lambda name, option: calls.append(option))
    monkeypatch.setenv(compiled.CACHE_ENV, "")
    compiled._MEMORY.clear()
    compiled.compile_program(assemble(blocks(llvm_build.LSR_TARGETS)))
    assert calls == []
    compiled.compile_program(assemble(blocks(llvm_build.LSR_TARGETS + 1)))
    assert calls == ["-disable-lsr=true", "-disable-lsr=false"]


def test_a_program_over_the_size_budget_is_refused_with_its_size_and_the_limit(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(compiled, "MAX_INSTRUCTIONS", 100)
    program = assemble(blocks(60))
    with pytest.raises(compiled.ProgramTooLarge, match=r"121 instructions, over its limit of 100") as refused:
        run(program, tier="compiled")
    assert isinstance(refused.value, ValueError) and refused.value.instructions == 121
    path = tmp_path / "big.s"
    path.write_text(blocks(60))
    assert main(["asm", str(path), "--run", "--tier", "compiled"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("isabench asm: compiled tier: the program has 121 instructions, over its limit of 100")
    assert main(["asm", str(path), "--run", "--tier", "jit"]) == 0


def test_a_segmented_program_is_cached_on_disk_as_several_objects(tmp_path, monkeypatch):
    monkeypatch.setenv(compiled.CACHE_ENV, str(tmp_path))
    compiled._MEMORY.clear()
    first = compiled.compile_program(assemble(blocks(300)))
    compiled._MEMORY.clear()
    again = compiled.compile_program(assemble(blocks(300)))
    assert (first.origin, again.origin, again.key) == ("built", "disk", first.key)
    assert run(assemble(blocks(300)), tier="compiled").regs[1] == 300


# ---- many branches: the three tiers agree across segments, refills and threads -------------------------------------

CONTROL = [op for op in spec.OPS if op.group == "control" and op.name != "halt"]
OTHER = [spec.BY_NAME[name] for name in ("addi", "subi", "add", "ld", "st", "divi", "li", "halt")]


@st.composite
def branchy_programs(draw, max_len: int = 40):
    """Half control instructions (every branch, jump, call, ret and jr), targets anywhere; small data."""
    n = draw(st.integers(1, max_len))
    code = np.zeros((n, spec.INSTR_WIDTH), np.int64)
    for pc in range(n):
        op = draw(st.sampled_from(CONTROL if draw(st.booleans()) else OTHER))
        words = [op.code]
        for kind in op.operands:
            if kind == "r":
                words.append(draw(st.integers(0, 3)))
            elif kind == "i":
                words.append(draw(st.one_of(st.integers(-3, 9), st.sampled_from(EXTREMES))))
            elif kind == "l":
                words.append(draw(st.integers(0, n - 1)))
            else:
                words += [draw(st.integers(0, 3)), draw(st.integers(-2, 6))]
        code[pc, : len(words)] = words
    return load_program(code, np.array(draw(st.lists(st.integers(-5, 40), max_size=6)), np.int64))


def tiers_agree(program, fuel: int, regs: np.ndarray, mem_size: int) -> None:
    ref = run(program, mem_size, fuel=fuel, regs=regs, tier="ref")
    for tier in ("jit", "compiled"):
        assert_same(run(program, mem_size, fuel=fuel, regs=regs, tier=tier), ref, tier)


@pytest.mark.parametrize("segment, slice_steps", [(3, 1), (7, 20)])
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=branchy_programs(), fuel=st.integers(0, 500), regs=st.lists(st.integers(-3, 40), min_size=16,
                                                                            max_size=16))
def test_many_branch_programs_agree_across_tiers_in_small_segments_and_slices(segment, slice_steps, program, fuel,
                                                                               regs):
    with pytest.MonkeyPatch.context() as mp:  # the cache key holds both: these objects never meet the default ones
        mp.setattr(llvm_modules, "SEGMENT", segment)
        mp.setattr(llvm_modules, "SLICE", slice_steps)
        mp.setattr(slices, "SLICE", slice_steps)
        tiers_agree(program, fuel, np.array(regs, np.int64), len(program.data) + 3)


@pytest.mark.parametrize("tier", ["jit", "compiled"])
@pytest.mark.parametrize("threads", [1, 2])
def test_batches_in_small_slices_and_segments_agree_row_by_row(tier, threads, monkeypatch):
    monkeypatch.setattr(llvm_modules, "SEGMENT", 4)
    monkeypatch.setattr(llvm_modules, "SLICE", 3)
    monkeypatch.setattr(slices, "SLICE", 3 * 7)  # the jit's slice is shared by the rows: 3 steps each
    program = assemble("ld r1, [r0]\nloop: addi r2, r2, 3\nsubi r1, r1, 1\nst r2, [r1 + 1]\nbnei r1, 0, loop\n"
                       "call f\nhalt\nf: addi r3, r2, 1\nret")
    memories = np.zeros((7, 12), np.int64)
    memories[:, 0] = [0, 1, 2, 5, 9, 10, 11]  # the last one stores past its memory: MEM_OOB
    for fuel in (0, 13, 40, 1000):
        batch = run_batch(program, memories, fuel=fuel, tier=tier, threads=threads)
        for i, memory in enumerate(memories):
            assert_same(batch.row(i), run(program, memory=memory, fuel=fuel, tier="ref"), f"row {i} fuel {fuel}")


def test_a_random_program_across_default_segments_agrees_with_the_reference():
    """1,500 instructions, a third of them branches to anywhere and some `jr r1`: CONTINUE between three segment
    functions, JR through every segment's dispatch (r1 wanders, so some targets are out of range: BAD_PC)."""
    rng = np.random.default_rng(23)
    n = 1500
    rows = []
    for _ in range(n):
        target, imm = int(rng.integers(n)), int(rng.integers(40))
        rows.append([("addi", 1, 1, imm % 4 + 1), ("blti", 1, imm, target), ("bgei", 2, imm % 9, target),
                     ("addi", 2, 2, 1), ("li", 2, imm, 0), ("subi", 1, 1, imm % 5), ("jr", 1, 0, 0)][rng.integers(7)])
    code = [[spec.BY_NAME[name].code, a, b, c] for name, a, b, c in rows]
    program = load_program(code)
    assert len(list(llvm_modules.modules(program))) == 4
    for fuel in (0, 777, 9_000):
        tiers_agree(program, fuel, np.zeros(16, np.int64), 4)
