"""The compiled tier's own machinery: the object cache (memory and disk), compile time, and what it must never trust.
Its semantics are checked with the other tiers (test_isa_diff, test_isa_semantics, test_isa_golden)."""
from __future__ import annotations

import numpy as np
import pytest

from isa import compiled, llvm_modules, spec
from isa.asm import assemble
from isa.machine import run, run_batch
from isa.spec import Status

LOOP = "li r1, 50\nloop: addi r2, r2, 3\nsubi r1, r1, 1\nbnei r1, 0, loop\nhalt"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(compiled.CACHE_ENV, str(tmp_path))
    return tmp_path / "compiled"


def fresh(source: str):
    """A new Program object (nothing cached on it) with the same code."""
    return assemble(source)


def forget_memory():
    compiled._MEMORY.clear()


def test_objects_are_written_then_loaded_from_disk(cache):
    forget_memory()
    first = compiled.compile_program(fresh(LOOP))
    assert first.origin == "built" and first.compile_s > 0
    files = list(cache.glob("*.o"))
    assert [f.stem for f in files] == [first.key]
    forget_memory()
    again = compiled.compile_program(fresh(LOOP))
    assert again.origin == "disk" and again.key == first.key and again.compile_s > 0  # loading is set-up too
    assert run(fresh(LOOP), tier="compiled").regs[2] == 150


