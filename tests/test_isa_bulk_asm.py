"""isa/bulk_asm.py and isa/jit_many.py: many canonical listings assembled in one compiled pass and run in one engine
call. Held to isa.asm and isa.machine.run: a listing the pass takes gives the assembler's code word for word and the
JIT tier's run exactly; one it does not take (any other form, or an error) is left to isa.asm, never guessed at."""
from __future__ import annotations

import random

import numpy as np
import pytest

from bench.tasks import emulate_gen
from isa import jit
from isa.asm import AsmError, assemble
from isa.bulk_asm import assemble_listings
from isa.jit_many import SKIP, run_listings
from isa.machine import run

LEVELS = (1, 2, 4, 8, 16, 32)
# Canonical listings the generator never writes: every operand kind, calls and returns (pcs count from the program's
# own start), a trap of each kind, a run out of fuel, large and negative immediates.
HAND = [
    "halt",
    "li r1, -999999999999999999\nli r2, 999999999999999999\nadd r1, r1, r2\nhalt",
    "call L3\nmov r1, r15\nhalt\nL3: mov r1, r15\nret",
    "li r2, 4\njr r2\nhalt\nhalt\nL4: li r1, 7\nhalt",
    "li r2, 0\ndivi r1, r2, 0\nhalt",
    "li r1, 5\nL1: addi r1, r1, 1\njmp L1",
    "li r1, 3",
    "li r1, 1\nshli r1, r1, 63\nsubi r1, r1, 1\nhalt",
    "li r3, 9\nL1: subi r3, r3, 1\nslt r4, r3, r0\nbeqi r4, 0, L1\nmov r1, r3\nhalt",
]
# Texts isa.asm accepts but not in the canonical form (each must go to isa.asm), and texts it refuses.
OTHER_FORMS = ["HALT", "li r1,3\nhalt", "li r1, 3 ; three\nhalt", "li  r1, 3\nhalt", "li r1, 3\n\nhalt", "halt\n",
               "li lr, 3\nhalt", "li r1, 007\nhalt", "li r1, -0\nhalt", "li r1, 0x10\nhalt", "loop: jmp loop",
               "L0:\nhalt", "L1: halt\njmp L1", "jmp L1\nL1: halt\n", "ld r1, [r0]\nhalt", "li r1, 'a'\nhalt",
               "li r1, 9223372036854775807\nhalt", "li r1, 3\r\nhalt", "\thalt", "li r1, L1\nL1: halt", ""]
REFUSED = ["jmp L5\nhalt", "L1: jmp L1\nL1: halt", "li r16, 3\nhalt", "lii r1, 3\nhalt", "add r1, r2\nhalt",
           "li r1, 99999999999999999999\nhalt", "jmp L2\nhalt\nL2:"]


def generated(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [emulate_gen.generate(rng, LEVELS[k % len(LEVELS)]) for k in range(n)]


def program_of(listings, p: int):
    """(code rows, runlen) of listing p, its sentinel row cut off."""
    lo, hi = listings.starts[p], listings.starts[p + 1]
    return listings.code.reshape(-1, 4)[lo:hi - 1], listings.runlen[lo:hi]


def test_generated_listings_are_canonical_and_give_the_assemblers_code():
    texts = generated(600) + HAND
    listings = assemble_listings(texts)
    assert listings.canonical.all() and len(listings.starts) == len(texts) + 1
    for p, text in enumerate(texts):
        code, runlen = program_of(listings, p)
        program = assemble(text)
        assert code.tolist() == program.code.tolist(), text
        assert runlen.tolist() == jit.prepare(program).runlen.tolist(), text
        assert listings.code.reshape(-1, 4)[listings.starts[p + 1] - 1].tolist() == [jit.FALL_OFF, 0, 0, 0]


@pytest.mark.parametrize("text", OTHER_FORMS + REFUSED)
def test_other_forms_and_errors_are_left_to_the_assembler(text):
    listings = assemble_listings(["li r1, 1\nhalt", text, "li r1, 2\nhalt"])
    assert listings.canonical.tolist() == [True, False, True]
    assert program_of(listings, 1)[0].shape == (0, 4)  # its program is empty: the sentinel alone
    assert program_of(listings, 2)[0].tolist() == assemble("li r1, 2\nhalt").code.tolist()  # the next is untouched


def test_other_forms_assemble_and_refused_ones_raise():
    """The lists above say what they claim: isa.asm takes every text of OTHER_FORMS and refuses every one of REFUSED."""
    for text in OTHER_FORMS:
        assemble(text)
    for text in REFUSED:
        with pytest.raises(AsmError):
            assemble(text)


def test_a_damaged_listing_is_either_the_assemblers_program_or_left_to_it():
    """Single-character damage at random: wherever the pass still calls a listing canonical, isa.asm assembles it to
    the same words; wherever isa.asm refuses it, the pass never took it."""
    rng, pool = random.Random(7), "rL0123456789-, :\n;abxyz\t[]"
    texts = []
    for text in generated(1500, seed=1):
        at = rng.randrange(len(text) + 1)
        how = rng.randrange(3)
        texts.append(text[:at] + (rng.choice(pool) if how else "") + text[at + (how != 2):])
    listings = assemble_listings(texts)
    taken = 0
    for p, text in enumerate(texts):
        try:
            program = assemble(text)
        except AsmError:
            assert not listings.canonical[p], text
            continue
        if listings.canonical[p]:
            taken += 1
            assert program_of(listings, p)[0].tolist() == program.code.tolist(), text
    assert 30 < taken < len(texts)  # the damage both kept some listings canonical and broke others


def test_a_nul_or_non_ascii_text_leaves_every_text_to_the_assembler():
    for bad in ("li r1, 1\x00\nhalt", "li r1, 1 ; é\nhalt"):
        listings = assemble_listings(["halt", bad, "halt"])
        assert not listings.canonical.any() and len(listings.starts) == 4
    assert len(assemble_listings([]).canonical) == 0


@pytest.mark.parametrize("fuel", [10_000, 5])
def test_each_row_runs_exactly_as_its_program_alone(fuel):
    texts = generated(300, seed=2) + HAND + ["ld r1, [r0]\nhalt"]
    out = run_listings(texts, 16, fuel)
    assert out.canonical.tolist() == [True] * (len(texts) - 1) + [False]
    assert out.status[-1] == SKIP and out.steps[-1] == 0
    for p, text in enumerate(texts[:-1]):
        alone = run(assemble(text), 16, fuel=fuel, tier="jit")
        assert (out.status[p], out.pcs[p], out.steps[p]) == (int(alone.status), alone.pc, alone.steps), text
        assert out.regs[p].tolist() == alone.regs.tolist(), text
    assert len({int(s) for s in out.status[:-1]}) >= (4 if fuel > 5 else 2)  # halts and traps both seen


def test_threads_give_the_same_rows():
    texts = generated(200, seed=3) + HAND
    one, two = run_listings(texts, 16, 10_000, 1), run_listings(texts, 16, 10_000, 2)
    for a, b in ((one.status, two.status), (one.steps, two.steps), (one.regs, two.regs), (one.pcs, two.pcs)):
        assert np.array_equal(a, b)
