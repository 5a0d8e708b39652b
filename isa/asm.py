"""The assembler: source text -> Program. Two passes: the first places labels, the second encodes operands.

Every error is an AsmError located at `FILE:LINE:COL` with the offending token and what was expected there.
The syntax is described in isa/ISA.md (generated from isa/spec.py and SYNTAX below).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from isa import spec
from isa.program import Program, ProgramError

MAX_DATA_WORDS = spec.MAX_MEMORY_WORDS  # the whole data section: more could never be laid into a run's memory
REGISTERS = {f"r{i}": i for i in range(spec.NUM_REGS)} | {"lr": spec.LINK_REG}
KIND_NAMES = {"r": "register", "i": "immediate", "l": "code label", "m": "memory operand"}

_TOKEN = re.compile(
    r"""(?P<char>'(?:\\.|[^'\\])')      # character literal, also ';' and '\''
      | (?P<num>[0-9][0-9A-Za-z_]*)      # validated when read: decimal, 0x hex, 0b binary
      | (?P<name>\.?[A-Za-z_][A-Za-z0-9_.]*)
      | (?P<punct>[,\[\]+\-:])
      | (?P<comment>[;\#].*)
      | (?P<space>\s+)
      | (?P<bad>'[^']*'?|\S)""",
    re.VERBOSE,
)
_ESCAPES = {"n": 10, "t": 9, "r": 13, "0": 0, "\\": 92, "'": 39, '"': 34}
# What ends a line: \n, \r\n or a lone \r, as Python's text files read them (universal newlines). Not str.splitlines(),
# which also splits at \f, \v, \x1c-\x1e, \x85 and \u2028: those are whitespace inside a line here, so a line number
# means the same in a file, in a string, and to every caller that counts lines (bench/tasks/emulate.py).
LINE_BREAK = re.compile(r"\r\n|\r|\n")


def source_lines(source: str) -> list[str]:
    """The source's lines, numbered from 1 in every error message."""
    return LINE_BREAK.split(source)


class AsmError(ValueError):
    """An assembly error, located: `FILE:LINE:COL: error: MESSAGE`."""

    def __init__(self, filename: str, line: int, col: int, message: str, token: str = ""):
        self.filename, self.line, self.col, self.token, self.detail = filename, line, col, token, message
        super().__init__(f"{filename}:{line}:{col}: error: {message}")


@dataclass
class Token:
    kind: str  # char | num | name | punct | end
    text: str
    col: int  # 1-based


@dataclass
class Line:
    number: int
    tokens: list[Token]  # without labels; ends with an 'end' token
    section: str  # 'text' or 'data' at the time the line was read


def assemble_file(path, *, name: str | None = None) -> Program:
    """Assemble a .s file; the error locations use its path as given."""
    path = Path(path)
    try:
        source = path.read_text()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file") from None
    except UnicodeDecodeError as e:
        raise AsmError(str(path), 1, 1, f"file is not UTF-8 text ({e.reason})") from None
    return assemble(source, filename=str(path), name=name or path.stem)


def assemble(source: str, filename: str = "<string>", *, name: str | None = None) -> Program:
    return _Assembler(filename).run(source, name or Path(filename).stem)


class _Assembler:
    def __init__(self, filename: str):
        self.filename = filename
        self.symbols: dict[str, int] = {}
        self.kinds: dict[str, str] = {}  # name -> 'code' | 'data' | 'const'
        self.where: dict[str, tuple[int, int]] = {}  # name -> (line, col) of its definition

    def error(self, line: int, tok: Token, problem: str, expected: str = "") -> AsmError:
        shown = "end of line" if tok.kind == "end" else f"'{tok.text}'"
        msg = f"{problem}: got {shown}" + (f", expected {expected}" if expected else "")
        return AsmError(self.filename, line, tok.col, msg, tok.text)

    # ---- pass 1: tokens, sections, label addresses, constants -------------------------------------------------
    def run(self, source: str, name: str) -> Program:
        instrs: list[Line] = []
        data_items: list[Line] = []
        counts = {"text": 0, "data": 0}
        section = "text"
        for number, text in enumerate(source_lines(source), start=1):
            toks = self.tokenize(text, number)
            first = 0  # labels are consumed by index: slicing per label made a line of k labels cost k**2
            while len(toks) - first >= 3 and toks[first].kind == "name" and toks[first + 1].text == ":":
                self.define(number, toks[first], "code" if section == "text" else "data", counts[section])
                first += 2
            toks = toks[first:] if first else toks
            head = toks[0]
            if head.kind == "end":
                continue
            if head.kind == "punct" and head.text == ":":
                raise self.error(number, head, "label without a name", "a label name before ':'")
            if head.kind != "name":
                raise self.error(number, head, "unexpected token at start of statement", "a label, mnemonic or directive")
            word = head.text.lower()
            if word in (".text", ".data"):
                self.expect_end(number, toks, 1)
                section = word[1:]
            elif word == ".equ":
                self.define_constant(number, toks)
            elif word in (".word", ".zero"):
                if section != "data":
                    raise self.error(number, head, f"{word} in the .text section", "'.data' before data directives")
                data_items.append(Line(number, toks, section))
                counts["data"] += self.data_size(number, toks)
                if counts["data"] > MAX_DATA_WORDS:
                    raise self.error(number, toks[1] if word == ".zero" else head,
                                     f"data section too large ({counts['data']} words so far)",
                                     f"at most {MAX_DATA_WORDS} words in all (isa.spec.MAX_MEMORY_WORDS)")
            elif word.startswith("."):
                raise self.error(number, head, "unknown directive", ".text, .data, .equ, .word or .zero")
            elif word in spec.BY_NAME:
                if section != "text":
                    raise self.error(number, head, "instruction in the .data section", "'.text' before instructions")
                instrs.append(Line(number, toks, section))
                counts["text"] += 1
            else:
                raise self.error(number, head, "unknown mnemonic", "an instruction (see isa/ISA.md) or a directive")
        # ---- pass 2: encode ------------------------------------------------------------------------------------
        self.instructions = len(instrs)
        code = np.zeros((len(instrs), spec.INSTR_WIDTH), np.int64)
        for pc, line in enumerate(instrs):
            code[pc] = self.encode(line)
        chunks = [self.data_words(line) for line in data_items]
        data = np.concatenate(chunks) if chunks else np.zeros(0, np.int64)
        try:
            return Program(code, data, dict(self.symbols), [ln.number for ln in instrs], name)
        except ProgramError as e:  # cannot happen for assembled code, but keep it located if it does
            raise AsmError(self.filename, 1, 1, f"internal: {e}") from None

    def tokenize(self, text: str, number: int) -> list[Token]:
        toks = []
        for m in _TOKEN.finditer(text):
            kind = m.lastgroup
            if kind in ("space", "comment"):
                continue
            if kind == "bad":
                tok = Token("bad", m.group(), m.start() + 1)
                what = "unterminated or malformed character literal" if m.group().startswith("'") else "unexpected character"
                raise self.error(number, tok, what, "a name, number, 'c', ',', '[', ']', '+', '-' or ':'")
            toks.append(Token(kind, m.group(), m.start() + 1))
        toks.append(Token("end", "", len(text) + 1))
        return toks

    def define(self, number: int, tok: Token, kind: str, value: int) -> None:
        name = tok.text
        if name.startswith(".") or name.lower() in REGISTERS:
            raise self.error(number, tok, "reserved name used as a symbol", "a name that is not a register or directive")
        if name in self.symbols:
            line, col = self.where[name]
            raise self.error(number, tok, f"duplicate symbol (first defined at {line}:{col})", "a new name")
        self.symbols[name], self.kinds[name], self.where[name] = value, kind, (number, tok.col)

    def define_constant(self, number: int, toks: list[Token]) -> None:
        # .equ NAME, VALUE -- VALUE may use only symbols defined above it (constants are resolved in pass 1).
        if toks[1].kind != "name":
            raise self.error(number, toks[1], "bad .equ", "a constant name")
        if toks[2].text != ",":
            raise self.error(number, toks[2], "bad .equ", "',' after the constant name")
        value, i = self.immediate(number, toks, 3, allow_code=True, early=True)
        self.expect_end(number, toks, i)
        self.define(number, toks[1], "const", value)

    def expect_end(self, number: int, toks: list[Token], i: int) -> None:
        if toks[i].kind != "end":
            raise self.error(number, toks[i], "unexpected token", "end of line")

    # ---- data ----------------------------------------------------------------------------------------------------
    def data_size(self, number: int, toks: list[Token]) -> int:
        if toks[0].text.lower() == ".word":
            if toks[1].kind == "end":
                raise self.error(number, toks[1], "empty .word", "one or more comma-separated values")
            return 1 + sum(1 for t in toks[1:] if t.text == ",")
        n, i = self.immediate(number, toks, 1, allow_code=False, early=True)
        self.expect_end(number, toks, i)
        if not 0 <= n <= MAX_DATA_WORDS:
            raise self.error(number, toks[1], f".zero count {n} out of range", f"0..{MAX_DATA_WORDS}")
        return n

    def data_words(self, line: Line) -> np.ndarray:
        toks, number = line.tokens, line.number
        if toks[0].text.lower() == ".zero":
            return np.zeros(self.immediate(number, toks, 1, allow_code=False, early=True)[0], np.int64)  # checked
        words, i = [], 1
        while True:
            value, i = self.immediate(number, toks, i, allow_code=True)  # code labels allowed: jump tables for jr
            words.append(value)
            if toks[i].kind == "end":
                return np.array(words, np.int64)
            if toks[i].text != ",":
                raise self.error(number, toks[i], "bad .word list", "',' or end of line")
            i += 1

    # ---- instructions --------------------------------------------------------------------------------------------
    def encode(self, line: Line) -> list[int]:
        toks, number = line.tokens, line.number
        op = spec.BY_NAME[toks[0].text.lower()]
        words, i = [op.code], 1
        for k, kind in enumerate(op.operands):
            if k > 0:
                if toks[i].text != ",":
                    problem = "too few operands" if toks[i].kind == "end" else "missing ','"
                    raise self.error(number, toks[i], problem, f"{len(op.operands)} operands for {op.name}: {_shape(op)}")
                i += 1
            if kind == "r":
                reg, i = self.register(number, toks, i), i + 1
                words.append(reg)
            elif kind == "i":
                value, i = self.immediate(number, toks, i, allow_code=True)
                words.append(value)
            elif kind == "l":
                words.append(self.code_label(number, toks[i]))
                i += 1
            else:
                base, off, i = self.memory(number, toks, i)
                words += [base, off]
        if toks[i].kind != "end":
            problem = "too many operands" if toks[i].text == "," else "unexpected token after the operands"
            raise self.error(number, toks[i], problem, f"{len(op.operands)} operands for {op.name}: {_shape(op)}" if op.operands else f"no operands for {op.name}")
        return words + [0] * (spec.INSTR_WIDTH - len(words))

    def register(self, number: int, toks: list[Token], i: int) -> int:
        tok = toks[i]
        if tok.kind == "name" and tok.text.lower() in REGISTERS:
            return REGISTERS[tok.text.lower()]
        problem = "too few operands" if tok.kind == "end" else "bad register"
        raise self.error(number, tok, problem, "a register r0..r15 or lr")

    def code_label(self, number: int, tok: Token) -> int:
        if tok.kind != "name" or tok.text.lower() in REGISTERS:
            raise self.error(number, tok, "bad jump target" if tok.kind != "end" else "too few operands", "a code label")
        if tok.text not in self.symbols:
            raise self.error(number, tok, "undefined label", "a label defined somewhere in the file")
        if self.kinds[tok.text] != "code":
            raise self.error(number, tok, f"{self.kinds[tok.text]} symbol used as a jump target", "a code label")
        if self.symbols[tok.text] == self.instructions:  # a label after the last instruction: nothing to jump to
            line, col = self.where[tok.text]
            raise self.error(line, Token("name", tok.text, col),
                             f"label marks no instruction (it follows the last one; line {number} jumps to it)",
                             "an instruction after the label, such as halt")
        return self.symbols[tok.text]

    def memory(self, number: int, toks: list[Token], i: int) -> tuple[int, int, int]:
        form = "'[rb]', '[rb + off]' or '[rb - off]'"
        if toks[i].text != "[":
            raise self.error(number, toks[i], "bad memory operand", form)
        if toks[i + 1].kind != "name" or toks[i + 1].text.lower() not in REGISTERS:
            raise self.error(number, toks[i + 1], "bad base register in memory operand", "a register r0..r15 or lr")
        base, i = REGISTERS[toks[i + 1].text.lower()], i + 2
        off = 0
        if toks[i].text in ("+", "-"):
            negate = toks[i].text == "-"
            off, i = self.immediate(number, toks, i + 1, allow_code=False, negate=negate)
        if toks[i].text != "]":
            raise self.error(number, toks[i], "bad memory operand", f"']' to close {form}")
        return base, off, i + 1

    def immediate(self, number: int, toks: list[Token], i: int, *, allow_code: bool, early: bool = False,
                  negate: bool = False) -> tuple[int, int]:
        """Parse ['-'] (number | 'c' | name) at toks[i]; return (int64 value, next index)."""
        start = toks[i]
        if toks[i].text == "-":
            negate, i = not negate, i + 1
        tok = toks[i]
        hex_bits = False
        if tok.kind == "num":
            text = tok.text.replace("_", "").lower()
            base = {"0x": 16, "0b": 2}.get(text[:2], 10)
            try:
                value = int(text[2:] if base != 10 else text, base)
            except ValueError:
                raise self.error(number, tok, "bad number", "decimal digits, 0x hex or 0b binary") from None
            hex_bits = base != 10 and not negate  # 0xFFFF... is a bit pattern, -0x... a value
        elif tok.kind == "char":
            value = self.char_value(number, tok)
        elif tok.kind == "name" and tok.text.lower() not in REGISTERS and not tok.text.startswith("."):
            if tok.text not in self.symbols:
                hint = " above this line (.equ and .zero need values defined before them)" if early else ""
                raise self.error(number, tok, "undefined symbol", "a label or .equ constant defined" + (hint or " in the file"))
            if not allow_code and self.kinds[tok.text] == "code":
                raise self.error(number, tok, "code label used as a memory address or size", "a data label or .equ constant")
            value = self.symbols[tok.text]
        else:
            problem = "too few operands" if tok.kind == "end" else "bad immediate"
            raise self.error(number, tok, problem, "a number, 'c', .equ constant or label")
        value = -value if negate else value
        if hex_bits and value <= (1 << 64) - 1:
            value = spec.wrap64(value)
        if not spec.INT64_MIN <= value <= spec.INT64_MAX:
            raise self.error(number, start if start is not tok else tok, "immediate out of range",
                             f"a value in {spec.INT64_MIN}..{spec.INT64_MAX} (or hex up to 0xFFFFFFFFFFFFFFFF)")
        return value, i + 1

    def char_value(self, number: int, tok: Token) -> int:
        body = tok.text[1:-1]
        if body.startswith("\\"):
            if body[1] not in _ESCAPES:
                raise self.error(number, tok, "unknown escape in character literal", "one of \\n \\t \\r \\0 \\\\ \\' \\\"")
            return _ESCAPES[body[1]]
        return ord(body)


def _shape(op: spec.Op) -> str:
    return ", ".join(KIND_NAMES[k] for k in op.operands)
