"""Emulate: the language model is handed the finite instruction set itself and must run a program in its head.

An instance is a short program in the project's assembly syntax (isa/ISA.md), its inputs given as leading `li`
lines, e.g. `li r1, 3\\naddi r1, r1, 4\\nhalt`; the question is always the value of r1 after HALT (here 7). The
register machine assembles and runs it (isa.machine.run on the chosen tier); the reference answer comes from the
plain-Python reference interpreter (tier="ref").

Difficulty is the number of instructions EXECUTED, HALT included, exactly as the machine counts `steps`
(isa/spec.py): `li r1, 3; addi r1, r1, 4; halt` is level 3. Facets (for a report to group by): `control` is
`straight`, `branch` (a conditional branch, no instruction run twice) or `loop` (some instruction run more than
once), and `written` is the number of instructions in the listing. The generator and its subset of the ISA are
described in bench/tasks/emulate_gen.py.

Input forms: a .s file's lines (comments, labels of any name, any case and spacing), or one line with `;` between
statements (the compact prompt's form: `;` there always separates, so a one-line program has no comments). The
prompt wordings themselves are read too. Programs take no data section (inputs are `li` lines) and run with
MEM_WORDS zeroed words of scratch memory. A program that does not assemble is rejected with the assembler's located
message; one that traps (DIV_ZERO, MEM_OOB, BAD_PC) or does not halt within FUEL instructions is rejected naming the
trap: every instance has one integer answer.
"""
from __future__ import annotations

import functools
import re

import numpy as np

from isa import ref, spec
from isa.asm import AsmError, assemble, source_lines
from isa.machine import RunResult, resolve_threads, run, run_batch
from isa.spec import Status
from isa.program import Program

from . import emulate_gen
from .arith import NumericAnswer
from .base import IsaAnswer, IsaBatch, TaskInputError

FUEL = 10_000  # instructions: a hundred times the highest default level, far beyond what any model emulates
MEM_WORDS = 16  # scratch memory for ld/st in hand-written programs (the generator never touches memory)
STATUS_NAMES = np.array([s.name for s in Status])  # Status value -> its name, for a whole batch at once
JUMPS = {op.code for op in spec.OPS if op.group == "control" and op.name != "halt"}
FILENAME = "program"  # what located errors name: "program:2:5: error: ..."
GPT3_QUESTION = "Q: What is the value of r1 after this register-machine program halts?"
COMPACT_END = "r1="
# The wordings the prompts add around a program, so a prompt pasted back reads as the program it asks about.
_GPT3 = re.compile(r"\s*Q:[^\n]*\?\s*\n(?P<body>.*?)(?:\n\s*A:)?\s*", re.DOTALL)
_COMPACT = re.compile(r"(?P<body>.*?);?\s*r1\s*=\s*", re.DOTALL | re.IGNORECASE)


@functools.lru_cache(maxsize=4096)  # the split, prompts and reference all read the same few texts many times over
def analyse(text: str) -> tuple[Program, tuple[str, ...], RunResult]:
    """(program, canonical listing, reference run) of an instance text; raises TaskInputError."""
    program = assemble_text(text)
    result = run(program, MEM_WORDS, fuel=FUEL, tier="ref")
    if result.status.name == "OUT_OF_FUEL":
        raise TaskInputError(f"emulate: the program does not halt within {FUEL} instructions (the task's fuel)")
    if not result.ok:
        raise TaskInputError(f"emulate: the program stops with {result.trap_message} instead of halting; "
                             "every instance must halt with an answer in r1")
    return program, tuple(emulate_gen.program_lines(program.code)), result


def assemble_text(text: str) -> Program:
    """The instance text as a Program: prompt wording stripped, a one-line form split at `;`, errors located."""
    if not isinstance(text, str) or not text.isascii():
        raise TaskInputError("emulate: the program must be ASCII assembly text (see isa/ISA.md)")
    source, offsets = statements(text)
    try:
        program = assemble(source, filename=FILENAME)
    except AsmError as e:
        if offsets is None:
            raise TaskInputError(f"emulate: {e}") from None
        # One-line input: point into the line as given, not into the split-up source.
        raise TaskInputError(f"emulate: {FILENAME}:1:{offsets[e.line - 1] + e.col}: error: {e.detail} "
                             f"(statement {e.line})") from None
    if len(program.data):
        raise TaskInputError("emulate: the program has a data section; give its inputs as leading li lines instead")
    if not len(program.code):
        raise TaskInputError("emulate: the program has no instructions; it needs at least a halt")
    return program


