"""Arithmetic word problems (SVAMP): the answer is a number the text asks for, and the data's answer is the truth.

An instance is one problem as one line (its statement, a space, its question); the answer is an integer. The
register machine is a contestant here, as on sentiment: it runs isa/programs/svamp.s with one of two keyword ->
operation tables (`people`: grade-school keyword charts, written by people; `counted`: naive Bayes counted on the
train part), and is scored against the data's answers like the language model. The language model answers by
generation: the first integer of its reply.

Difficulty is the number of operations the problem's equation makes: 1 or 2. Reports also break results down by
the problem's type (Addition, Subtraction, Multiplication, Common-Division). Split sizes
(bench/tasks/svamp_data.py): train 598, dev 99, test 302 problems.

For a program-writing contestant, `solution_program(text)` writes the straight-line program that computes a data
problem's answer from its equation (the project's assembly, isa/ISA.md): its solved example.
"""
from __future__ import annotations

import functools
import random
import re

from isa.numtext import to_decimal

from .base import Instance, IsaAnswer, IsaBatch, Score, Task, TaskInputError
from .programs import straight_line
from .replies import canonical_number, last_number
from .svamp_data import SPLIT_NAMES, TYPES, evaluate, parse_equation, split_of_text, splits

NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
MAX_ANSWER_CHARS = 16  # SVAMP's largest answer has 8 digits


class Svamp(Task):
    name, version, program = "svamp", "1", "svamp"
    axis = "operations (1, 2)"
    difficulties = (1, 2)
    example = "Edward had $ 18. He spent $ 16. How much money does Edward have now?"
    ground_truth = "labels"  # the data's answer; the ISA's wrong answers are results (see bench/tasks/base.py)
    isa_variants = ("people", "counted")
    headline_facets = ("type",)
    isa_modules = ("isa.svamp", "isa.svamp_tables", "isa.corpus", "isa.words")
    # The embedded model: it reads 256 characters at most, so 22 of the test part's 302 problems are too long for it
    # at 0 shots, and nearly every prompt with shots.
    default_model = None

    def parse(self, text: str) -> str:
        if "\n" in text or "\t" in text:
            raise TaskInputError("svamp: the problem must be one line without tabs")
        if not text.strip():
            raise TaskInputError("svamp: the problem is empty")
        return text.strip()

    def problem(self, text: str):
        """The data's problem with this text, or None."""
        found = split_of_text().get(self.parse(text))
        return None if found is None else found[1]

    def difficulty_of(self, text: str) -> int:
        """The data's number of operations; for a problem not in the data, a guess: its numbers less one, in 1..2."""
        found = self.problem(text)
        if found is not None and found.ops:
            return found.ops
        return min(2, max(1, len(re.findall(r"\d+", self.parse(text))) - 1))

    def space_size(self, difficulty: int) -> int:
        return sum(p.ops == difficulty for rows in splits().values() for p in rows)

    def canonical(self, text: str) -> str:
        return "svamp:" + " ".join(self.parse(text).split())

    def in_split(self, text: str, split: str, generated: bool = False) -> bool:
        if split not in SPLIT_NAMES:
            raise ValueError(f"split must be one of {SPLIT_NAMES}, got {split!r}")
        found = split_of_text().get(self.parse(text))
        return found is not None and found[0] == split

    def reference(self, text: str) -> str:
        found = self.problem(text)
        if found is None:
            raise TaskInputError("svamp: this problem is not in the SVAMP data, so there is no reference answer for "
                                 "it (the ISA and LLM sides still answer it)")
        return str(found.answer)

    def instances(self, difficulty: int, n: int, seed: int = 0, split: str = "test") -> list[Instance]:
        """The split's problems of this many operations, in the split's (hash) order; the data fixes them."""
        self.check_difficulty(difficulty)
        if split not in SPLIT_NAMES:
            raise ValueError(f"split must be one of {SPLIT_NAMES}, got {split!r}")
        rows = [p for p in splits()[split] if p.ops == difficulty][:n]
        return [Instance(self.name, difficulty, i, seed, p.text, str(p.answer), (("type", p.type),))
                for i, p in enumerate(rows)]

    def shots(self, inst: Instance, k: int, seed: int) -> list[tuple[str, str]]:
        """k solved train problems, drawn afresh per instance; the first four are of four different types, so that
        the examples do not all point at one operation."""
        if k <= 0:
            return []
        train = [p for p in splits()["train"] if p.text != inst.text]
        order = random.Random(f"{self.name}:shots:{seed}:{self.canonical(inst.text)}").sample(train, len(train))
        first = [next(p for p in order if p.type == t) for t in TYPES]
        random.Random(f"{self.name}:types:{seed}:{self.canonical(inst.text)}").shuffle(first)
        chosen = (first + [p for p in order if p not in first])[:k]
        return [(p.text, str(p.answer)) for p in chosen]

    def answer_prefix(self, fmt: str) -> str:
        return " "  # "Answer: 33", "A: 33"

    def question(self, text: str, fmt: str) -> str:
        text = self.parse(text)
        if fmt == "gpt3":
            return f"Q: {text}\n\nA:"
        return f"Problem: {text}\nAnswer:"

    def parse_reply(self, reply: str) -> str | None:
        """The first number of the reply's first line, as an integer's decimal ("1,200" -> "1200", "33.0" -> "33");
        a number with a fraction is kept as written (it is never right); None when there is no number."""
        found = NUMBER.search(reply.split("\n", 1)[0])
        return None if found is None else canonical_number(found.group())

    flexible_rule = ("the last number in the first non-blank line, where an equation's result stands "
                     "('18 - 16 = 2' -> 2; the strict rule takes the first)")

    def parse_reply_flexible(self, reply: str) -> str | None:
        return last_number(reply)

    def score(self, predicted: str | None, reference: str) -> Score:
        right = predicted == reference
        return Score(right, float(right))  # a near miss on a word problem is not part of the way there

    def max_new_tokens(self, text: str) -> int:
        return MAX_ANSWER_CHARS

    # --- the ISA side: svamp.s with a keyword table -----------------------------------------------------------
    def isa_variant_id(self, variant: str) -> str:
        return f"{variant}@{table(variant).content_hash}"  # a new keyword list or rule is a new contestant

    def solve_isa(self, text: str, tier: str = "jit", variant: str = "people") -> IsaAnswer:
        from isa import svamp

        done = svamp.solve([self.parse(text)], table(variant), tier=tier)
        return IsaAnswer(to_decimal(done.solved[0].answer), done.status, done.steps, done.tier)

    def solve_isa_batch(self, texts: list[str], tier: str = "jit", variant: str = "people",
                        threads: int | None = None) -> IsaBatch:
        """All problems in one run (the table laid once): its steps are the run's, not per problem."""
        from isa import svamp

        done = svamp.solve([self.parse(t) for t in texts], table(variant), tier=tier)
        return IsaBatch([to_decimal(s.answer) for s in done.solved], [done.status] * len(texts), [-1] * len(texts),
                        done.machine_s, corpus_steps=done.steps, tier=done.tier)

    # --- a solved example for a program-writing contestant ------------------------------------------------------
    def solution_program(self, text: str) -> str:
        """The straight-line program (isa/ISA.md) that computes a data problem's answer from its equation into r1
        and halts: see `equation_program`."""
        found = self.problem(text)
        if found is None:
            raise TaskInputError("svamp: this problem is not in the SVAMP data, so there is no equation to write a "
                                 "program from")
        return equation_program(found.equation)


