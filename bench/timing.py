"""One timing model for every side: what each time in a record, a table and a figure measures.

A chunk of instances is timed as one span, from the instances' text in to their parsed answers out, on every side:

    total = machine + glue + compile
    machine  the instruction set at work: the register machine's engine call (isa.tiers: native code on jit and
             compiled, a Python loop on ref); the language model's forward passes (summed over its batches)
    glue     the rest of the span: reading the text, building the prompt, tokenising, laying memory, the generation
             loop's own Python (stopping, logits processing), detokenising, decoding and parsing the answer
    compile  building native code for a program that is itself the instance (emulate on the compiled tier, the
             programs a model writes): part of answering it, so inside the total, and shown apart too

Set-up is outside every span: imports, model loads, compiling a task's fixed program, one warm-up per task and
contestant.

Repeats, one rule for every side: a chunk is answered and timed once; if that took less than MIN_TIMED_S it is
answered again, at least MIN_REPEATS times in all and on while its repeats add up to less than MIN_TIMED_S, up to
MAX_REPEATS. A fast chunk (a few hundred register-machine answers take about a millisecond) is timed three to five
times, so that one repeat a busy machine stalls (another process's 20 ms time slice) is not its median; a slow one
(a language model's batch) once. The chunk's machine and glue are
those of its median repeat (by total, without compiling); compiling happens in the first repeat only (later repeats
find the programs compiled), so the chunk's compile time is the first repeat's. Every repeat's total and machine time
are kept for the spread, and the answers are the first repeat's.

"One answer alone" (latency) is the same span for the first ALONE_PER_LEVEL instances of each level (by their index),
answered once more on their own, on every side (`alone(instances)` picks them out of a chunk). A sample per level, not
per chunk: a language model answers one prompt alone in about the time it answers a batch of 32, so two per chunk
doubled a run's model time for a latency figure a few samples already give.

Every time is read from `now`, one clock; tests replace it with a counter and check every figure exactly.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

MIN_TIMED_S = 0.02  # a chunk whose first answering took less than this is repeated, until its repeats sum to this
MIN_REPEATS = 3  # at least this many times, then
MAX_REPEATS = 5  # and is answered at most this many times
ALONE_PER_LEVEL = 8  # instances of each level answered once more on their own, on every side: "one answer alone"
now: Callable[[], float] = time.perf_counter  # the clock of every span (a test swaps in a counter)


def clock() -> float:
    """The current time on the one clock (a module-level lookup, so a swapped `now` is seen everywhere)."""
    return now()


@dataclass(frozen=True)
class Span:
    """One timed answering of a chunk, in seconds for the whole chunk."""

    total_s: float
    machine_s: float  # nan where the side cannot see its machine (a served model)
    compile_s: float = 0.0
    # Named parts of the span, recorded per answer as `<name>_s`: "model" (forward passes) and "engine" (the register
    # machine's call), whose sum is the machine time; the hybrid's "write" and "run" halves.
    parts: tuple[tuple[str, float], ...] = ()

    @property
    def glue_s(self) -> float:
        return self.total_s - self.compile_s - (0.0 if math.isnan(self.machine_s) else self.machine_s)


@dataclass
class Timed:
    """A chunk's timing: the median repeat's span, and every repeat's."""

    median: Span
    repeats: list[Span] = field(default_factory=list)

    def fields(self, n: int) -> dict:
        """A record's timing fields, the same on every side: the chunk's times (the median repeat, every repeat's
        total and machine time) and the per-answer shares (÷ n, the answers in the chunk)."""
        m = self.median
        known = not math.isnan(m.machine_s)
        return {"batch_s": m.total_s, "batch_size": n, "batch_times_s": [r.total_s for r in self.repeats],
                "machine_times_s": [r.machine_s for r in self.repeats] if known else None,
                "machine_s": m.machine_s / n if known else None, "glue_s": m.glue_s / n,
                "compile_s": m.compile_s / n, "repeats": len(self.repeats),
                **{f"{name}_s": None if math.isnan(value) else value / n for name, value in m.parts}}


def alone(instances: list) -> list[tuple[int, object]]:
    """(position in the chunk, instance) of the chunk's instances that are also answered alone."""
    return [(k, inst) for k, inst in enumerate(instances) if inst.index < ALONE_PER_LEVEL]


def repeat(answer: Callable[[], tuple[object, Span]]) -> tuple[object, Timed]:
    """Run `answer` (which answers a chunk and returns its answers and its Span) by the repeat rule above; return
    the first repeat's answers and the chunk's timing."""
    first, span = answer()
    spans = [span]
    fast = span.total_s < MIN_TIMED_S
    while fast and len(spans) < MAX_REPEATS and (len(spans) < MIN_REPEATS or sum(s.total_s for s in spans) < MIN_TIMED_S):
        spans.append(answer()[1])
    ranked = sorted(spans, key=lambda s: s.total_s - s.compile_s)
    middle = ranked[(len(ranked) - 1) // 2]
    compile_s = spans[0].compile_s
    chunk = Span(middle.total_s - middle.compile_s + compile_s, middle.machine_s, compile_s, middle.parts)
    return first, Timed(chunk, spans)


def timed_span(work: Callable[[], object], machine_of: Callable[[object], float],
               compile_of: Callable[[object], float] = lambda out: 0.0, part: str = "") -> tuple[object, Span]:
    """Run `work` once on the clock: its result and its Span (machine and compile as the work itself reports; the
    machine time also recorded as the part named `part`: "model" or "engine")."""
    start = clock()
    out = work()
    total = clock() - start
    machine = machine_of(out)
    return out, Span(total, machine, compile_of(out), ((part, machine),) if part else ())
