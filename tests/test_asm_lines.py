"""One meaning of "a line" for the assembler and everything that counts its lines (issue 24 item 6).

`isabench solve emulate $'li r1, 1\\rbogus'` raised IndexError: the assembler split lines with str.splitlines() (which
breaks at \\r, \\f, \\v, \\x1c...) while emulate split at \\n only, so an error's line number pointed past emulate's list.
Now a line ends at \\n, \\r\\n or a lone \\r (Python's universal newlines, as files are read) everywhere, and every
error is located on a line and column that exist. Token soups check it on thousands of inputs.
"""
from __future__ import annotations

import random
import re

import pytest

from bench.cli import main
from bench.tasks import TaskInputError, get_task
from bench.tasks.emulate import analyse
from isa.asm import AsmError, assemble

EMULATE = get_task("emulate")
BREAKS = ["\n", "\r", "\r\n", "\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\t", " ", ";"]
TOKENS = ["li", "mov", "add", "addi", "sub", "mul", "halt", "beq", "bnei", "jmp", "call", "ret", "ld", "st", "r1",
          "r2", "r3", "lr", "r99", "0", "7", "-3", "0x1f", "0b2", "99999999999999999999", ",", ":", "[", "]", "+",
          "-", "L1", "L1:", ".data", ".text", ".word", ".equ", ".zero", "'a'", "'\\n'", "'", "#c", "; c", "r1=",
          "Q: What is the value of r1 after this register-machine program halts?", "A:", "bogus", "\\", "€"]
LINES = re.compile(r"\r\n|\r|\n")  # the rule, written down apart from the code it checks
LOCATED = re.compile(r"program:(\d+):(\d+): error")


def soup(rng: random.Random) -> str:
    return "".join(rng.choice(TOKENS) + rng.choice(BREAKS) for _ in range(rng.randint(1, 12)))


@pytest.mark.parametrize("text", ["li r1, 1\rbogus", "li r1, 1\fbogus", "li r1, 1\x1cbogus", "li r1, 1\vbogus",
                                  "li r1, 1;\x1e bad; halt"])
def test_emulate_locates_errors_in_text_with_any_line_or_page_break(text, capsys):
    assert main(["solve", "emulate", text, "--backend", "reference"]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_a_carriage_return_ends_a_line_as_in_a_file_and_a_form_feed_does_not():
    from isa.asm import source_lines

    assert source_lines("a\rb\r\nc\nd\fe\x1cf") == ["a", "b", "c", "d\fe\x1cf"]
    assert EMULATE.reference("li r1, 4\r\nhalt") == EMULATE.reference("li r1, 4\rhalt") == "4"
    with pytest.raises(TaskInputError, match=r"program:1:10: .*'halt'"):  # \f is a space: one statement, two words
        analyse("li r1, 1\fhalt")


def test_token_soups_raise_only_located_errors(tmp_path):
    """Every soup assembles, or fails with AsmError / TaskInputError at a line and column the text has."""
    rng = random.Random(24)
    outcomes = {"ok": 0, "asm error": 0, "task error": 0}
    for _ in range(3000):
        text = soup(rng)
        try:
            assemble(text)
            outcomes["ok"] += 1
        except AsmError as e:
            lines = LINES.split(text)
            assert 1 <= e.line <= len(lines) and 1 <= e.col <= len(lines[e.line - 1]) + 1, (text, str(e))
            outcomes["asm error"] += 1
        try:
            analyse(text)
        except TaskInputError as e:
            outcomes["task error"] += 1
            m = LOCATED.search(str(e))
            if m and "(statement" in str(e):  # one `;`-separated line: the column points into the text as given
                assert m.group(1) == "1" and 1 <= int(m.group(2)) <= len(text) + 1, (text, str(e))
            elif m:
                lines = LINES.split(text.strip("\n"))
                assert int(m.group(1)) <= len(lines), (text, str(e))
    assert all(outcomes.values()), outcomes  # the soups reach every path
