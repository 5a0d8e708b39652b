"""Integer arithmetic: squaring and the GPT-3 paper's two-operand tasks (Table 3.9: 2D+ ... 5D-, 2Dx)."""
from __future__ import annotations

import random
import re

from .base import Score, Task, TaskInputError, digit_accuracy, first_line

NUMBER = re.compile(r"-?\d+")


def random_number(rng: random.Random, digits: int) -> int:
    """A number with exactly `digits` digits (1-digit numbers include 0)."""
    if digits == 1:
        return rng.randrange(10)
    return rng.randrange(10 ** (digits - 1), 10**digits)


def numbers_with(digits: int) -> int:
    return 10 if digits == 1 else 9 * 10 ** (digits - 1)


class NumericAnswer(Task):
    """Shared reply parsing and scoring for tasks whose answer is one integer."""

    def parse_reply(self, reply: str) -> str | None:
        line = first_line(reply).replace(",", "").replace(" ", "")
        if not NUMBER.fullmatch(line):
            return None
        return str(int(line))  # canonical: no leading zeros, no "-0"

    def score(self, predicted: str | None, reference: str) -> Score:
        if predicted is None:
            return Score(False, 0.0)
        return Score(predicted == reference, digit_accuracy(predicted, reference))


class Square(NumericAnswer):
    name, version, axis = "square", "1", "digits"
    difficulties = (1, 2, 3, 4, 5)
    program = "square"
    example = "12345"

    def parse(self, text: str) -> int:
        s = text.strip()
        if not s.isdigit() or not s.isascii():
            raise TaskInputError(f"square: expected a non-negative integer such as {self.example!r}, got {text!r}")
        return int(s)

    def generate(self, rng: random.Random, difficulty: int) -> str:
        return str(random_number(rng, difficulty))

    def space_size(self, difficulty: int) -> int:
        return numbers_with(difficulty)

    def reference(self, text: str) -> str:
        return str(self.parse(text) ** 2)

    def prompt(self, text: str) -> str:
        return f"{self.parse(text)}^2="

    def max_new_tokens(self, text: str) -> int:
        return 2 * len(str(self.parse(text))) + 2


class BinaryOp(NumericAnswer):
    """`a OP b` with non-negative operands; the difficulty is the digit count of each generated operand."""

    symbol: str
    difficulties = (1, 2, 3, 4, 5)

    def parse(self, text: str) -> tuple[int, int]:
        m = re.fullmatch(rf"\s*(\d+)\s*{re.escape(self.symbol)}\s*(\d+)\s*", text)
        if not m or not text.isascii():
            raise TaskInputError(
                f"{self.name}: expected two non-negative integers joined by '{self.symbol}', "
                f"such as {self.example!r}, got {text!r}"
            )
        return int(m.group(1)), int(m.group(2))

    def generate(self, rng: random.Random, difficulty: int) -> str:
        return f"{random_number(rng, difficulty)} {self.symbol} {random_number(rng, difficulty)}"

    def space_size(self, difficulty: int) -> int:
        return numbers_with(difficulty) ** 2

    def apply(self, a: int, b: int) -> int:
        raise NotImplementedError

    def reference(self, text: str) -> str:
        return str(self.apply(*self.parse(text)))

    def prompt(self, text: str) -> str:
        a, b = self.parse(text)
        return f"{a}{self.symbol}{b}="

    def max_new_tokens(self, text: str) -> int:
        a, b = self.parse(text)
        return len(str(a)) + len(str(b)) + 3


class Add(BinaryOp):
    name, version, axis, symbol, program, example = "add", "1", "digits", "+", "add", "98 + 45"

    def apply(self, a: int, b: int) -> int:
        return a + b


class Sub(BinaryOp):
    name, version, axis, symbol, program, example = "sub", "1", "digits", "-", "sub", "3 - 98765"

    def apply(self, a: int, b: int) -> int:
        return a - b


class Mul(BinaryOp):
    name, version, axis, symbol, program, example = "mul", "1", "digits", "*", "mul", "99 * 99"
    difficulties = (1, 2, 3)

    def apply(self, a: int, b: int) -> int:
        return a * b
