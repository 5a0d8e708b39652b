"""The edge cases of the semantics, stated one by one and checked on every tier."""
from __future__ import annotations

import numpy as np
import pytest

from isa import spec
from isa.asm import assemble
from isa.machine import TIERS, run
from isa.program import load_program
from isa.spec import INT64_MAX, INT64_MIN, Status

BACKENDS = list(TIERS)


def op3(name: str, x: int, y: int, backend: str) -> RuntimeError | int:
    """Result of `name r0, r1, r2` with r1 = x, r2 = y (immediate forms take y as the immediate)."""
    op = spec.BY_NAME[name]
    third = y if op.operands == "rri" else 2
    program = load_program([[op.code, 0, 1, third], [spec.OP_HALT, 0, 0, 0]])
    regs = np.zeros(16, np.int64)
    regs[1], regs[2] = x, y
    result = run(program, regs=regs, backend=backend)
    return int(result.regs[0]) if result.ok else result.status


CASES = [
    ("add", INT64_MAX, 1, INT64_MIN), ("addi", INT64_MAX, 1, INT64_MIN), ("sub", INT64_MIN, 1, INT64_MAX),
    ("subi", INT64_MIN, 1, INT64_MAX), ("mul", INT64_MAX, 2, -2), ("muli", INT64_MIN, -1, INT64_MIN),
    ("mul", 1 << 32, 1 << 32, 0), ("add", INT64_MIN, INT64_MIN, 0),
    ("div", INT64_MIN, -1, INT64_MIN), ("mod", INT64_MIN, -1, 0), ("divi", INT64_MIN, -1, INT64_MIN),
    ("modi", INT64_MIN, -1, 0), ("div", 7, 2, 3), ("div", -7, 2, -3), ("div", 7, -2, -3), ("div", -7, -2, 3),
    ("mod", 7, 2, 1), ("mod", -7, 2, -1), ("mod", 7, -2, 1), ("mod", -7, -2, -1), ("divi", -1, 2, 0),
    ("div", INT64_MIN, 1, INT64_MIN), ("div", INT64_MIN, INT64_MIN, 1), ("mod", INT64_MAX, INT64_MIN, INT64_MAX),
    ("div", 5, 0, Status.DIV_ZERO), ("mod", 5, 0, Status.DIV_ZERO), ("divi", 5, 0, Status.DIV_ZERO),
    ("modi", 0, 0, Status.DIV_ZERO),
    ("shl", 1, 63, INT64_MIN), ("shl", 1, 64, 0), ("shl", 1, -1, 0), ("shl", 3, 62, INT64_MIN + (1 << 62)),
    ("shli", 1, 64, 0), ("shli", -1, 65, 0), ("shl", 5, 0, 5),
    ("shr", -1, 63, 1), ("shr", -1, 64, 0), ("shr", -1, -1, 0), ("shri", INT64_MIN, 1, 1 << 62), ("shr", -2, 0, -2),
    ("sar", -1, 63, -1), ("sar", INT64_MIN, 64, -1), ("sar", INT64_MAX, 64, 0), ("sar", -8, -1, -1),
    ("sari", -8, 1, -4), ("sari", INT64_MIN, 63, -1), ("sari", 8, 1000, 0),
    ("slt", -1, 0, 1), ("slt", INT64_MAX, INT64_MIN, 0), ("slti", INT64_MIN, INT64_MAX, 1),
    ("and", -1, 12, 12), ("or", INT64_MIN, 1, INT64_MIN + 1), ("xor", -1, INT64_MAX, INT64_MIN),
    ("andi", -1, -16, -16), ("ori", 0, -1, -1), ("xori", 5, 5, 0),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name, x, y, expected", CASES, ids=[f"{c[0]}({c[1]},{c[2]})" for c in CASES])
def test_arithmetic_edge(name, x, y, expected, backend):
    assert op3(name, x, y, backend) == expected


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("base, off, ok", [
    (0, 3, True), (3, 0, True), (4, 0, False), (-1, 1, True), (1, -2, False), (INT64_MIN, INT64_MIN, False),
    (INT64_MAX, INT64_MAX, False), (INT64_MAX, INT64_MIN + 1, True), (-1, INT64_MIN, False), (INT64_MIN, 0, False),
])
def test_addresses_are_exact_sums(base, off, ok, backend):
    program = load_program([[spec.OP_ST, 2, 1, off], [spec.OP_LD, 3, 1, off], [spec.OP_HALT, 0, 0, 0]])
    regs = np.zeros(16, np.int64)
    regs[1], regs[2] = base, 99
    result = run(program, 4, regs=regs, backend=backend)
    if ok:
        assert result.ok and result.regs[3] == 99 and result.mem[base + off] == 99
    else:
        assert (result.status, result.pc, result.steps) == (Status.MEM_OOB, 0, 0)
        assert not result.mem.any() and result.regs[3] == 0  # the trapping store changed nothing


@pytest.mark.parametrize("backend", BACKENDS)
def test_out_of_fuel_is_exact_at_every_budget(backend):
    # Blocks of several lengths, a call and a trap at the end: every fuel value must stop at the same pc and steps
    # as the reference, including budgets that run out in the middle of a block.
    program = assemble("""
        li   r1, 3
loop:   addi r2, r2, 1
        muli r3, r2, 3
        call f
        addi r1, r1, -1
        bnei r1, 0, loop
        divi r4, r1, 0
f:      add  r5, r5, r3
        ret
    """)
    full = run(program, backend="ref")
    assert full.status == Status.DIV_ZERO
    for fuel in range(full.steps + 2):
        expected = run(program, fuel=fuel, backend="ref")
        got = run(program, fuel=fuel, backend=backend)
        assert (got.status, got.pc, got.steps) == (expected.status, expected.pc, expected.steps), fuel
        np.testing.assert_array_equal(got.regs, expected.regs)
        if fuel < full.steps:
            assert (got.status, got.steps) == (Status.OUT_OF_FUEL, fuel)


@pytest.mark.parametrize("backend", BACKENDS)
def test_fall_off_and_bad_jumps(backend):
    assert (lambda r: (r.status, r.pc, r.steps))(run(load_program(np.zeros((0, 4))), backend=backend)) == (Status.BAD_PC, 0, 0)
    fall = run(assemble("li r1, 1"), fuel=1, backend=backend)
    assert (fall.status, fall.pc, fall.steps) == (Status.BAD_PC, 1, 1)  # no instruction at 1: not a fuel stop
    for target in (-1, 2, INT64_MIN, INT64_MAX):
        regs = np.zeros(16, np.int64)
        regs[7] = target
        r = run(assemble("jr r7\nhalt"), regs=regs, backend=backend)
        assert (r.status, r.pc, r.steps) == (Status.BAD_PC, 0, 0)
    ok = run(assemble("li r7, 2\njr r7\nhalt"), backend=backend)
    assert (ok.status, ok.pc, ok.steps) == (Status.HALTED, 2, 3)


@pytest.mark.parametrize("backend", BACKENDS)
def test_call_writes_lr_and_halt_counts(backend):
    r = run(assemble("call f\nhalt\nf: ret"), backend=backend)
    assert (r.status, r.pc, r.steps, int(r.regs[15])) == (Status.HALTED, 1, 3, 1)


def test_run_never_touches_the_callers_arrays():
    program = assemble("st r1, [r0]\nli r1, 5\nhalt")
    memory = np.array([7, 8], np.int64)
    regs = np.arange(16, dtype=np.int64)
    for backend in BACKENDS:
        result = run(program, memory=memory, regs=regs, backend=backend)
        assert result.mem.tolist() == [1, 8] and result.regs[1] == 5
    assert memory.tolist() == [7, 8] and regs[1] == 1


def test_memory_defaults_and_errors():
    program = assemble(".data\n.word 1, 2\n.text\nhalt")
    assert run(program).mem.tolist() == [1, 2]
    assert run(program, 4).mem.tolist() == [1, 2, 0, 0]
    with pytest.raises(ValueError, match="smaller than the program's data image"):
        run(program, 1)
    with pytest.raises(ValueError, match="backend"):
        run(program, backend="gpu")
    with pytest.raises(ValueError, match="unknown tier 'gpu'; expected one of 'ref', 'jit', 'compiled'"):
        run(program, tier="gpu")
    with pytest.raises(ValueError, match="disagree"):
        run(program, tier="ref", backend="jit")
    assert run(program, backend="ref").tier == "ref" and run(program).tier == "jit"
    with pytest.raises(ValueError, match="16 entries"):
        run(program, regs=[1, 2])
    with pytest.raises(ValueError, match="fuel"):
        run(program, fuel=-1)
    with pytest.raises(ValueError, match="memory must be a 1-D"):
        run(program, memory=np.zeros((2, 2), np.int64))
    with pytest.raises(TypeError, match="Program"):
        run(np.zeros((1, 4), np.int64))


def test_a_loaded_program_cannot_be_changed():
    program = assemble("li r1, 1\nhalt")
    with pytest.raises(ValueError):
        program.code[0, 0] = 99  # read-only array
    with pytest.raises(AttributeError):
        program.code = np.zeros((1, 4), np.int64)  # frozen: code could otherwise bypass validation
    for array in (program.code, program.data):
        with pytest.raises(ValueError):
            array.flags.writeable = True  # views of immutable bytes: numpy refuses to make them writable again
    object.__setattr__(program, "code", np.array([[99, 0, 0, 0]]))  # even forced past the frozen dataclass ...
    for tier in TIERS:  # ... every tier runs the validated words
        result = run(program, tier=tier)
        assert (result.status, result.regs[1], result.steps) == (Status.HALTED, 1, 2)
    with pytest.raises(ValueError, match="mem_size must be >= 0"):
        run(program, -1)
