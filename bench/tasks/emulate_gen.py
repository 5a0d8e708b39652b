"""The emulate task's program generator: seeded register-machine programs that execute an exact number of instructions.

The subset a reader has to follow (isa/ISA.md has the full set):
- inputs: `li r1..r3, 0..9`, the leading lines of every program (registers start at 0, but no program reads one it
  has not set);
- arithmetic: `mov`, `add`, `sub`, `mul` (register forms), `addi`, `subi` (immediates 1..9) and `muli` (2..5);
- control, from 8 executed instructions up: one forward conditional branch (`beq`, `bne`, `blt`, `bge` against a
  register, or their `...i` forms against 0..9) over one or two instructions; from 16 up, one counted loop instead:
  `li r4, n` (n >= 2), a body of 1-3 instructions, `subi r4, r4, 1`, `bnei r4, 0, L<k>`;
- every program ends with `halt`, and the answer is r1: the last instruction before `halt` (in the loop: one in its
  body) writes r1, so the answer depends on the computation.
Every value any register holds during the run stays within +-LIMIT (checked on the reference interpreter's trace).

The count is the machine's own (isa/spec.py): instructions executed, HALT included, so difficulty d runs exactly d
steps; d = 1 is the bare `halt`. Levels below 8 are straight-line (written = executed), 8-15 hold a branch (written
>= executed), and loops (executed > written) start at 16.
"""
from __future__ import annotations

import functools
import random

from isa import ref, spec
from isa.disasm import format_instruction

LIMIT = 999  # |value| bound for every register at every step: values stay readable (three digits and a sign)
DATA = (1, 2, 3)  # registers that hold values; r1 is the answer
COUNTER = 4  # the loop counter
BRANCH_FROM, LOOP_FROM = 8, 16  # the first levels with a branch and with a loop
IMM = (1, 9)  # addi / subi immediates
MULI = (2, 5)  # muli immediates
INPUT = (0, 9)  # li values
# Straight-line operations, weighted towards the ones whose results stay small.
OPS = ("addi", "subi", "add", "sub", "muli", "mul", "mov")
OP_WEIGHTS = (3, 2, 3, 2, 1, 1, 1)
NEGATE = {"beq": "bne", "bne": "beq", "blt": "bge", "bge": "blt",
          "beqi": "bnei", "bnei": "beqi", "blti": "bgei", "bgei": "blti"}
CONDITIONS = {"beq": int.__eq__, "bne": int.__ne__, "blt": int.__lt__, "bge": int.__ge__}


def word(name: str, a: int = 0, b: int = 0, c: int = 0) -> tuple[int, int, int, int]:
    return (spec.BY_NAME[name].code, a, b, c)


def jump_target(w) -> int | None:
    """The code label an instruction names, if any (every operand before an `l` fills one word)."""
    kinds = spec.BY_CODE[int(w[0])].operands
    return int(w[1 + kinds.index("l")]) if "l" in kinds else None


def program_lines(code) -> list[str]:
    """The canonical listing: one instruction a line as isa.disasm prints it, jump targets labelled `L<index>:`."""
    targets = {jump_target(w) for w in code} - {None}
    return [(f"L{pc}: " if pc in targets else "") + format_instruction(w) for pc, w in enumerate(code)]


def run_trace(code, fuel: int) -> tuple[list[int], int]:
    """(final registers, largest |value| any register held) on the reference interpreter."""
    regs, biggest = [0] * spec.NUM_REGS, [0]

    def watch(pc, r):
        biggest[0] = max(biggest[0], max(map(abs, r)))

    ref.execute([list(w) for w in code], [], regs, fuel, trace=watch)
    return regs, max(biggest[0], max(map(abs, regs)))


class Builder:
    """Straight-line code with the register values it leaves, so each new instruction can keep them in range."""

    def __init__(self, rng: random.Random):
        self.rng, self.code, self.vals = rng, [], {}
        self.last = None  # the register written last: reading it more often chains the work instead of leaving it dead

    def inputs(self, k: int) -> None:
        for r in self.rng.sample(DATA, k):
            v = self.rng.randint(*INPUT)
            self.code.append(word("li", r, v))
            self.vals[r] = v
            self.last = r

    def op(self, dest: int, *, reads_dest: bool = False) -> None:
        """One arithmetic instruction writing `dest`, from registers already set; `reads_dest`: dest = dest op x."""
        rng, vals = self.rng, self.vals
        srcs = sorted(vals)
        for _ in range(100):
            name = rng.choices(OPS, OP_WEIGHTS)[0]
            chain = self.last if self.last in vals and rng.random() < 0.5 else rng.choice(srcs)
            ra = dest if reads_dest and dest in vals else chain
            rb = rng.choice(srcs)
            if (name == "mov" and ra == dest) or (name == "sub" and ra == rb):  # a no-op, or always 0
                continue
            if name == "mov":
                w, v = word("mov", dest, ra), vals[ra]
            elif name in ("add", "sub", "mul"):
                x, y = vals[ra], vals[rb]
                w, v = word(name, dest, ra, rb), x + y if name == "add" else x - y if name == "sub" else x * y
            else:
                imm = rng.randint(*(MULI if name == "muli" else IMM))
                x = vals[ra]
                w, v = word(name, dest, ra, imm), x + imm if name == "addi" else x - imm if name == "subi" else x * imm
            if abs(v) <= LIMIT:
                break
        else:  # values near the limit: a step of 1 towards zero always fits
            x = vals[ra]
            w, v = word("subi" if x > 0 else "addi", dest, ra, 1), x - 1 if x > 0 else x + 1
        self.code.append(w)
        self.vals[dest] = v
        self.last = dest

    def ops(self, n: int) -> None:
        """n instructions, the last one writing r1."""
        for i in range(n):
            self.op(1 if i == n - 1 else self.rng.choice(DATA))