def equation_program(equation: str) -> str:
    """An SVAMP equation as a straight-line program that leaves its value in r1 and halts. Numbers are loaded in the
    equation's order into r2, r3, ...; each operation writes its left operand's register (r1 for the last):
    `( ( 8.0 * 3.0 ) + 4.0 )` is li r2, 8 / li r3, 3 / mul r2, r2, r3 / li r3, 4 / add r1, r2, r3 / halt.
    The machine divides integers, so `a * ( b / c )` whose division leaves a remainder (two SVAMP equations:
    `( 28.0 * ( 24.0 / 16.0 ) )`) is computed as `( a * b ) / c`, the numbers in the same order."""
    return straight_line(_exact(parse_equation(equation)))


def _exact(tree):
    if isinstance(tree, int):
        return tree
    op, left, right = tree[0], _exact(tree[1]), _exact(tree[2])
    if op == "*" and not isinstance(right, int) and right[0] == "/" and evaluate(right).denominator != 1:
        return ("/", ("*", left, right[1]), right[2])
    return (op, left, right)


@functools.cache
def table(variant: str):
    """The keyword table of an ISA variant; `counted` is counted on the train part only."""
    from isa import svamp_tables

    if variant == "people":
        return svamp_tables.people_table()
    if variant == "counted":
        train = splits()["train"]
        return svamp_tables.counted_table([p.text for p in train], [svamp_tables.TYPE_OPS[p.type] for p in train])
    raise ValueError(f"unknown svamp keyword table {variant!r}; known: people, counted")
