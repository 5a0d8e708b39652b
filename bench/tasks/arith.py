"""Integer arithmetic: squaring and the GPT-3 paper's two-operand tasks (Table 3.9: 2D+ ... 5D-, 2Dx).

The two-operand tasks draw as the paper does: at difficulty n each operand is uniform in [0, 10^n), so operands of
unequal length (`72 plus 5`) and zero occur. Squares keep an exact digit count (1-digit squares include 0).
"""
from __future__ import annotations

import random
import re

from isa.layouts import PAIRS, SQUARE_MAX_DIGITS
from isa.numtext import digit_count, from_decimal, to_decimal

from .base import Score, Task, TaskInputError, digit_accuracy, first_line
from .programs import straight_line
from .replies import last_number

NUMBER = re.compile(r"-?\d+")
# "What is 98 plus 45?", "Q: What is 98 plus 45?", "98 plus 45" and "98 + 45" all read the same.
QUESTION = re.compile(r"\s*(?:Q:\s*)?(?:what\s+is\s+)?(?P<body>.*?)\s*\??\s*(?:A:\s*)?", re.IGNORECASE | re.DOTALL)


def random_number(rng: random.Random, digits: int) -> int:
    """A number with exactly `digits` digits (1-digit numbers include 0)."""
    if digits == 1:
        return rng.randrange(10)
    return rng.randrange(10 ** (digits - 1), 10**digits)


def numbers_with(digits: int) -> int:
    return 10 if digits == 1 else 9 * 10 ** (digits - 1)


def question_body(text: str) -> str:
    """The problem inside the paper's wording, or the text itself."""
    return QUESTION.fullmatch(text).group("body")


class NumericAnswer(Task):
    """Shared reply parsing and scoring for tasks whose answer is one integer."""

    def parse_reply(self, reply: str) -> str | None:
        line = first_line(reply).replace(",", "").replace(" ", "").removesuffix(".")
        if not NUMBER.fullmatch(line):
            return None
        return to_decimal(from_decimal(line))  # canonical: no leading zeros, no "-0"

    flexible_rule = ("the strict answer where the first line is one; else the last number in the first non-blank line "
                     "('12 + 15 = 27', 'The answer is 27.', '27 apples' -> 27)")

    def parse_reply_flexible(self, reply: str) -> str | None:
        strict = self.parse_reply(reply)
        return strict if strict is not None else last_number(reply)

    def score(self, predicted: str | None, reference: str) -> Score:
        if predicted is None:
            return Score(False, 0.0)
        return Score(predicted == reference, digit_accuracy(predicted, reference))


class Square(NumericAnswer):
    name, version, axis = "square", "2", "digits"
    difficulties = (1, 2, 3, 4, 5)
    program = "square"
    example = "12345"
    # isabench train's mix favours what a 1 M model can learn in under an hour (3-digit squares: the model card's
    # target) over what it cannot (5-digit squares), yet keeps every default difficulty present.
    training_mix = {1: 0.5, 2: 1.5, 3: 4.0, 4: 3.0, 5: 0.5}
    FORMS = re.compile(r"(?P<x>\d+)\s*(?:\^\s*2|\*\*\s*2|squared)?", re.IGNORECASE)

    def parse(self, text: str) -> int:
        m = self.FORMS.fullmatch(question_body(text)) if text.isascii() else None
        if not m:
            raise TaskInputError(f"square: expected a non-negative integer such as {self.example!r} "
                                 f"(or 'What is 12345 squared?'), got {text!r}")
        return from_decimal(m.group("x"))

    def generate(self, rng: random.Random, difficulty: int) -> str:
        return to_decimal(random_number(rng, difficulty))

    def space_size(self, difficulty: int) -> int:
        return numbers_with(difficulty)

    def canonical(self, text: str) -> str:
        x = self.parse(text)
        x = to_decimal(x)
        return f"{x}*{x}"  # the same problem as mul's "x * x"

    def difficulty_of(self, text: str) -> int:
        return digit_count(self.parse(text))

    def reference(self, text: str) -> str:
        return to_decimal(self.parse(text) ** 2)

    def question(self, text: str, fmt: str) -> str:
        x = to_decimal(self.parse(text))
        return f"Q: What is {x} squared?\n\nA:" if fmt == "gpt3" else f"{x}^2="

    def max_new_tokens(self, text: str) -> int:
        return 2 * digit_count(self.parse(text)) + 3

    def solution_program(self, text: str) -> str:
        x = self.parse(text)
        return straight_line(("*", x, x))

    def read_operands(self, texts: list[str]):
        from isa.text_fields import read_fields  # numba: loaded by a batch, not by importing the tasks

        return read_fields(texts, b"", 1, SQUARE_MAX_DIGITS)


