"""The task contract both sides share.

A task turns an instance (text as a person writes it: "98 + 45") into a reference answer, an ISA run, an LLM prompt and
a scored reply. Answers are canonical strings ("143", "the 2 cat 2 saw 1"), so records stay plain JSON.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

STOP = "\n"  # every answer ends at a newline; the LLM is stopped there
TEST_PERCENT = 20  # share of each input space held out of training, chosen by a stable hash
SMALL_SPACE = 100  # input spaces smaller than this cannot be split meaningfully: they belong to both splits
SPLITS = ("test", "train")


class TaskInputError(ValueError):
    """An instance text the task cannot read; the message says what was expected."""


@dataclass(frozen=True)
class Instance:
    task: str
    difficulty: int
    index: int
    seed: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.task}/d{self.difficulty}/s{self.seed}/{self.index}"


@dataclass(frozen=True)
class Score:
    exact: bool
    partial: float  # in [0, 1]: digit accuracy for numbers, word-count F1 for wordfreq


@dataclass(frozen=True)
class IsaAnswer:
    answer: str
    status: str
    steps: int


class Task:
    """Subclasses set the class attributes and implement parse/generate/space_size/answer_of/isa_input/format_isa."""

    name: str
    version: str
    axis: str  # what the difficulty counts: "digits", "operands", "words"
    difficulties: tuple[int, ...]  # default levels of a run
    program: str  # the isa.library program that solves it
    example: str  # an instance text, for help messages

    # --- per task ---------------------------------------------------------------------------------------------
    def parse(self, text: str):
        """Instance text -> value; raises TaskInputError naming what was expected."""
        raise NotImplementedError

    def generate(self, rng: random.Random, difficulty: int) -> str:
        raise NotImplementedError

    def space_size(self, difficulty: int) -> int:
        """How many distinct instances this difficulty has (an upper bound is fine when it is large)."""
        raise NotImplementedError

    def reference(self, text: str) -> str:
        raise NotImplementedError

    def prompt(self, text: str) -> str:
        raise NotImplementedError

    def parse_reply(self, reply: str) -> str | None:
        raise NotImplementedError

    def score(self, predicted: str | None, reference: str) -> Score:
        raise NotImplementedError

    def max_new_tokens(self, text: str) -> int:
        """A generous budget for the answer (characters for the embedded model) plus the stop."""
        raise NotImplementedError

    def isa_input(self, value):
        """Parsed value -> the input the isa.library program takes."""
        return value

    def format_isa(self, value) -> str:
        """What the program returned -> the canonical answer string."""
        return str(value)

    # --- shared -----------------------------------------------------------------------------------------------
    def check_difficulty(self, difficulty: int) -> None:
        if not isinstance(difficulty, int) or difficulty < 1:
            raise ValueError(f"{self.name}: difficulty ({self.axis}) must be a positive integer, got {difficulty!r}")

    def in_split(self, text: str, difficulty: int, split: str) -> bool:
        """Held-out ("test") or training ("train") membership, fixed by a hash of the prompt.

        Inputs spaces under SMALL_SPACE (e.g. the ten 1-digit squares) belong to both splits: holding some out would
        ask the model for facts it can never have seen. Reports say which difficulties these are.
        """
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        if self.space_size(difficulty) < SMALL_SPACE:
            return True
        digest = hashlib.sha256(f"{self.name}:{self.prompt(text)}".encode()).digest()
        held_out = int.from_bytes(digest[:4], "big") % 100 < TEST_PERCENT
        return held_out if split == "test" else not held_out

    def instances(self, difficulty: int, n: int, seed: int = 0, split: str = "test") -> list[Instance]:
        """n distinct instances of the split, the same for the same (difficulty, n, seed, split).

        Fewer than n come back when the split holds fewer distinct instances (e.g. 1-digit squares: 10).
        """
        self.check_difficulty(difficulty)
        rng = random.Random(f"{self.name}:{difficulty}:{seed}:{split}")
        seen: set[str] = set()
        out: list[Instance] = []
        attempts = 0
        while len(out) < n and attempts < 50 * n + 1000:
            attempts += 1
            text = self.generate(rng, difficulty)
            if text in seen or not self.in_split(text, difficulty, split):
                continue
            seen.add(text)
            out.append(Instance(self.name, difficulty, len(out), seed, text))
        return out

    def solve_isa(self, text: str, backend: str = "jit") -> IsaAnswer:
        from isa import library  # numba loads only when the ISA side is used

        run = library.solve(self.program, self.isa_input(self.parse(text)), backend=backend)
        return IsaAnswer(self.format_isa(run.value), run.status, run.steps)

    def solve_isa_many(self, texts: list[str]) -> list[IsaAnswer]:
        """All instances in one batched, compiled call."""
        from isa import library

        runs = library.solve_many(self.program, [self.isa_input(self.parse(t)) for t in texts])
        return [IsaAnswer(self.format_isa(r.value), r.status, r.steps) for r in runs]

    def describe(self) -> str:
        return f"{self.name} v{self.version}: difficulty = {self.axis} {list(self.difficulties)}, e.g. {self.example!r}"


def first_line(reply: str) -> str:
    return reply.split("\n", 1)[0].strip()


def digit_accuracy(predicted: str, reference: str) -> float:
    """Share of right-aligned characters (sign included) that match; length differences count as misses."""
    width = max(len(predicted), len(reference))
    if width == 0:
        return 1.0
    p, r = predicted.rjust(width), reference.rjust(width)
    return sum(a == b for a, b in zip(p, r)) / width
