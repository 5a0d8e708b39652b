"""The emulate task: golden programs, the generator (determinism, exact executed counts, its documented subset and
value range), the register machine against the reference on every tier, the split on canonical programs, shots,
input errors, prompts in both formats and reply parsing."""
from __future__ import annotations

import random

import pytest

from bench.cli import main
from bench.tasks import PromptSpec, TaskInputError, get_task
from bench.tasks import emulate_gen as gen
from isa import ref, spec
from isa.asm import assemble
from isa.machine import run

TASK = get_task("emulate")
TIERS = ("ref", "jit")
LEVELS = sorted(set(range(1, 41)) | set(TASK.difficulties) | {64})
SUBSET = {"li", "mov", "add", "sub", "mul", "addi", "subi", "muli", "halt",
          "beq", "bne", "blt", "bge", "beqi", "bnei", "blti", "bgei"}


def generated(d: int, n: int, seed: int = 0) -> list[str]:
    rng = random.Random(f"test:{d}:{seed}")
    return [gen.generate(rng, d) for _ in range(n)]


@pytest.mark.parametrize("text, answer, executed", [
    ("halt", "0", 1),
    ("li r1, 3\naddi r1, r1, 4\nhalt", "7", 3),
    ("li r3, 9\nmov r1, r3\nhalt", "9", 3),
    ("li r2, 3\nli r3, 8\nsub r1, r2, r3\nmul r1, r1, r1\nsubi r1, r1, 30\nhalt", "-5", 6),
    ("li r1, 6\nmuli r1, r1, 4\nadd r1, r1, r1\nhalt", "48", 4),
    # not taken: 5 < 2 is false, so subi runs
    ("li r1, 5\nli r2, 2\nblt r1, r2, L4\nsubi r1, r1, 1\nL4: muli r1, r1, 3\nhalt", "12", 6),
    # taken: 1 < 2, so subi is skipped
    ("li r1, 1\nli r2, 2\nblt r1, r2, L4\nsubi r1, r1, 1\nL4: muli r1, r1, 3\nhalt", "3", 5),
    # 3 + 2 + 1, the loop body and its two counting instructions run three times
    ("li r1, 0\nli r4, 3\nL2: add r1, r1, r4\nsubi r4, r4, 1\nbnei r4, 0, L2\nhalt", "6", 12),
    ("li r1,3;addi r1,r1,4;halt;r1=", "7", 3),
    ("li r1, 3; addi r1, r1, 4; halt", "7", 3),
    ("Q: What is the value of r1 after this register-machine program halts?\nli r1, 3\naddi r1, r1, 4\nhalt\n\nA:",
     "7", 3),
    ("  LI R1, 0x10   ; sixteen\nloop: SUBI r1, r1, 1 # down\n  bnei r1, 0, loop\nhalt\n", "0", 34),
    ("li r2, 5\nst r2, [r0 + 3]\nld r1, [r0 + 3]\nhalt", "5", 4),  # scratch memory for hand-written programs
])
def test_golden_programs(text, answer, executed):
    assert TASK.reference(text) == answer
    assert TASK.difficulty_of(text) == executed
    for tier in TIERS:
        assert TASK.solve_isa(text, tier=tier).answer == answer and TASK.solve_isa(text, tier=tier).steps == executed


def test_canonical_form_normalises_case_spacing_comments_labels_and_numbers():
    assert TASK.canonical("LI R1,0x3 ; three\n\n   ADDI r1,r1,  4\nHALT") == "li r1, 3\naddi r1, r1, 4\nhalt"
    assert TASK.canonical("li r4, 2\nloop: subi r4, r4, 1\nbnei r4, 0, loop\nhalt") == \
        "li r4, 2\nL1: subi r4, r4, 1\nbnei r4, 0, L1\nhalt"
    text = "li r1, 5\nli r2, 2\nblt r1, r2, L4\nsubi r1, r1, 1\nL4: muli r1, r1, 3\nhalt"
    for fmt in ("compact", "gpt3"):  # a prompt pasted back is the same problem
        assert TASK.canonical(TASK.prompt(text, PromptSpec(fmt))) == text


def test_generator_is_deterministic_and_varied():
    for d in TASK.difficulties:
        a, b = generated(d, 20, seed=1), generated(d, 20, seed=1)
        assert a == b
        assert d == 2 or len(set(a)) > 15
    assert [i.text for i in TASK.instances(8, 30, seed=3)] == [i.text for i in TASK.instances(8, 30, seed=3)]
    assert TASK.instances(8, 30, seed=3) != TASK.instances(8, 30, seed=4)