def statements(text: str) -> tuple[str, list[int] | None]:
    """(assembly source, the column offset of each statement when the text was one `;`-separated line, else None)."""
    text = "\n".join(source_lines(text)).strip("\n")  # lines as the assembler counts them: \r ends one, \f does not
    m = _GPT3.fullmatch(text)
    if m:
        text = m.group("body")
    if "\n" in text.strip():
        return text, None
    m = _COMPACT.fullmatch(text)
    if m:
        text = m.group("body")
    pieces, offsets, at = text.split(";"), [], 0
    for piece in pieces:
        offsets.append(at)
        at += len(piece) + 1
    return "\n".join(pieces), offsets


def compact_line(line: str) -> str:
    """`L4: addi r1, r1, 3` -> `L4:addi r1,r1,3`: the embedded model's positions are few."""
    return line.replace(", ", ",").replace(": ", ":")


class Emulate(NumericAnswer):
    name, version, axis = "emulate", "1", "instructions executed (HALT included)"
    difficulties = (2, 4, 8, 16, 32)  # 1 is the bare `halt`, a single program
    # isabench train's weights: on level 4 (2-3 straight-line steps), where a 1 M model has a chance: ~30 k level-4
    # examples in 8000 steps. An emulate-only probe with as many (890 steps, 10 CPU-min) got 15 % there (trivial
    # guesses: 9 %), 8 % at 8 and 4 % at 16 and 32 (= guessing). Branches and loops stay at low weight, present so
    # their form is known: their programs are ~100 characters, and emulate is then 9 % of examples but 22 % of
    # characters.
    training_mix = {2: 0.25, 4: 2.0, 8: 0.5, 16: 0.2, 32: 0.2}
    program = ""  # no isa.library program: the instance is the program
    example = "li r1, 3; addi r1, r1, 4; halt"
    figure = "bench.plots_emulate:plot_emulate"  # the cost of one emulated instruction
    # The instance is the program: its text is assembled (in one pass on jit, isa/bulk_asm.py) and run.
    isa_modules = ("isa.asm", "isa.program", "isa.bulk_asm", "isa.jit_many", "isa.text_fields")
    generates_canonical = True  # emulate_gen writes the listing canonical() rebuilds (a test holds it to that)

    def parse(self, text: str) -> Program:
        return analyse(text)[0]

    def generate(self, rng, difficulty: int) -> str:
        return emulate_gen.generate(rng, difficulty)

    def space_size(self, difficulty: int) -> int:
        # 1: `halt`; 2: `li r1, 0..9`; beyond, an upper bound: under 720 choices per instruction (7 operations,
        # 3 destinations, 3 sources, 10 second operands), far more than 10^6 from four instructions on.
        if difficulty <= 2:
            return 1 if difficulty == 1 else 10
        return min(720 ** (difficulty - 1), 10**12)

    def canonical(self, text: str) -> str:
        return "\n".join(analyse(text)[1])

    def difficulty_of(self, text: str) -> int:
        return analyse(text)[2].steps

    def facets_of(self, text: str) -> tuple[tuple[str, str], ...]:
        program, _, result = analyse(text)
        return (("control", control_of(program, result.steps)), ("written", str(len(program.code))))

    def reference(self, text: str) -> str:
        return str(int(analyse(text)[2].regs[1]))

    def question(self, text: str, fmt: str) -> str:
        lines = analyse(text)[1]
        if fmt == "gpt3":
            return GPT3_QUESTION + "\n" + "\n".join(lines) + "\n\nA:"
        return ";".join(map(compact_line, lines)) + ";" + COMPACT_END

    def solution_program(self, text: str) -> str:
        return "\n".join(analyse(text)[1]) + "\n"  # the instance is a program already: its listing

    def max_new_tokens(self, text: str) -> int:
        # Any int64 (20 characters with the sign) and the stop, not just the generator's +-999: a hand-written
        # program may compute anything, and the budget must not depend on the answer.
        return 22

    def solve_isa(self, text: str, tier: str = "jit", variant: str = "") -> IsaAnswer:
        return self.solve_isa_batch([text], tier, variant, 1).answers[0]

    def solve_isa_batch(self, texts: list[str], tier: str = "jit", variant: str = "",
                        threads: int | None = None) -> IsaBatch:
        """Assembling the text is glue, like laying memory for the other tasks; the machine's time is the time
        inside the engine's calls. On jit every canonical listing (what the generator writes) is assembled in one
        compiled pass and all of them run in one engine call (isa/jit_many.py); any other text, and every text on
        the other tiers, is assembled by isa.asm and runs in its own call. Compiling each program (compiled tier)
        is part of answering it, and the program, an instance, never goes to the compiled tier's disk cache
        (keep=False): a run of many instances would fill it, and a program found there would be answered without
        its compile time."""
        if tier == "jit" and texts:
            return solve_listings(texts, threads)
        batch = IsaBatch([], [], [], 0.0, tier=tier)  # each run sets the tier it resolved to ("auto")
        for text in texts:
            add_alone(batch, text, tier, threads)
        return batch