class BinaryOp(NumericAnswer):
    """`a OP b` with non-negative operands; at difficulty n both operands are below 10^n."""

    symbol: str
    word: str  # the paper's wording: plus, minus, times
    difficulties = (1, 2, 3, 4, 5)
    axis = "operands below 10^n"

    def parse(self, text: str) -> tuple[int, int]:
        parts = text.split(" ")
        if len(parts) == 3 and parts[1] == self.symbol and len(text) < 2000:  # as generated: "98 + 45", read fast
            a, _, b = parts
            if a.isdigit() and b.isdigit() and a.isascii() and b.isascii():
                return int(a), int(b)
        ops = rf"(?:{re.escape(self.symbol)}|{self.word})"
        m = re.fullmatch(rf"(\d+)\s*{ops}\s*(\d+)", question_body(text), re.IGNORECASE) if text.isascii() else None
        if not m:
            raise TaskInputError(
                f"{self.name}: expected two non-negative integers joined by '{self.symbol}' or '{self.word}', "
                f"such as {self.example!r} or 'What is {self.example.replace(self.symbol, self.word)}?', got {text!r}")
        return from_decimal(m.group(1)), from_decimal(m.group(2))

    def generate(self, rng: random.Random, difficulty: int) -> str:
        a, b = rng.randrange(10**difficulty), rng.randrange(10**difficulty)
        return f"{to_decimal(a)} {self.symbol} {to_decimal(b)}"

    def space_size(self, difficulty: int) -> int:
        return 10 ** (2 * difficulty)

    def canonical(self, text: str) -> str:
        a, b = map(to_decimal, self.parse(text))
        return f"{a}{self.symbol}{b}"

    def difficulty_of(self, text: str) -> int:
        return max(map(digit_count, self.parse(text)))

    def facets_of(self, text: str) -> tuple[tuple[str, str], ...]:
        a, b = self.parse(text)
        return (("operands", "equal length" if digit_count(a) == digit_count(b) else "unequal length"),)

    def apply(self, a: int, b: int) -> int:
        raise NotImplementedError

    def reference(self, text: str) -> str:
        return to_decimal(self.apply(*self.parse(text)))

    def question(self, text: str, fmt: str) -> str:
        a, b = map(to_decimal, self.parse(text))
        return f"Q: What is {a} {self.word} {b}?\n\nA:" if fmt == "gpt3" else f"{a}{self.symbol}{b}="

    def max_new_tokens(self, text: str) -> int:
        return sum(map(digit_count, self.parse(text))) + 4

    hybrid_family = ("add", "sub", "mul")

    def read_operands(self, texts: list[str]):
        from isa.text_fields import read_fields

        return read_fields(texts, f" {self.symbol} ".encode(), 2, PAIRS[self.program][0])

    def solution_program(self, text: str) -> str:
        a, b = self.parse(text)
        return straight_line((self.symbol, a, b))


class Add(BinaryOp):
    name, version, symbol, word, program, example = "add", "2", "+", "plus", "add", "98 + 45"
    training_mix = {1: 0.5, 2: 1.0, 3: 1.0, 4: 0.75, 5: 0.5}  # 5-digit sums are beyond a 1 M model's hour

    def apply(self, a: int, b: int) -> int:
        return a + b


class Sub(BinaryOp):
    name, version, symbol, word, program, example = "sub", "2", "-", "minus", "sub", "3 - 98765"
    training_mix = {1: 0.5, 2: 1.0, 3: 1.0, 4: 0.75, 5: 0.5}

    def apply(self, a: int, b: int) -> int:
        return a - b


class Mul(BinaryOp):
    name, version, symbol, word, program, example = "mul", "2", "*", "times", "mul", "99 * 99"
    difficulties = (1, 2, 3)
    training_mix = {1: 0.5, 2: 1.5, 3: 0.5}

    def apply(self, a: int, b: int) -> int:
        return a * b