def reads_and_writes(words) -> tuple[list[int], int | None]:
    """Registers an instruction of the subset reads, and the one it writes."""
    op = spec.BY_CODE[int(words[0])]
    regs = [int(words[1 + i]) for i, kind in enumerate(op.operands) if kind == "r"]
    if op.name == "halt":
        return [], None
    if op.group == "control":
        return regs, None
    return regs[1:], regs[0]


@pytest.mark.parametrize("d", LEVELS)
def test_every_program_executes_exactly_its_level_within_the_documented_subset(d):
    for text in generated(d, 15, seed=d):
        assert gen.generate(random.Random(0), 1) == "halt"
        program = assemble(text)
        assert gen.program_lines(program.code) == text.split("\n")  # generated text is already canonical
        for tier in TIERS:
            result = run(program, fuel=10 * d, backend=tier)
            assert result.ok and result.steps == d, (tier, text)
        assert {spec.BY_CODE[int(w[0])].name for w in program.code} <= SUBSET
        assert program.code[-1][0] == spec.OP_HALT and TASK.difficulty_of(text) == d
        # Every value at every step within +-999, and no register read before the program sets it.
        set_regs, biggest = {0}, [0]

        def watch(pc, regs):
            reads, writes = reads_and_writes(program.code[pc])
            assert set(reads) <= set_regs, (text, pc)
            if writes is not None:
                set_regs.add(writes)
            biggest[0] = max(biggest[0], *map(abs, regs))

        regs = [0] * spec.NUM_REGS
        ref.execute(program.code.tolist(), [], regs, 10 * d, trace=watch)
        assert max(biggest[0], *map(abs, regs)) <= gen.LIMIT
        written, control = len(program.code), dict(TASK.facets_of(text))["control"]
        assert dict(TASK.facets_of(text))["written"] == str(written)
        if d < gen.BRANCH_FROM:
            assert written == d and control == "straight"
        elif d < gen.LOOP_FROM:
            assert written >= d and control == "branch"
        else:
            assert written < d and control == "loop"


def test_the_answer_depends_on_the_program_not_just_the_inputs():
    texts = generated(16, 200)
    answers = {TASK.reference(t) for t in texts}
    assert len(answers) > 50
    # r1 is written by the last instruction before halt, or (loops) inside the body
    for text in generated(6, 50):
        assert text.split("\n")[-2].split()[1] == "r1,"


def test_isa_agrees_with_the_reference_on_every_tier():
    for d in TASK.difficulties:
        texts = [i.text for i in TASK.instances(d, 60, seed=5)] + [i.text for i in TASK.instances(d, 20, seed=5, split="train")]
        assert len(texts) >= 10 if d == 2 else len(texts) == 80
        expected = [TASK.reference(t) for t in texts]
        for tier in TIERS:
            got = TASK.solve_isa_many(texts, tier=tier)
            assert [g.answer for g in got] == expected
            assert {g.status for g in got} == {"HALTED"} and {g.steps for g in got} == {d}
            assert TASK.solve_isa(texts[0], tier=tier) == got[0]


def test_split_is_disjoint_on_canonical_programs_and_shots_come_from_training():
    for d in TASK.difficulties:
        test = {TASK.canonical(i.text) for i in TASK.instances(d, 150, seed=2, split="test")}
        train = {TASK.canonical(i.text) for i in TASK.instances(d, 400, seed=2, split="train")}
        assert train and not test & train
        assert test or d == 2  # level 2 (`li r1, 0..9`) holds just 10 programs
    inst = TASK.instances(8, 1, seed=0)[0]
    shots = TASK.shots(inst, 3, seed=1)
    assert len({t for t, _ in shots}) == 3 and shots == TASK.shots(inst, 3, seed=1)
    for text, answer in shots:
        assert TASK.in_split(text, "train") and TASK.difficulty_of(text) == 8 and answer == TASK.reference(text)
    prompt = TASK.prompt(inst, PromptSpec("gpt3", 3, seed=1))
    blocks = prompt.split("\n\n")
    assert len(blocks) == 2 * 4 and blocks[1] == f"A: {shots[0][1]}" and blocks[-1] == "A:"
    compact = TASK.prompt(inst, PromptSpec("compact", 2, seed=1)).split("\n")
    assert compact == [TASK.prompt(shots[0][0]) + shots[0][1], TASK.prompt(shots[1][0]) + shots[1][1],
                       TASK.prompt(inst.text)]


