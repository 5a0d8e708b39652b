"""Compound expressions of single digits, e.g. `(6 + 7) * 3` (the GPT-3 paper's 1DC); difficulty = operand count."""
from __future__ import annotations

import random
import re

from .arith import NumericAnswer
from .base import TaskInputError

PRECEDENCE = {"+": 1, "-": 1, "*": 2}
TOKEN = re.compile(r"\s*(?:(\d)|([-+*()]))")


def evaluate(text: str) -> int:
    """Evaluate with the usual precedence (* before + -), left to right; errors name the position."""
    tokens: list[tuple[int, str]] = []
    pos, end = 0, len(text.rstrip())
    while pos < end:
        m = TOKEN.match(text, pos)
        if not m:
            col = len(text) - len(text[pos:].lstrip())
            raise TaskInputError(f"expr: unexpected character {text[col]!r} at column {col + 1} in {text!r}")
        tokens.append((m.start(m.lastindex), m.group(m.lastindex)))
        pos = m.end()
    tokens.append((end, ""))
    i = 0

    def fail(expected: str):
        col, tok = tokens[i]
        got = repr(tok) if tok else "end of input"
        raise TaskInputError(f"expr: expected {expected} at column {col + 1}, got {got} in {text!r}")

    def atom() -> int:
        nonlocal i
        tok = tokens[i][1]
        if tok.isdigit():
            i += 1
            return int(tok)
        if tok == "(":
            i += 1
            value = expression(0)
            if tokens[i][1] != ")":
                fail("')'")
            i += 1
            return value
        fail("a digit or '('")

    def expression(min_prec: int) -> int:
        nonlocal i
        left = atom()
        while tokens[i][1] in PRECEDENCE and PRECEDENCE[tokens[i][1]] > min_prec:
            op = tokens[i][1]
            i += 1
            right = expression(PRECEDENCE[op])
            left = left + right if op == "+" else left - right if op == "-" else left * right
        return left

    value = expression(0)
    if tokens[i][1]:
        fail("an operator")
    return value


def render(rng: random.Random, leaves: int, parent_prec: int = 0, right_side: bool = False) -> str:
    """A random expression tree with `leaves` digits, parenthesised only where precedence needs it."""
    if leaves == 1:
        return str(rng.randrange(10))
    op = rng.choice("+-*")
    prec = PRECEDENCE[op]
    split = rng.randint(1, leaves - 1)
    text = f"{render(rng, split, prec)} {op} {render(rng, leaves - split, prec, True)}"
    # Left-associative: a right operand of equal precedence needs parentheses too ("6 - (7 - 3)").
    needs = prec < parent_prec or (right_side and prec == parent_prec)
    return f"({text})" if needs else text


class Expr(NumericAnswer):
    name, version, axis, program = "expr", "1", "operands", "expr"
    difficulties = (2, 3, 4)
    example = "(6 + 7) * 3"

    def parse(self, text: str) -> str:
        if not text.isascii():
            raise TaskInputError(f"expr: only digits, + - * and parentheses are allowed, got {text!r}")
        evaluate(text)
        return text

    def generate(self, rng: random.Random, difficulty: int) -> str:
        return render(rng, difficulty)

    def space_size(self, difficulty: int) -> int:
        return 10**difficulty * 3 ** (difficulty - 1)

    def reference(self, text: str) -> str:
        return str(evaluate(text))

    def prompt(self, text: str) -> str:
        self.parse(text)
        return text.replace(" ", "") + "="

    def max_new_tokens(self, text: str) -> int:
        return 2 * sum(c.isdigit() for c in text) + 3