def solve_listings(texts: list[str], threads: int | None) -> IsaBatch:
    """Every text on the jit tier: the canonical ones in one engine call, the rest one by one."""
    run_listings, write_ints = listing_tools()
    out = run_listings(texts, MEM_WORDS, FUEL, resolve_threads(threads))
    halted = not out.status.any()  # the usual batch: every row HALTED (0), and no SKIP (-2) among them
    status = ["HALTED"] * len(texts) if halted else STATUS_NAMES[np.maximum(out.status, 0)].tolist()
    batch = IsaBatch(write_ints(out.regs[:, 1]), status, out.steps, out.machine_s, out.compile_s, tier="jit")
    for i in np.flatnonzero(~out.canonical).tolist():  # isa.asm assembles it, or names where it is wrong
        add_alone(batch, texts[i], "jit", threads, at=i)
    return batch


@functools.cache
def listing_tools():
    """(isa.jit_many.run_listings, isa.text_fields.write_ints), imported on first use: importing this task must
    not load numba (a chunk looks them up here rather than importing them each time)."""
    from isa.jit_many import run_listings
    from isa.text_fields import write_ints

    return run_listings, write_ints


def add_alone(batch: IsaBatch, text: str, tier: str, threads: int | None, at: int | None = None) -> None:
    """`text` assembled by isa.asm and run in its own engine call; its answer appended to `batch` (or put at `at`)."""
    result = run_batch(assemble_text(text), np.zeros((1, MEM_WORDS), np.int64), fuel=FUEL, tier=tier,
                       threads=threads, keep=False)
    answer = (str(int(result.regs[0, 1])), Status(int(result.status[0])).name, int(result.steps[0]))
    if at is None:
        for column, value in zip((batch.values, batch.status, batch.steps), answer):
            column.append(value)
    else:
        batch.values[at], batch.status[at], batch.steps[at] = answer
    batch.machine_s += result.machine_s
    batch.compile_s += result.compile_s
    batch.tier = result.tier


def control_of(program: Program, steps: int | None = None) -> str:
    """`loop` if some instruction runs more than once, `branch` if the program can jump, else `straight`. `steps`:
    the instructions its run executes, where known; the run is then traced only when they cannot tell (a program
    without jumps never repeats one; one that executes more than it holds must)."""
    jumps = any(int(w[0]) in JUMPS for w in program.code)
    if not jumps:
        return "straight"
    if steps is not None and steps > len(program.code):
        return "loop"
    pcs: list[int] = []
    ref.execute(program.code.tolist(), [0] * MEM_WORDS, [0] * spec.NUM_REGS, FUEL, trace=lambda pc, regs: pcs.append(pc))
    return "loop" if len(set(pcs)) < len(pcs) else "branch"
