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
    assert main(["asm", str(CASES / "data_and_calls.s"), "--run", "--mem", "10"]) == 1  # needs 32; the image has 10
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


@pytest.mark.parametrize("option, value, message", [
    ("--fuel", str(2**70), "fuel must be in 0..9223372036854775807"),
    ("--fuel", "-1", "fuel must be in 0.."),
    ("--mem", str(10**12), "the memory size must be in 0..67108864"),
])
def test_out_of_range_options_exit_2_with_a_message(capsys, option, value, message):
    with pytest.raises(SystemExit) as info:
        main(["asm", str(CASES / "sum_loop.s"), "--run", option, value])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_data_section_past_the_memory_limit_is_refused_at_load(capsys, tmp_path):
    path = tmp_path / "huge.s"
    path.write_text(".data\n" + ".zero 67108864\n" * 3 + ".text\nhalt\n")
    assert main(["asm", str(path), "--run"]) == 2
    assert f"{path}:3:7: error: data section too large" in capsys.readouterr().err


@pytest.mark.parametrize("flags", [["--tier", "compiled"], ["--tier", "ref"], ["--backend", "compiled"], []])
def test_every_tier_prints_the_same_run(capsys, flags):
    assert main(["asm", str(CASES / "sum_loop.s"), "--run", *flags]) == 0
    assert capsys.readouterr().out.splitlines() == ["status HALTED at pc 5 (line 11)", "steps 303", "r2 = 5050"]


def test_tier_and_backend_must_agree(capsys):
    assert main(["asm", str(CASES / "sum_loop.s"), "--run", "--tier", "ref", "--backend", "jit"]) == 2
    assert "disagree" in capsys.readouterr().err


def test_the_files_own_run_line_sizes_memory_and_library_programs_print_their_answer(capsys):
    assert main(["asm", str(CASES / "data_and_calls.s"), "--run"]) == 0  # '; run: mem=32'
    assert main(["asm", str(CASES / "trap_out_of_fuel.s"), "--run"]) == 1  # '; run: fuel=1000'
    assert "steps 1000" in capsys.readouterr().out
    programs = Path(spec.__file__).parent / "programs"
    answers = {"square": "15129", "add": "1032", "sub": "-957", "mul": "98901", "expr": "39",
               "square_mul": "152399025", "wordfreq": "[('it', 2), ('is', 2), ('what', 1), ('internationalization', 2)]"}
    for name, answer in answers.items():
        assert main(["asm", str(programs / f"{name}.s"), "--run", "--tier", "compiled"]) == 0, name
        out = capsys.readouterr().out.splitlines()
        assert out[0].startswith("status HALTED") and f"answer {answer}" in out, (name, out)


def test_the_readme_register_machine_commands_work(capsys):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## The register machine", 1)[1].split("\n## ", 1)[0]
    commands = [line.split("#")[0].split() for line in section.splitlines() if line.startswith("isabench asm ")]
    assert len(commands) >= 3
    for argv in commands:
        assert main(argv[1:]) == 0, argv
        assert "MEM_OOB" not in capsys.readouterr().out, argv
