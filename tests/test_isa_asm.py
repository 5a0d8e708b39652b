"""The assembler: every error kind is located (`file:line:col`), names the token and what was expected; the syntax
features produce the words the spec says."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from isa import spec
from isa.asm import AsmError, assemble, assemble_file

ERRORS = sorted((Path(__file__).parent / "isa_cases" / "errors").glob("*.s"))
EXPECT_ERROR = re.compile(r";\s*expect-error:\s*(\d+):(\d+)\s+(.+?)\s*$", re.M)


def test_every_error_fixture_states_its_error():
    assert len(ERRORS) >= 20
    for path in ERRORS:
        assert EXPECT_ERROR.search(path.read_text()), path.name


@pytest.mark.parametrize("path", ERRORS, ids=[p.stem for p in ERRORS])
def test_error_is_located_with_token(path):
    line, col, text = EXPECT_ERROR.search(path.read_text()).groups()
    with pytest.raises(AsmError) as info:
        assemble_file(path)
    err = info.value
    assert str(err).startswith(f"{path}:{line}:{col}: error: "), str(err)
    assert text in str(err), str(err)
    assert (err.line, err.col) == (int(line), int(col))


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.s: no such file"):
        assemble_file(tmp_path / "nope.s")


def words(source: str) -> list[list[int]]:
    return assemble(source).code.tolist()


def test_immediates_in_every_notation():
    code = words("""
        .equ W, -0x10
        li r1, 42
        li r2, -42
        li r3, 0x2A
        li r4, -0x2a
        li r5, 0xFFFFFFFFFFFFFFFF   ; bit pattern: -1
        li r6, 'a'
        li r7, ' '
        li r8, '\\n'
        li r9, '\\\\'
        li r10, '\\''
        li r11, W
        li r12, -W
        li r13, ';'                 ; not a comment
        li r14, 0b101
        li lr, -9223372036854775808
    """)
    assert [c[2] for c in code] == [42, -42, 42, -42, -1, 97, 32, 10, 92, 39, -16, 16, 59, 5, spec.INT64_MIN]
    assert [c[1] for c in code] == list(range(1, 16))


def test_operand_fields_follow_the_spec():
    code = words("""
top:    add  r1, r2, r3
        ld   r4, [r5 - 2]
        st   r6, [R7]
        bgei r8, -1, top
        call top
        JR   lr
        ret
        halt
    """)
    op = spec.BY_NAME
    assert code == [
        [op["add"].code, 1, 2, 3], [op["ld"].code, 4, 5, -2], [op["st"].code, 6, 7, 0], [op["bgei"].code, 8, -1, 0],
        [op["call"].code, 0, 0, 0], [op["jr"].code, 15, 0, 0], [op["ret"].code, 0, 0, 0], [op["halt"].code, 0, 0, 0],
    ]


def test_sections_alternate_and_labels_name_addresses():
    program = assemble("""
.data
a:      .word 5, 6
.text
start:  li r1, b            ; forward reference to a data label
.data
b:      .zero 3
c:      .word 'x'
.text
        ld r2, [r0 + c]
end:    halt
    """)
    assert program.data.tolist() == [5, 6, 0, 0, 0, 120]
    assert program.symbols == {"a": 0, "start": 0, "b": 2, "c": 5, "end": 2}
    assert program.code[:, 2].tolist()[:1] == [2] and program.code[1, 3] == 5
    assert program.lines == [5, 10, 11]


def test_labels_are_case_sensitive_mnemonics_are_not():
    program = assemble("Loop: ADDI r1, R1, 1\nloop: BNEI r1, 3, Loop\nHALT")
    assert program.symbols == {"Loop": 0, "loop": 1}
    assert program.code[1].tolist() == [spec.OP_BNEI, 1, 3, 0]


def test_empty_source_is_an_empty_program():
    program = assemble("; nothing\n\n")
    assert program.code.shape == (0, 4) and len(program.data) == 0


def test_error_message_reads_file_line_col_got_expected():
    with pytest.raises(AsmError) as info:
        assemble("  halt\n  li r1, x1\n", "prog.s")
    assert str(info.value) == ("prog.s:2:10: error: undefined symbol: got 'x1', "
                               "expected a label or .equ constant defined in the file")
    assert info.value.token == "x1"


def test_label_only_line_and_several_labels_on_one_line():
    program = assemble("a:\nb: c: halt")
    assert program.symbols == {"a": 0, "b": 0, "c": 0}
    np.testing.assert_array_equal(program.code, [[spec.OP_HALT, 0, 0, 0]])


def test_a_hundred_thousand_labels_on_one_line_all_resolve():
    # Linear in the labels: 100,000 on one line took minutes when each label re-sliced the line's tokens.
    n = 100_000
    program = assemble(" ".join(f"l{i}:" for i in range(n)) + " li r1, 1\njmp l99999\nhalt")
    assert program.symbols["l0"] == program.symbols[f"l{n - 1}"] == 0
    assert program.code[1].tolist() == [spec.OP_JMP, 0, 0, 0]
