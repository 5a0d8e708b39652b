"""The task contract both sides share.

A task turns an instance (text as a person writes it: "98 + 45") into a reference answer, an ISA run, an LLM prompt
in a named format (with k solved examples before it, if asked) and a scored reply. Answers are canonical strings
("143", "the 2 cat 2 saw 1", "positive"), so records stay plain JSON.

Two kinds of ground truth (`Task.ground_truth`):
- "reference": the answer is computed (arithmetic, counting); the register machine is exact by construction, and an
  ISA answer that differs from the reference is a failure of the harness.
- "labels": the answer is a person's label (sentiment); the register machine runs a program of rules and is scored
  against the labels like the language model: its errors are results.
"""
from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from isa.numtext import to_decimal

from .prompts import FORMATS, PromptSpec, check_format

STOP = "\n"  # every answer ends at a newline; the LLM is stopped there
TEST_PERCENT = 20  # share of each problem space held out of training, chosen by a stable hash of the problem
SPLITS = ("test", "train")
GROUND_TRUTHS = ("reference", "labels")


class TaskInputError(ValueError):
    """An instance text the task cannot read; the message says what was expected."""


@dataclass(frozen=True)
class Instance:
    task: str
    difficulty: int
    index: int
    seed: int
    text: str
    label: str | None = None  # the person's label, for tasks whose ground truth is labels
    facets: tuple[tuple[str, str], ...] = ()  # what else a report breaks results down by: (("site", "yelp"),)

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
    tier: str = field(default="", compare=False)  # the tier that ran ("auto" resolved); answers equal on any tier


@dataclass
class IsaBatch:
    """A batch of ISA answers, column by column (no object per answer inside the timed call: the side reads the
    columns in bulk), and what the machine reports of it: the seconds inside its engine calls, and the seconds
    compiling native code. The side times the whole call (bench/timing.py); the rest of it is glue (reading the
    texts, laying memory, decoding answers; assembling, for emulate)."""

    values: list[str]  # the answers, canonical strings
    status: list[str]  # per answer: the machine's Status name
    steps: Sequence[int]  # per answer: instructions executed; -1 where one run serves the batch (corpus_steps)
    machine_s: float
    compile_s: float = 0.0  # compiling the program in this call: 0 once a task's program is cached; per instance
    #                         where the instance is the program (emulate on the compiled tier)
    corpus_steps: int = -1  # one run for the whole batch (sentiment): its instructions in all
    tier: str = ""  # the tier that ran

    @classmethod
    def of(cls, answers: list[IsaAnswer], machine_s: float, compile_s: float = 0.0,
           corpus_steps: int = -1) -> "IsaBatch":
        tier = answers[0].tier if answers else ""
        return cls([a.answer for a in answers], [a.status for a in answers], [a.steps for a in answers], machine_s,
                   compile_s, corpus_steps, tier)

    @property
    def answers(self) -> list[IsaAnswer]:
        return [IsaAnswer(v, s, int(k), self.tier) for v, s, k in zip(self.values, self.status, self.steps)]


