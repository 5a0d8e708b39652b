"""Compound expressions of single digits, e.g. `(6 + 7) * 3` (the GPT-3 paper's 1DC); difficulty = operand count.

The generator writes the paper's bracket form: left-nested, every inner operation in brackets, even where precedence
would not need them (`(2 * 4) + 6`). Parsing and evaluation use explicit stacks, so deeply nested input is read in
linear time and never hits Python's recursion limit.
"""
from __future__ import annotations

import random
import re

from isa.numtext import to_decimal

from .arith import NumericAnswer, question_body
from .base import TaskInputError
from .programs import straight_line, tree_of_rpn

PRECEDENCE = {"+": 1, "-": 1, "*": 2}
TOKEN = re.compile(r"\s*(?:(\d)|([-+*()]))")
ATOM = 3  # the precedence of a digit or a bracketed group: never needs brackets
INT64_MAX = (1 << 63) - 1
PLAIN = re.compile(r"[0-9+*() \n-]*")  # texts an expr program reads as they are


def tokens_of(text: str) -> list[tuple[int, str]]:
    """(column, token) pairs, then (end, '')."""
    out: list[tuple[int, str]] = []
    pos, end = 0, len(text.rstrip())
    while pos < end:
        m = TOKEN.match(text, pos)
        if not m:
            col = len(text) - len(text[pos:].lstrip())
            raise TaskInputError(f"expr: unexpected character {text[col]!r} at column {col + 1} in {_short(text)}")
        out.append((m.start(m.lastindex), m.group(m.lastindex)))
        pos = m.end()
    out.append((end, ""))
    return out


def to_rpn(text: str) -> list[str]:
    """Shunting-yard: digits and operators in postfix order; errors name the column."""
    toks, out, ops = tokens_of(text), [], []
    expect_operand = True

    def fail(i: int, expected: str):
        col, tok = toks[i]
        got = repr(tok) if tok else "end of input"
        raise TaskInputError(f"expr: expected {expected} at column {col + 1}, got {got} in {_short(text)}")

    for i, (_, tok) in enumerate(toks):
        if expect_operand:
            if tok.isdigit():
                out.append(tok)
                expect_operand = False
            elif tok == "(":
                ops.append(tok)
            else:
                fail(i, "a digit or '('")
        elif tok in PRECEDENCE:
            while ops and ops[-1] != "(" and PRECEDENCE[ops[-1]] >= PRECEDENCE[tok]:  # left-associative
                out.append(ops.pop())
            ops.append(tok)
            expect_operand = True
        elif tok == ")":
            while ops and ops[-1] != "(":
                out.append(ops.pop())
            if not ops:
                fail(i, "an operator")
            ops.pop()
        elif tok == "":
            while ops:
                if ops[-1] == "(":
                    fail(i, "')'")
                out.append(ops.pop())
        else:
            fail(i, "an operator")
    return out


def evaluate(text: str) -> int:
    """Evaluate with the usual precedence (* before + -), left to right; errors name the position."""
    stack: list[int] = []
    for tok in to_rpn(text):
        if tok.isdigit():
            stack.append(int(tok))
        else:
            b, a = stack.pop(), stack.pop()
            stack.append(a + b if tok == "+" else a - b if tok == "-" else a * b)
    return stack[0]


def normalise(text: str) -> str:
    """The expression with only the brackets its meaning needs and no spaces: `(2*4)+6` -> `2*4+6`, and a
    two-operand expression reads exactly as the add/sub/mul tasks' canonical problems do (`3+6`)."""
    stack: list[tuple[str, int]] = []  # (text, precedence of its top operation)
    for tok in to_rpn(text):
        if tok.isdigit():
            stack.append((tok, ATOM))
            continue
        (rt, rp), (lt, lp) = stack.pop(), stack.pop()
        prec = PRECEDENCE[tok]
        left = f"({lt})" if lp < prec else lt
        right = f"({rt})" if rp < prec or (rp == prec and tok == "-") else rt  # a-(b-c) keeps its brackets
        stack.append((f"{left}{tok}{right}", prec))
    return stack[0][0]


def render(rng: random.Random, leaves: int) -> str:
    """The paper's form: `a op b`, `(a op b) op c`, `((a op b) op c) op d`, ..."""
    text = str(rng.randrange(10))
    for k in range(1, leaves):
        left = f"({text})" if k > 1 else text
        text = f"{left} {rng.choice('+-*')} {rng.randrange(10)}"
    return text


def _short(text: str) -> str:
    return repr(text) if len(text) <= 60 else repr(text[:57] + "...")


class Expr(NumericAnswer):
    name, version, axis, program = "expr", "2", "operands", "expr"
    difficulties = (2, 3, 4)
    example = "(6 + 7) * 3"
    training_mix = {2: 1.0, 3: 1.0, 4: 1.0}  # isabench train's weight per difficulty

    def parse(self, text: str) -> str:
        if not text.isascii():
            raise TaskInputError(f"expr: only digits, + - * and parentheses are allowed, got {_short(text)}")
        body = question_body(text)
        to_rpn(body)
        return body

    def generate(self, rng: random.Random, difficulty: int) -> str:
        return render(rng, difficulty)

    def space_size(self, difficulty: int) -> int:
        return 10**difficulty * 3 ** (difficulty - 1)

    def canonical(self, text: str) -> str:
        return normalise(self.parse(text))

    def difficulty_of(self, text: str) -> int:
        return sum(c.isdigit() for c in self.parse(text))

    def reference(self, text: str) -> str:
        return to_decimal(evaluate(self.parse(text)))

    def question(self, text: str, fmt: str) -> str:
        compact = self.parse(text).replace(" ", "")
        return f"Q: What is {compact}?\n\nA:" if fmt == "gpt3" else compact + "="

    def max_new_tokens(self, text: str) -> int:
        return 2 * sum(c.isdigit() for c in text) + 4

    def solution_program(self, text: str) -> str:
        return straight_line(tree_of_rpn(to_rpn(self.parse(text))))

    def isa_input(self, value: str) -> str:
        """The expression, refused when its value does not fit the machine's 64-bit words (the program would wrap
        it silently, as isa/programs/expr.s documents): every partial result is bounded by the product of
        max(digit, 2), so only expressions past that bound are evaluated exactly to check."""
        bound = 1
        for c in value:
            if c.isdigit():
                bound *= max(int(c), 2)
        if bound > INT64_MAX:
            exact = evaluate(value)
            if not -INT64_MAX - 1 <= exact <= INT64_MAX:
                digits = len(to_decimal(abs(exact)))
                raise TaskInputError(f"expr: the value ({digits} digits) does not fit the register machine's 64-bit "
                                     "words, so its expr program would wrap it; ask --backend reference, or split "
                                     "the expression")
        return value

    def isa_inputs(self, texts: list[str]) -> list:
        """The texts themselves when, all at once, they hold only digits, operators, brackets and spaces, at most 37
        characters each (so at most 19 digits, whose value can never leave int64: 9^19 < 2^63); the program checks
        their syntax. Others are read one by one."""
        if PLAIN.fullmatch("\n".join(texts)) and max(map(len, texts), default=0) <= 37:
            return texts
        return super().isa_inputs(texts)
