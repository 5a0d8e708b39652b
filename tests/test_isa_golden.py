"""Golden programs (tests/isa_cases/*.s): each states its expected outcome in `; expect:` lines, checked on every
tier, and survives a disassemble/assemble round trip."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from isa.asm import assemble, assemble_file
from isa.disasm import disassemble
from isa.machine import TIERS, run
from isa.spec import Status

CASES = sorted((Path(__file__).parent / "isa_cases").glob("*.s"))
EXPECT = re.compile(r";\s*expect:\s*(.+?)\s*$")
RUN = re.compile(r";\s*run:\s*(.+?)\s*$")


def expectations(source: str) -> tuple[dict, list[tuple[str, int, int]]]:
    """(run keyword arguments, [(kind, index, value)]) from `; run:` and `; expect:` lines."""
    params, checks = {}, []
    for line in source.splitlines():
        if m := RUN.search(line):
            for item in m.group(1).split():
                key, value = item.split("=")
                params[{"mem": "mem_size", "fuel": "fuel"}[key]] = int(value)
        if m := EXPECT.search(line):
            text = m.group(1)
            if m2 := re.fullmatch(r"status (\w+)", text):
                checks.append(("status", 0, Status[m2.group(1)]))
            elif m2 := re.fullmatch(r"(steps|pc) (-?\d+)", text):
                checks.append((m2.group(1), 0, int(m2.group(2))))
            elif m2 := re.fullmatch(r"r(\d+) = (-?\d+)", text):
                checks.append(("reg", int(m2.group(1)), int(m2.group(2))))
            elif m2 := re.fullmatch(r"mem\[(\d+)\] = (-?\d+)", text):
                checks.append(("mem", int(m2.group(1)), int(m2.group(2))))
            else:
                raise ValueError(f"unreadable expectation {text!r}")
    return params, checks


def check(result, checks) -> None:
    for kind, index, value in checks:
        got = {"status": lambda: result.status, "steps": lambda: result.steps, "pc": lambda: result.pc,
               "reg": lambda: int(result.regs[index]), "mem": lambda: int(result.mem[index])}[kind]()
        assert got == value, f"{kind} {index}: got {got}, expected {value} ({result.trap_message or 'halted'})"


def test_cases_exist_and_state_expectations():
    assert len(CASES) >= 8
    for path in CASES:
        assert expectations(path.read_text())[1], f"{path.name} has no '; expect:' line"


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden(path, tier):
    params, checks = expectations(path.read_text())
    check(run(assemble_file(path), tier=tier, **params), checks)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_disassembly_round_trips(path):
    program = assemble_file(path)
    again = assemble(disassemble(program), "<disassembly>")
    assert again == program
    np.testing.assert_array_equal(again.code, program.code)
    np.testing.assert_array_equal(again.data, program.data)
    params, checks = expectations(path.read_text())
    check(run(again, **params), checks)


def test_trap_message_names_the_trap_the_pc_and_the_line():
    result = run(assemble_file(CASES[[p.stem for p in CASES].index("trap_div_zero")]))
    assert result.trap_message == "DIV_ZERO at pc 2 (line 7)"
    assert not result.ok


LIBRARY = sorted((Path(__file__).parents[1] / "isa" / "programs").glob("*.s"))


@pytest.mark.parametrize("path", LIBRARY, ids=[p.stem for p in LIBRARY])
def test_library_programs_round_trip(path):
    program = assemble_file(path)
    assert assemble(disassemble(program), "<disassembly>") == program
