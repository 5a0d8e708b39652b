"""`isabench asm` and the generated ISA reference."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import main
from isa import spec
from isa.asm import assemble

CASES = Path(__file__).parent / "isa_cases"


def test_isa_md_is_generated_from_spec():
    committed = (Path(spec.__file__).with_name("ISA.md")).read_text()
    assert committed == spec.render_reference(), "isa/ISA.md is stale: run `python -m isa.spec`"
    for op in spec.OPS:
        assert f"| {op.code} | `{op.name}" in committed
    for status in spec.Status:
        assert f"`{status.name}`" in committed


def test_disassembly_is_printed_and_reassembles(capsys):
    assert main(["asm", str(CASES / "sum_loop.s")]) == 0
    out = capsys.readouterr().out
    assert "bnei r1, 0, L2" in out
    assert assemble(out) == assemble((CASES / "sum_loop.s").read_text())


def test_run_prints_status_steps_and_nonzero_registers(capsys):
    assert main(["asm", str(CASES / "sum_loop.s"), "--run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["status HALTED at pc 5 (line 11)", "steps 303", "r2 = 5050"]


def test_trap_exits_1_and_names_trap_and_pc(capsys):
    assert main(["asm", str(CASES / "trap_div_zero.s"), "--run", "--backend", "ref"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("status DIV_ZERO at pc 2 (line 7)\nsteps 2\nr1 = 5\n")


def test_fuel_and_mem_options(capsys):
    assert main(["asm", str(CASES / "sum_loop.s"), "--run", "--fuel", "10"]) == 1
    assert capsys.readouterr().out.startswith("status OUT_OF_FUEL at pc 4 (line 10)\nsteps 10\n")
    assert main(["asm", str(CASES / "data_and_calls.s"), "--run"]) == 1  # needs 32 words; the image has 10
    assert "MEM_OOB" in capsys.readouterr().out
    assert main(["asm", str(CASES / "data_and_calls.s"), "--run", "--mem", "32"]) == 0
    assert main(["asm", str(CASES / "data_and_calls.s"), "--run", "--mem", "3"]) == 2
    assert "smaller than the data image" in capsys.readouterr().err


def test_trace_is_capped(capsys):
    assert main(["asm", str(CASES / "sum_loop.s"), "--trace", "--trace-limit", "4"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ["0", "li", "r1,", "100"]
    assert out[3].split()[:5] == ["3", "addi", "r1,", "r1,", "-1"] and "r1=100" in out[3]
    assert out[4].startswith("... trace stops after 4 steps")
    assert out[5] == "status HALTED at pc 5 (line 11)"


def test_assembly_error_exits_2_with_location(capsys):
    path = CASES / "errors" / "bad_register.s"
    assert main(["asm", str(path), "--run"]) == 2
    captured = capsys.readouterr()
    assert f"{path}:2:17: error: bad register: got 'r16'" in captured.err and captured.out == ""


def test_missing_file_exits_2(capsys, tmp_path):
    assert main(["asm", str(tmp_path / "missing.s")]) == 2
    assert "missing.s: no such file" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["asm"], ["asm", "x.s", "--fuel", "many"]])
def test_bad_arguments_exit_2(argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