def test_no_held_out_program_is_in_the_training_stream():
    from bench.train_data import sample_train_text

    assert set(TASK.training_mix) == set(TASK.difficulties)
    rng = random.Random(0)
    for d in TASK.difficulties:
        held_out = {TASK.canonical(i.text) for i in TASK.instances(d, 200, seed=9, split="test")}
        trained = {TASK.canonical(sample_train_text(rng, TASK, d)) for _ in range(600)}
        assert not held_out & trained and len(trained) > 8


@pytest.mark.parametrize("text, message", [
    ("li r1, 3\nadd r1, r1, 4\nhalt", r"program:2:13: error: bad register: got '4'"),
    ("li r1, 3; addx r1, r1, 4; halt", r"program:1:11: error: unknown mnemonic: got 'addx'.*\(statement 2\)"),
    ("li r1, 3\njmp nowhere\nhalt", r"program:2:5: error: undefined label"),
    ("l: jmp l", r"does not halt within 10000 instructions"),
    ("li r2, 20\nld r1, [r2]\nhalt", r"MEM_OOB at pc 1 \(line 2\)"),
    ("li r2, 0\ndiv r1, r1, r2\nhalt", r"DIV_ZERO at pc 1"),
    ("li r1, 3", r"BAD_PC at pc 1"),
    (".data\nx: .word 4\n.text\nhalt", r"data section"),
    ("# nothing here", r"no instructions"),
    ("", r"no instructions"),
    ("li r1, 3 \u2192 halt", r"ASCII"),
])
def test_bad_programs_are_rejected_with_a_located_message_or_the_trap(text, message):
    with pytest.raises(TaskInputError, match=message):
        TASK.parse(text)
    with pytest.raises(TaskInputError, match=message):
        TASK.reference(text)


@pytest.mark.parametrize("tier", TIERS)
def test_a_text_that_does_not_assemble_is_named_in_a_batch_on_every_tier(tier):
    """On jit most of a batch goes through the one-pass assembler; the text it leaves to isa.asm still gets the
    assembler's located message, and traps are answers (the machine's status), as on every tier."""
    good = [i.text for i in TASK.instances(8, 5, seed=1)]
    with pytest.raises(TaskInputError, match=r"program:2:13: error: bad register: got '4'"):
        TASK.solve_isa_batch(good + ["li r1, 3\nadd r1, r1, 4\nhalt"] + good, tier)
    with pytest.raises(TaskInputError, match=r"ASCII assembly text"):
        TASK.solve_isa_batch(good + [None], tier)
    out = TASK.solve_isa_batch(good + ["li r2, 0\ndiv r1, r1, r2\nhalt", "li r1, 3"], tier)
    assert out.status[-2:] == ["DIV_ZERO", "BAD_PC"] and list(out.steps[-2:]) == [1, 1]
    assert out.values[:-2] == [TASK.reference(t) for t in good]


def test_loading_the_listing_pass_is_the_batchs_compile_time_once(monkeypatch):
    from isa import jit_many

    texts = [i.text for i in TASK.instances(8, 5, seed=2)]
    TASK.solve_isa_batch(texts, "jit")
    monkeypatch.setattr(jit_many, "_loaded", False)  # as in a fresh process: the next batch loads the pass
    assert TASK.solve_isa_batch(texts, "jit").compile_s > 0.0
    assert TASK.solve_isa_batch(texts, "jit").compile_s == 0.0


def test_solve_cli_reads_a_multi_line_program(capsys):
    for backend in ("isa", "reference"):
        assert main(["solve", "emulate", "li r1, 3\naddi r1, r1, 4\nhalt", "--backend", backend]) == 0
        assert capsys.readouterr().out == "7\n"
    assert main(["solve", "emulate", "li r1, 3\nadd r1, r1, 4\nhalt"]) == 2
    err = capsys.readouterr().err
    assert "program:2:13: error: bad register" in err and "Traceback" not in err


def test_prompts_in_both_formats():
    text = "li r1, 3\naddi r1, r1, 4\nhalt"
    assert TASK.prompt(text, PromptSpec("gpt3")) == (
        "Q: What is the value of r1 after this register-machine program halts?\nli r1, 3\naddi r1, r1, 4\nhalt\n\nA:")
    assert TASK.prompt(text) == "li r1,3;addi r1,r1,4;halt;r1="
    loop = "li r1, 0\nli r4, 3\nL2: add r1, r1, r4\nsubi r4, r4, 1\nbnei r4, 0, L2\nhalt"
    assert TASK.prompt(loop) == "li r1,0;li r4,3;L2:add r1,r1,r4;subi r4,r4,1;bnei r4,0,L2;halt;r1="
    assert TASK.prompt(loop, PromptSpec("gpt3")).split("\n")[1:-2] == loop.split("\n")