def test_memory_cache_and_compile_time_on_results(cache):
    forget_memory()
    program = fresh(LOOP)
    cold = run(program, tier="compiled")
    assert cold.compile_s > 0 and cold.tier == "compiled"
    assert run(program, tier="compiled").compile_s == 0.0  # cached on the Program
    assert run(fresh(LOOP), tier="compiled").compile_s == 0.0  # same code hash: the in-memory table
    batch = run_batch(fresh(LOOP), np.zeros((3, 1), np.int64), tier="compiled")
    assert batch.compile_s == 0.0 and batch.machine_s > 0 and batch.regs[:, 2].tolist() == [150] * 3


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped", "foreign", "empty"])
def test_a_corrupt_or_foreign_cache_file_is_ignored_and_rebuilt(cache, damage):
    forget_memory()
    key = compiled.compile_program(fresh(LOOP)).key
    path = cache / f"{key}.o"
    blob = path.read_bytes()
    other = compiled.compile_program(fresh("li r3, 7\nhalt"))
    damaged = {
        "garbage": b"\x7fELF not really an object",
        "truncated": blob[: len(blob) // 2],
        "flipped": blob[:-10] + bytes(b ^ 0xFF for b in blob[-10:]),
        "foreign": (cache / f"{other.key}.o").read_bytes(),  # a valid file of another program under this name
        "empty": b"",
    }[damage]
    path.write_bytes(damaged)
    forget_memory()
    rebuilt = compiled.compile_program(fresh(LOOP))
    assert rebuilt.origin == "built"
    assert run(fresh(LOOP), tier="compiled").regs[2] == 150
    assert path.read_bytes() != damaged  # rewritten whole


def test_disabled_or_unwritable_cache_never_stops_a_run(tmp_path, monkeypatch):
    monkeypatch.setenv(compiled.CACHE_ENV, "")
    assert compiled.cache_dir() is None
    forget_memory()
    assert run(fresh(LOOP), tier="compiled").regs[2] == 150
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv(compiled.CACHE_ENV, str(blocker))
    forget_memory()
    assert run(fresh(LOOP), tier="compiled").regs[2] == 150


def test_default_cache_dir_is_under_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv(compiled.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert compiled.cache_dir() == tmp_path / "isabench" / "compiled"


def test_the_key_depends_on_the_code(cache):
    a = compiled.compile_program(fresh("li r1, 1\nhalt"))
    b = compiled.compile_program(fresh("li r1, 2\nhalt"))
    assert a.key != b.key
    assert run(fresh("li r1, 2\nhalt"), tier="compiled").regs[1] == 2


def test_indirect_jumps_are_checked_against_every_bad_target():
    program = assemble("jr r7\nhalt\nhalt")
    for target, status in [(1, Status.HALTED), (2, Status.HALTED), (3, Status.BAD_PC), (-1, Status.BAD_PC),
                           (spec.INT64_MIN, Status.BAD_PC), (spec.INT64_MAX, Status.BAD_PC), (1 << 32, Status.BAD_PC)]:
        regs = np.zeros(16, np.int64)
        regs[7] = target
        got = run(program, regs=regs, tier="compiled")
        assert (got.status, got.pc if status == Status.BAD_PC else 1) == (status, 0 if status == Status.BAD_PC else 1)


@pytest.mark.parametrize("r2, r3, status, pc", [
    (spec.INT64_MIN + 2, spec.INT64_MAX, Status.HALTED, 2),  # exact sums 1 and 0: both in range
    (spec.INT64_MIN + 2, spec.INT64_MIN, Status.MEM_OOB, 1),  # exact -2**64 + 1 < 0; the wrapped sum is 1
    (5, 0, Status.MEM_OOB, 0),  # exact 2**63 + 4; the wrapped sum is negative
    (-1, 0, Status.MEM_OOB, 0),  # exact 2**63 - 2: far past memory
])
def test_addresses_are_exact_even_where_the_wrapped_sum_lands_in_memory(r2, r3, status, pc):
    program = assemble(f"ld r1, [r2 + {spec.INT64_MAX}]\nst r1, [r3 - {spec.INT64_MAX}]\nhalt")
    regs = np.zeros(16, np.int64)
    regs[2], regs[3] = r2, r3
    for tier in ("ref", "compiled"):
        got = run(program, 4, regs=regs, tier=tier)
        assert (got.status, got.pc, got.steps) == (status, pc, pc + (status == Status.HALTED)), tier


def test_a_bad_buffer_is_refused_before_native_code_sees_it():
    code = compiled.compile_program(assemble("st r1, [r0 + 3]\nhalt"))
    mem = np.zeros((2, 2), np.int64)
    with pytest.raises(ValueError, match="exceeds its buffer"):
        compiled.execute_batch(code, mem, np.array([2, 5], np.int64), np.zeros((2, 16), np.int64), 10)
    with pytest.raises(ValueError, match="C-contiguous int64"):
        compiled.execute_batch(code, mem[:, ::2], np.array([1, 1], np.int64), np.zeros((2, 16), np.int64), 10)


def test_the_ir_charges_fuel_per_run_and_has_no_signed_wrap_flags():
    [ir] = llvm_modules.modules(assemble(LOOP))  # a small program: one module, one function
    assert " nsw " not in ir and " nuw " not in ir
    assert ir.count("%rem = alloca") == 1 and "E1.short" in ir  # the loop's entry block charges its whole run
    runlen = llvm_modules.run_lengths(assemble(LOOP).code)
    assert runlen == [4, 3, 2, 1, 1, 0]
    # Refill points: the entry and the loop's head; each holds what runs before the next one (the loop, then halt)
    assert llvm_modules.refill_needs(assemble(LOOP).code.tolist(), runlen, {0}) == {0: 5, 1: 4}
    assert ir.count("call coldcc i64 @isa_refill(") == 2  # only at those two


def test_a_one_off_program_neither_reads_nor_fills_the_disk_cache(cache):
    """keep=False (a program that is itself an instance): built in full each process, never written to disk, and
    not taken from a file an earlier run left; a repeat in the process still finds it in memory."""
    forget_memory()
    one_off = run(fresh(LOOP), tier="compiled", keep=False)
    assert one_off.regs[2] == 150 and one_off.compile_s > 0
    assert not list(cache.glob("*.o"))
    assert run(fresh(LOOP), tier="compiled", keep=False).compile_s == 0.0  # the in-memory table
    forget_memory()
    kept = compiled.compile_program(fresh(LOOP))  # an ordinary run leaves its file
    assert kept.origin == "built" and [f.stem for f in cache.glob("*.o")] == [kept.key]
    forget_memory()
    assert compiled.compile_program(fresh(LOOP), disk=False).origin == "built"  # the file is not read either
    forget_memory()
    assert compiled.compile_program(fresh(LOOP)).origin == "disk"


def test_emulate_and_the_hybrid_leave_the_disk_cache_empty_and_count_their_compiling(cache):
    from bench import hybrid
    from bench.tasks import get_task

    forget_memory()
    texts = [f"li r1, {k}\nloop: addi r1, r1, 2\nbnei r1, {k + 20}, loop\nhalt" for k in range(3)]
    batch = get_task("emulate").solve_isa_batch(texts, "compiled")
    assert batch.values == [str(k + 20) for k in range(3)] and batch.compile_s > 0
    assert get_task("emulate").solve_isa("li r1, 5; addi r1, r1, 4; halt", "compiled").answer == "9"
    outcome = hybrid.run_program("li r1, 40\naddi r1, r1, 2\nhalt", "compiled", "42")
    assert (outcome.answer, outcome.status) == ("42", "HALTED") and outcome.compile_s > 0
    assert not cache.exists() or not list(cache.iterdir())
