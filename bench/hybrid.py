"""The hybrid contestant's two halves, apart from any side: the prompt that asks a language model for a program, the
program read out of its reply, and the register machine running it. No task is named here: a task takes part by
writing its solved examples as programs (Task.solution_program; the format is bench/tasks/programs.py).

The prompt: K solved examples from the training split, each the question (in the run's prompt format, without its
answer cue) followed by `Program:` and the program's lines, a blank line between examples; then the question and
`Program:`. A task family's examples take turns (add, sub, mul: the model must read which operation is asked, not
copy the last example's), starting at a place drawn per instance from the shot seed.

Every outcome is a result with its own status, never a crash or a hang:
    no-program     the reply holds no line of assembly
    asm-error      the assembler refused it (its located message is kept: `program:3:1: error: ...`)
    DIV_ZERO, MEM_OOB, BAD_PC
                   the machine trapped (BAD_PC: it ran off the end without a halt, or jumped outside the program)
    OUT_OF_FUEL    it did not halt within FUEL instructions (a loop without end)
    beyond-int64   the answer cannot be held in a 64-bit register (no program could give it)
    HALTED         it halted: the answer is r1, scored like any other answer (right or wrong)
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

import numpy as np

from bench.tasks import Instance, PromptSpec, Task, get_task

CUE = "Program:"  # what follows each question in the prompt
STOP = "\n\n"  # a blank line ends the model's program, as it ends each example's
DEFAULT_SHOTS = 3  # solved examples when --shots is 0: without any the model cannot know the format
FUEL = 100_000  # instructions a written program may run (a straight-line answer needs fewer than 20)
MEM_WORDS = 16  # scratch memory for a program's ld/st (none is needed)
INT64 = (-(1 << 63), (1 << 63) - 1)
ANSWER_CUES = ("\n\nA:", "=")  # what ends a question in the prompt formats (gpt3, compact)
HALT = re.compile(r"\s*halt\s*(;.*)?", re.IGNORECASE)


def statement(task: Task, text: str, fmt: str) -> str:
    """The question in format `fmt`, without the cue after which a direct answer would start."""
    question = task.question(text, fmt)
    for cue in ANSWER_CUES:
        if question.endswith(cue):
            return question[: -len(cue)].rstrip()
    return question.rstrip()


def examples(task: Task, inst: Instance, k: int, seed: int) -> list[tuple[Task, str]]:
    """k solved examples (their task, their text) from the training split, at the instance's level."""
    if not task.hybrid_family:
        return [(task, text) for text, _ in task.shots(inst, k, seed)]
    family = [get_task(name) for name in task.hybrid_family]
    rng = random.Random(f"{task.name}:hybrid-shots:{seed}:{task.canonical(inst.text)}")
    start, out, seen = rng.randrange(len(family)), [], {inst.text}
    for j in range(k):
        other = family[(start + j) % len(family)]
        for _ in range(1000):
            text = other.generate(rng, inst.difficulty)
            if text not in seen and other.in_split(text, "train", generated=True):
                seen.add(text)
                out.append((other, text))
                break
        else:
            raise ValueError(f"{other.name} d{inst.difficulty}: no training example to show")
    return out


def prompt(task: Task, inst: Instance, spec: PromptSpec) -> str:
    shots = examples(task, inst, spec.shots or DEFAULT_SHOTS, spec.seed)
    solved = [f"{statement(t, text, spec.format)}\n{CUE}\n{t.solution_program(text).rstrip()}" for t, text in shots]
    return "\n\n".join([*solved, f"{statement(task, inst.text, spec.format)}\n{CUE}\n"])


def budget(task: Task, inst: Instance) -> int:
    """New tokens a program may take: room for twice the solved example's characters (one token each, for a
    character-level model), at least 48."""
    try:
        return max(48, 2 * len(task.solution_program(inst.text)))
    except (ValueError, NotImplementedError):  # a problem with no solved program (not in the data): a fixed room
        return 96


def extract(reply: str) -> str:
    """The program in a reply: its non-empty lines up to and including the first `halt`."""
    lines = []
    for line in reply.splitlines():
        if line.strip():
            lines.append(line.rstrip())
            if HALT.fullmatch(line):
                break
    return "\n".join(lines) + "\n" if lines else ""


@dataclass
class Outcome:
    status: str  # see the module docstring
    answer: str | None  # r1 at HALT, as the task's answers are written
    steps: int | None  # instructions the machine executed
    engine_s: float  # seconds inside the machine's call
    compile_s: float  # seconds compiling the program (the compiled tier)
    detail: str = ""  # the assembler's located message, or the trap's


def run_program(program_text: str, tier: str, reference: str | None) -> Outcome:
    """Assemble and run a written program; its outcome, never an exception."""
    from isa.asm import AsmError, assemble
    from isa.machine import run_batch
    from isa.program import ProgramError
    from isa.spec import Status

    if reference is not None and re.fullmatch(r"-?\d+", reference) and not INT64[0] <= int(reference) <= INT64[1]:
        return Outcome("beyond-int64", None, None, 0.0, 0.0, "the answer does not fit a 64-bit register")
    if not program_text.strip():
        return Outcome("no-program", None, None, 0.0, 0.0)
    try:
        program = assemble(program_text, filename="program")
    except (AsmError, ProgramError) as e:
        return Outcome("asm-error", None, None, 0.0, 0.0, str(e))
    # A written program is one-off: kept out of the compiled tier's disk cache, its compile time always a build's
    result = run_batch(program, np.zeros((1, MEM_WORDS), np.int64), fuel=FUEL, tier=tier, keep=False)
    status = Status(int(result.status[0]))
    answer = str(int(result.regs[0, 1])) if status == Status.HALTED else None
    detail = "" if answer is not None else result.row(0).trap_message
    return Outcome(status.name, answer, int(result.steps[0]), result.machine_s, result.compile_s, detail)