def test_every_default_levels_longest_compact_prompt_fits_the_embedded_model():
    """256 positions: [BOS] + prompt + answer budget, with room to spare, over many programs of every level."""
    for d in TASK.difficulties:
        texts = [i.text for i in TASK.instances(d, 300, seed=4)] + [i.text for i in TASK.instances(d, 300, seed=4, split="train")]
        longest = max(texts, key=lambda t: len(TASK.prompt(t)))
        assert "\n" not in TASK.prompt(longest)
        assert 1 + len(TASK.prompt(longest)) + TASK.max_new_tokens(longest) <= 200, (d, TASK.prompt(longest))
        assert all(len(TASK.reference(t)) + 1 <= TASK.max_new_tokens(t) for t in texts)
    # the worst case the shapes allow: 3 inputs, 2 before, the counter, 3 in the body, 2 counting, 2 after, halt
    assert max(len(assemble(t).code) for d in (16, 32, 64) for t in generated(d, 300)) <= 14


@pytest.mark.parametrize("reply, parsed", [("7", "7"), (" -12\n", "-12"), ("-007", "-7"), ("r1 = 7", None),
                                           ("garbage", None), ("", None)])
def test_reply_parsing(reply, parsed):
    assert TASK.parse_reply(reply) == parsed


def test_compiling_each_program_is_part_of_answering_it(tmp_path, monkeypatch):
    """Every emulate program is new, so the compiled tier compiles each: that time is inside the answer's time
    (compile_s, shown apart too), not set-up, and the answers are the reference's."""
    from bench.side_isa import IsaSide
    from bench.sides import SideOptions
    from bench.tasks import Instance

    monkeypatch.setenv("ISABENCH_CACHE_DIR", str(tmp_path))
    task = get_task("emulate")
    texts = [i.text for i in task.instances(4, 3, seed=7, split="test")]
    texts = [f"li r9, {random.Random(s).randrange(10**6)}\n" + t for s, t in enumerate(texts)]  # never cached yet
    side = IsaSide(SideOptions(tier="compiled"))
    side.start([task])
    [who] = side.contestants(task)
    rows = side.answer(task, who, [Instance("emulate", 4, i, 0, t) for i, t in enumerate(texts)])
    assert all(r["compile_s"] > 0 for r in rows) and not any(r.get("error") for r in rows)
    per_answer = rows[0]["batch_s"] / rows[0]["batch_size"]
    assert per_answer == pytest.approx(rows[0]["machine_s"] + rows[0]["glue_s"] + rows[0]["compile_s"])
    assert [r["answer"] for r in rows] == [task.solve_isa(t, "ref").answer for t in texts]
    assert task.solve_isa_batch(texts, tier="compiled").compile_s == 0  # compiled once, then found

HAND_WRITTEN_CONTROL = {
    "li r1, 3\naddi r1, r1, 4\nhalt": "straight",
    "li r1, 0\nbeqi r1, 0, L3\naddi r1, r1, 1\nL3: halt": "branch",
    # a loop that runs fewer instructions than the listing holds (the code after its halt never runs)
    "li r1, 2\nL1: subi r1, r1, 1\nbnei r1, 0, L1\nhalt\naddi r1, r1, 1\naddi r1, r1, 1\naddi r1, r1, 1\n"
    "addi r1, r1, 1\naddi r1, r1, 1": "loop",
    "li r1, 1\nL1: subi r1, r1, 1\nbnei r1, 0, L1\nhalt": "branch",  # the jump back is never taken
    "li r1, 4\nL1: subi r1, r1, 1\nbnei r1, 0, L1\nhalt": "loop",
}


@pytest.mark.parametrize("text, control", list(HAND_WRITTEN_CONTROL.items()))
def test_control_reads_the_run_where_its_length_cannot_tell(text, control):
    """The facet is the traced run's verdict whether or not the run's length is given (it decides only where it can:
    no jump at all, or more executed than written)."""
    from bench.tasks.emulate import analyse, control_of

    program, _, result = analyse(text)
    assert control_of(program) == control_of(program, result.steps) == control
    assert dict(TASK.facets_of(text))["control"] == control


def test_control_with_and_without_the_run_length_agree_on_generated_programs():
    from bench.tasks.emulate import analyse, control_of

    for d in (2, 5, 8, 12, 16, 23, 32):
        for text in generated(d, 40):
            program, _, result = analyse(text)
            assert control_of(program, result.steps) == control_of(program), text