def straight(rng: random.Random, d: int) -> list:
    """d - 1 instructions and halt: inputs, then arithmetic."""
    b = Builder(rng)
    if d == 2:
        b.code.append(word("li", 1, rng.randint(*INPUT)))
    else:
        k = rng.randint(1, min(len(DATA), d - 2))
        b.inputs(k)
        b.ops(d - 1 - k)
    return b.code + [word("halt")]


def branch(rng: random.Random, d: int) -> list:
    """Inputs, arithmetic, one conditional branch over 1-2 instructions (taken or not), arithmetic on r1, halt."""
    while True:
        k, skip, post = rng.randint(1, 3), rng.randint(1, 2), rng.randint(0, 2)
        taken = rng.random() < 0.5
        pre = d - 1 - k - 1 - (0 if taken else skip) - post
        if pre >= 0:
            break
    b = Builder(rng)
    b.inputs(k)
    b.ops(pre)
    # The comparison: pick one, then negate it if its outcome is not the one wanted.
    name = rng.choice(("beq", "bne", "blt", "bge", "beqi", "bnei", "blti", "bgei"))
    ra = rng.choice(sorted(b.vals))
    others = [r for r in sorted(b.vals) if r != ra] or [ra]
    rhs = rng.randint(*INPUT) if name.endswith("i") else rng.choice(others)
    rhs_value = rhs if name.endswith("i") else b.vals[rhs]
    if CONDITIONS[name.removesuffix("i")](b.vals[ra], rhs_value) != taken:
        name = NEGATE[name]
    at = len(b.code)
    b.code.append(None)  # the branch, once its target is known
    saved = dict(b.vals)
    for i in range(skip):
        b.op(1 if i == skip - 1 else rng.choice(DATA))  # the block writes r1, so whether it runs shows in the answer
    if taken:
        b.vals = saved  # the skipped block never ran
    target = len(b.code)
    b.code[at] = word(name, ra, rhs, target)
    for _ in range(post):
        b.op(1, reads_dest=True)  # r1 = r1 op x: the branch's effect on r1 carries through
    return b.code + [word("halt")]


@functools.cache  # the same few levels, asked once per generated loop
def loop_shapes(d: int) -> tuple[tuple[int, int, int, int, int], ...]:
    """Every (inputs, before, body, after, iterations) that executes exactly d instructions."""
    out = []
    for k in range(1, 4):
        for pre in range(3):
            for post in range(3):
                for m in range(1, 4):
                    rest = d - 1 - k - pre - 1 - post  # minus halt, inputs, before, the counter's li, after
                    if rest % (m + 2) == 0 and rest // (m + 2) >= 2:
                        out.append((k, pre, m, post, rest // (m + 2)))
    return tuple(out)


def loop(rng: random.Random, d: int) -> list:
    """Inputs, arithmetic, `li r4, n`, a body run n times, arithmetic on r1, halt; retried until values stay in range."""
    shapes = loop_shapes(d)
    for attempt in range(200):
        k, pre, m, post, n = rng.choice(shapes)
        b = Builder(rng)
        b.inputs(k)
        b.ops(pre)
        b.code.append(word("li", COUNTER, n))
        start = len(b.code)
        writes_r1 = rng.randrange(m)
        for i in range(m):
            b.code.append(body_op(rng, 1 if i == writes_r1 else rng.choice(DATA), sorted(b.vals), safe=attempt >= 100))
            b.vals.setdefault(b.code[-1][1], 0)  # defined from here on (its value is the run's business)
        b.code += [word("subi", COUNTER, COUNTER, 1), word("bnei", COUNTER, 0, start)]
        regs, biggest = run_trace(b.code + [word("halt")], d)
        if biggest > LIMIT:
            continue
        # After the loop the values are known again: carry on straight-line from the machine's registers.
        b.vals = {r: regs[r] for r in b.vals}
        for _ in range(post):
            b.op(1, reads_dest=True)
        return b.code + [word("halt")]
    raise ValueError(f"emulate: no loop of {d} steps keeps every value within +-{LIMIT}")


def body_op(rng: random.Random, dest: int, srcs: list[int], *, safe: bool):
    """A loop-body instruction; `safe` ones read only the counter (dest = counter op imm), so nothing accumulates and
    any iteration count keeps the values within 5n + 9."""
    if safe:
        name = rng.choice(("addi", "subi", "muli", "mov"))
        return word("mov", dest, COUNTER) if name == "mov" else \
            word(name, dest, COUNTER, rng.randint(*(MULI if name == "muli" else IMM)))
    name = rng.choices(("addi", "subi", "add", "sub", "muli", "mov"), (3, 2, 4, 2, 1, 1))[0]
    # Accumulating forms (dest = dest op x) are likelier, but only on a register already set before the loop.
    ra, rb = rng.choice(srcs + [dest] * 2 if dest in srcs else srcs), rng.choice(srcs + [COUNTER])
    if name in ("add", "sub"):
        return word(name, dest, ra, COUNTER if name == "sub" and ra == rb else rb)
    if name == "mov":
        return word("mov", dest, rb if rb != dest else COUNTER)
    return word(name, dest, ra, rng.randint(*(MULI if name == "muli" else IMM)))


def generate(rng: random.Random, d: int) -> str:
    if d < 1:
        raise ValueError(f"emulate: difficulty (instructions executed) must be >= 1, got {d}")
    if d == 1:
        code = [word("halt")]
    else:
        code = (straight if d < BRANCH_FROM else branch if d < LOOP_FROM else loop)(rng, d)
    return "\n".join(program_lines(code))
