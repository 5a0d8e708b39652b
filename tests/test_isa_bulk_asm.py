"""isa/bulk_asm.py and isa/jit_many.py: many canonical listings assembled in one compiled pass and run in one engine
call. Held to isa.asm and isa.machine.run: a listing the pass takes gives the assembler's code word for word and the
JIT tier's run exactly; one it does not take (any other form, or an error) is left to isa.asm, never guessed at."""
from __future__ import annotations

import random

import numpy as np
import pytest

from bench.tasks import emulate_gen
from isa import jit, jit_many, slices
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


# Cases a mutation sweep found no test noticing: two-digit labels, malformed label definitions, a label left over
# from a failed listing, the fallback layout, a jump past the program's end, runs over several slices, compile_s,
# the widest int64s, the listing pass's machine time when some text goes alone.

def test_labels_and_jump_targets_past_line_nine_are_canonical():
    text = "\n".join([f"li r{k + 2}, {k}" for k in range(10)]
                     + ["L10: addi r1, r1, 1", "blti r1, 5, L10", "L12: bnei r1, 5, L12", "halt"])
    listings = assemble_listings(["halt", text])
    assert listings.canonical.tolist() == [True, True]
    program = assemble(text)
    code, runlen = program_of(listings, 1)
    assert code.tolist() == program.code.tolist()
    assert runlen.tolist() == jit.prepare(program).runlen.tolist()


# Label definitions that are not `L<j>: ` with j written as isa.asm would: taken, each would give a wrong program
# (the first two of each pair) or take a form that is not canonical (the others).
LABEL_REFUSED = ["L: jmp L0", "L00: jmp L0", "li r1, 1\nL01: jmp L1", "jmp L999999999\nhalt"]
LABEL_OTHER = ["L: halt", "L00: halt", "li r1, 1\nL01: halt"]


@pytest.mark.parametrize("text", LABEL_REFUSED + LABEL_OTHER)
def test_malformed_label_definitions_are_left_to_the_assembler(text):
    listings = assemble_listings(["li r1, 1\nhalt", text, "li r1, 2\nhalt"])
    assert listings.canonical.tolist() == [True, False, True]
    if text in LABEL_REFUSED:
        with pytest.raises(AsmError):
            assemble(text)
    else:
        assemble(text)


def test_a_label_read_on_a_failed_listing_does_not_carry_over_to_the_next():
    """Listing 0 defines L1 on its line 1 and then fails on that line's mnemonic; listing 1, laid from the next row,
    jumps to its own unlabelled line 0 (isa.asm: undefined label)."""
    texts = ["li r1, 1\nL1: HALT", "jmp L0\nhalt"]
    with pytest.raises(AsmError):
        assemble(texts[1])
    assert assemble_listings(texts).canonical.tolist() == [False, False]


def test_the_fallback_lays_out_an_empty_program_per_text():
    listings = assemble_listings(["halt", "li r1, 1\x00\nhalt", "halt"])
    assert listings.starts.tolist() == [0, 1, 2, 3]
    assert listings.code.reshape(-1, 4).tolist() == [[jit.FALL_OFF, 0, 0, 0]] * 3
    assert listings.runlen.tolist() == [0, 0, 0]


def test_a_jump_past_the_programs_end_is_bad_pc_not_the_next_program():
    texts = ["li r2, 4\njr r2\nhalt", "li r1, 7\nhalt", "li r15, 3\nret\nhalt", "li r1, 8\nhalt"]
    out = run_listings(texts, 16, 10_000)
    for p, text in enumerate(texts):
        alone = run(assemble(text), 16, fuel=10_000, tier="jit")
        assert (out.status[p], out.pcs[p], out.steps[p]) == (int(alone.status), alone.pc, alone.steps), text
        assert out.regs[p].tolist() == alone.regs.tolist(), text
    assert out.status[0] == out.status[2] == int(jit.S_BADPC)


def test_rows_run_over_several_slices_as_they_run_alone(monkeypatch):
    """A slice of 64 steps over all rows: the loops run over many calls; the rows that stopped in the first are not
    run again."""
    monkeypatch.setattr(slices, "SLICE", 64)
    calls, kernel = [], jit_many._execute_many_serial
    monkeypatch.setattr(jit_many, "_execute_many_serial", lambda *args: calls.append(1) or kernel(*args))
    texts = ["halt", "li r1, 0\nL1: addi r1, r1, 1\nblti r1, 100, L1\nhalt", "li r2, 0\ndivi r1, r2, 0\nhalt",
             "li r1, 5\nL1: addi r1, r1, 1\njmp L1", "li r1, 3"]
    for fuel in (10_000, 150):
        calls.clear()
        out = run_listings(texts, 16, fuel)
        assert len(calls) > (100 if fuel == 10_000 else 3)  # the endless loop, alone at the end: 64 steps a call
        for p, text in enumerate(texts):
            alone = run(assemble(text), 16, fuel=fuel, tier="jit")
            assert (out.status[p], out.pcs[p], out.steps[p]) == (int(alone.status), alone.pc, alone.steps), text
            assert out.regs[p].tolist() == alone.regs.tolist(), text


def test_loading_is_compile_s_once_and_never_again(monkeypatch):
    run_listings(["halt"], 16, 10)
    assert run_listings(["halt"], 16, 10).compile_s == 0.0
    monkeypatch.setattr(jit_many, "_loaded", False)  # as in a fresh process: this call loads the code
    assert run_listings(["halt"], 16, 10).compile_s > 0.0


def test_the_widest_int64s_written_many_at_once():
    from isa.text_fields import write_ints

    lo, hi = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    values = np.array([lo] * 50 + [hi, lo + 1, -(10**18), 10**18] * 5, np.int64)
    assert write_ints(values) == [str(int(v)) for v in values]
    assert write_ints(values[::-3]) == [str(int(v)) for v in values[::-3]]  # a strided view, as regs[:, 1] is


def test_the_listing_pass_machine_time_is_kept_when_a_text_goes_alone(monkeypatch):
    from bench.tasks import emulate, get_task

    real_run, write_ints = emulate.listing_tools()

    def slow_run(*args, **kwargs):
        out = real_run(*args, **kwargs)
        out.machine_s = 1000.0  # stands for the one engine call's time
        return out

    monkeypatch.setattr(emulate, "listing_tools", lambda: (slow_run, write_ints))
    out = get_task("emulate").solve_isa_batch(["li r1, 3\nhalt", "LI R1, 4\nHALT"], "jit")
    assert out.values == ["3", "4"] and out.status == ["HALTED", "HALTED"] and list(out.steps) == [2, 2]
    assert out.machine_s >= 1000.0