def problem_hash(canonical: str) -> int:
    """0..99 from the canonical problem: the same problem gets the same split whichever task poses it."""
    digest = hashlib.sha256(f"isabench-split:{canonical}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100


class Task:
    """Subclasses set the class attributes and implement the per-task methods below."""

    name: str
    version: str
    axis: str  # what the difficulty counts: "digits", "operands", "words"
    difficulties: tuple[int, ...]  # default levels of a run
    program: str  # the isa.library program that solves it
    example: str  # an instance text, for help messages
    training_mix: dict[int, float] | None = None  # isabench train's weight per difficulty (None: not trained on)
    ground_truth: str = "reference"  # or "labels": see the module docstring
    formats: tuple[str, ...] = ("compact", "gpt3")  # prompt formats the task can write (bench.tasks.prompts)
    labels: tuple[str, ...] | None = None  # a classification task's answers: a causal LM scores each by likelihood
    isa_variants: tuple[str, ...] = ("",)  # programs of rules the ISA side runs, each its own contestant
    # The isa modules an ISA answer runs through besides the task's own classes: part of the ISA records' key
    # (bench/isa_identity.py), so a change there re-keys exactly these tasks.
    isa_modules: tuple[str, ...] = ("isa.layouts", "isa.digit_rows", "isa.batch", "isa.digits", "isa.numtext",
                                    "isa.text_fields")
    default_model: str | None = None  # the LLM that answers it unless --model says otherwise (None: embedded)
    # generate() already writes canonical(text): the split hashes a generated text as it is (emulate: canonical
    # assembles and runs the program, 60 % of planning a default run's instances when it was done for every draw).
    generates_canonical: bool = False
    # Hooks generic code calls without naming tasks:
    figure: str | None = None  # "module:function" drawing the task's own figure: (summary, out, note) -> [paths]
    headline_facets: tuple[str, ...] = ()  # facets a run's closing lines give overall accuracy by (sentiment: site)
    # The hybrid contestant (a model writes a program, the machine runs it) takes the tasks that write their solved
    # examples as programs (solution_program); a family's solved examples take turns in one prompt, so the model must
    # read which operation is asked rather than copy the examples' (add, sub and mul are one family).
    hybrid_family: tuple[str, ...] = ()

    # --- per task ---------------------------------------------------------------------------------------------
    def parse(self, text: str):
        """Instance text -> value; raises TaskInputError naming what was expected."""
        raise NotImplementedError

    def generate(self, rng: random.Random, difficulty: int) -> str:
        raise NotImplementedError

    def space_size(self, difficulty: int) -> int:
        """How many distinct instances this difficulty has (an upper bound is fine when it is large)."""
        raise NotImplementedError

    def canonical(self, text: str) -> str:
        """The problem itself, written the same way by every task that can pose it ("3+6" for add's "3 + 6" and for
        expr's "3+6"); the held-out split is decided on it."""
        raise NotImplementedError

    def difficulty_of(self, text: str) -> int:
        """The level an instance text belongs to (for one instance given by hand)."""
        raise NotImplementedError

    def reference(self, text: str) -> str:
        raise NotImplementedError

    def question(self, text: str, fmt: str) -> str:
        """The instance asked in prompt format `fmt`, up to where the answer starts."""
        raise NotImplementedError

    def parse_reply(self, reply: str) -> str | None:
        """The answer in a reply, strictly (lm-eval's `strict-match`): the first line is the answer in its form, or
        None."""
        raise NotImplementedError

    # lm-eval's `flexible-extract` beside it (bench/tasks/replies.py): what `parse_reply_flexible` reads.
    flexible_rule: str = "the strict rule"

    def parse_reply_flexible(self, reply: str) -> str | None:
        """The answer in a reply that does not keep to the answer's form ("12 + 15 = 27"), by `flexible_rule`;
        a task without a rule of its own reads it strictly."""
        return self.parse_reply(reply)

    def score(self, predicted: str | None, reference: str) -> Score:
        raise NotImplementedError

    def max_new_tokens(self, text: str) -> int:
        """A generous budget for the answer (characters for the embedded model) plus the stop."""
        raise NotImplementedError

    def isa_variant_id(self, variant: str) -> str:
        """An ISA variant's identity for record keys (a weight table's name and content hash)."""
        return variant

    def answer_prefix(self, fmt: str) -> str:
        """What stands between a question and its answer in a solved example (and before a scored label)."""
        return FORMATS[fmt].answer_prefix

    def facets_of(self, text: str) -> tuple[tuple[str, str], ...]:
        """Breakdowns a report shows besides the difficulty (e.g. operands of equal or unequal length)."""
        return ()

    def isa_input(self, value):
        """Parsed value -> the input the isa.library program takes."""
        return value

    def format_isa(self, value) -> str:
        """What the program returned -> the canonical answer string."""
        return to_decimal(value) if isinstance(value, int) else str(value)

    def solution_program(self, text: str) -> str:
        """A solved example's program for the hybrid contestant (the format: bench/tasks/programs.py): one that
        leaves the instance's answer, an integer, in r1 and halts. Tasks that take no part do not override this."""
        raise NotImplementedError(f"{self.name} writes no programs: its answer is not one integer in r1")

    @property
    def writes_programs(self) -> bool:
        return type(self).solution_program is not Task.solution_program

    # --- shared -----------------------------------------------------------------------------------------------
    def check_difficulty(self, difficulty: int) -> None:
        if not isinstance(difficulty, int) or difficulty < 1:
            raise ValueError(f"{self.name}: difficulty ({self.axis}) must be a positive integer, got {difficulty!r}")

    def answer_of(self, inst: Instance) -> str:
        """What an instance is scored against: its label, or the computed reference."""
        return inst.label if inst.label is not None else self.reference(inst.text)

    def in_split(self, text: str, split: str, generated: bool = False) -> bool:
        """Held-out ("test") or training ("train") membership, fixed by a hash of the canonical problem.

        Every problem belongs to exactly one split, small spaces included (the ten 1-digit squares too): a held-out
        figure then never measures recall, and a problem held out under one task is never trained under another.
        `generated`: the text came from this task's generate(); where that already writes the canonical form
        (generates_canonical), it is hashed as it is, without parsing it again.
        """
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        key = text if generated and self.generates_canonical else self.canonical(text)
        held_out = problem_hash(key) < TEST_PERCENT
        return held_out if split == "test" else not held_out

    def max_instances(self, difficulty: int, split: str) -> int:
        """An upper bound on the distinct instances a split of a level holds: asking for more is capped here."""
        share = TEST_PERCENT if split == "test" else 100 - TEST_PERCENT
        size = self.space_size(difficulty)
        return size if size >= 10**6 else size * share // 100 + max(10, size // 10)

    def instances(self, difficulty: int, n: int, seed: int = 0, split: str = "test") -> list[Instance]:
        """n distinct instances of the split, the same for the same (difficulty, n, seed, split).

        Fewer than n come back when the split holds fewer distinct instances (e.g. 1-digit squares: about 2).
        """
        self.check_difficulty(difficulty)
        rng = random.Random(f"{self.name}:{difficulty}:{seed}:{split}")
        seen: set[str] = set()
        out: list[Instance] = []
        attempts, want = 0, min(n, self.max_instances(difficulty, split))
        while len(out) < want and attempts < 50 * want + 1000:
            attempts += 1
            text = self.generate(rng, difficulty)
            if text in seen or not self.in_split(text, split, generated=True):
                continue
            seen.add(text)
            out.append(Instance(self.name, difficulty, len(out), seed, text, facets=self.facets_of(text)))
        return out

    def shots(self, inst: Instance, k: int, seed: int) -> list[tuple[str, str]]:
        """k solved examples (text, answer) from the training split, at the instance's level, drawn afresh for
        each instance (as the GPT-3 paper does) and the same for the same seed."""
        if k <= 0:
            return []
        rng = random.Random(f"{self.name}:shots:{seed}:{self.canonical(inst.text)}")
        out, seen = [], {inst.text}
        for _ in range(1000 * k):
            text = self.generate(rng, inst.difficulty)
            if text not in seen and self.in_split(text, "train", generated=True):
                seen.add(text)
                out.append((text, self.reference(text)))
                if len(out) == k:
                    return out
        raise ValueError(f"{self.name} d{inst.difficulty}: fewer than {k} training examples to show")

    def prompt(self, inst: Instance | str, spec: PromptSpec = PromptSpec()) -> str:
        """The text the LLM continues: k solved examples, then the instance, in one format."""
        check_format(self, spec.format)
        if isinstance(inst, str):
            inst = Instance(self.name, self.difficulty_of(inst) if spec.shots else 1, 0, spec.seed, inst)
        fmt = FORMATS[spec.format]
        prefix = self.answer_prefix(fmt.name)
        solved = [self.question(t, fmt.name) + prefix + a for t, a in self.shots(inst, spec.shots, spec.seed)]
        return fmt.separator.join([*solved, self.question(inst.text, fmt.name)])

    def solve_isa(self, text: str, tier: str = "jit", variant: str = "") -> IsaAnswer:
        from isa import library  # numba loads only when the ISA side is used (tier auto: not for small runs)

        run = library.solve(self.program, self.isa_input(self.parse(text)), tier=tier)
        return IsaAnswer(self.format_isa(run.value), run.status, run.steps, run.result.tier)

    def solve_isa_many(self, texts: list[str], tier: str = "jit", variant: str = "") -> list[IsaAnswer]:
        """All instances in one batched, compiled call."""
        return self.solve_isa_batch(texts, tier, variant).answers

    def solve_isa_batch(self, texts: list[str], tier: str = "jit", variant: str = "",
                        threads: int | None = None) -> IsaBatch:
        """All instances in one batched call, with the machine's own time. Texts in the form the generator writes
        are read in bulk, straight into digit rows (read_operands); any other form, one by one (parse)."""
        from isa.batch import solve_batch, solve_digits

        from isa.layouts import layout

        operands = self.read_operands(texts)
        if operands is not None:
            out = solve_digits(self.program, operands, tier=tier, threads=threads)
        else:
            out = solve_batch(self.program, self.isa_inputs(texts), tier=tier, threads=threads, as_text=True)
        # A layout that writes its answers as text writes them as the task does; the others' values are formatted.
        text = operands is not None or layout(self.program).read_text is not None
        values = out.values if text else [self.format_isa(v) for v in out.values]
        return IsaBatch(values, out.status, out.steps, out.machine_s, out.compile_s, tier=out.tier)

    def read_operands(self, texts: list[str]) -> list | None:
        """The texts' operands as digit rows, read in bulk, when every text is in the generator's own form (a
        numeric program's input); None otherwise (the texts are then read by isa_inputs)."""
        return None

    def isa_inputs(self, texts: list[str]) -> list:
        """The program's inputs for the texts: parsed one by one (a task whose input is the text itself checks the
        whole batch at once instead)."""
        return [self.isa_input(self.parse(t)) for t in texts]

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
