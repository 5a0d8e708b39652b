"""The hybrid contestant: a model writes a program, the machine runs it. Every outcome of a bad program is a status,
the prompt shows every operation of a task family, and the cost of the two halves adds up exactly (issue 16)."""
from __future__ import annotations

import pytest

from bench import cli, hybrid, records, timing
from bench.runner import RunConfig, run
from bench.side import Contestant
from bench.side_hybrid import HybridSide
from bench.sides import SideOptions
from bench.summary import summarise
from bench.tasks import TASKS, Instance, PromptSpec, get_task
from llm.interface import Completion


@pytest.mark.parametrize("program, status, answer", [
    ("li r1, 5\nhalt\n", "HALTED", "5"),
    ("li r2, 7\nli r3, 6\nmul r1, r2, r3\nhalt\n", "HALTED", "42"),
    ("", "no-program", None),
    ("The answer is 143.\n", "asm-error", None),
    ("li r1, 1\nli r2, 0\ndiv r1, r1, r2\nhalt\n", "DIV_ZERO", None),
    ("loop: jmp loop\n", "OUT_OF_FUEL", None),
    ("li r1, 3\n", "BAD_PC", None),  # runs off the end: no halt
    ("li r2, 999999\nld r1, [r2 + 0]\nhalt\n", "MEM_OOB", None),
])
@pytest.mark.parametrize("tier", ["ref", "jit", "compiled"])
def test_every_outcome_of_a_written_program_is_a_status(program, status, answer, tier):
    out = hybrid.run_program(program, tier, "42")
    assert (out.status, out.answer) == (status, answer)
    if status == "asm-error":
        assert out.detail.startswith("program:1:")  # the assembler's located message is kept
    if status == "OUT_OF_FUEL":
        assert out.steps == hybrid.FUEL


def test_an_answer_beyond_int64_is_said_not_attempted():
    assert hybrid.run_program("li r1, 1\nhalt\n", "ref", str(2**70)).status == "beyond-int64"
    assert hybrid.run_program("li r1, 1\nhalt\n", "ref", None).status == "HALTED"  # no reference: nothing to check


def test_the_program_is_the_replys_lines_up_to_halt():
    assert hybrid.extract("li r2, 1\n\nli r3, 2\nadd r1, r2, r3\nHALT ; done\nQ: next") == \
        "li r2, 1\nli r3, 2\nadd r1, r2, r3\nHALT ; done\n"
    assert hybrid.extract("  \n") == "" and hybrid.extract("li r1, 2") == "li r1, 2\n"


def test_a_familys_examples_take_turns_so_no_operation_is_favoured():
    add = get_task("add")
    instances = add.instances(2, 12, seed=0)
    firsts = set()
    for inst in instances:
        shots = hybrid.examples(add, inst, 3, seed=0)
        assert sorted(t.name for t, _ in shots) == ["add", "mul", "sub"]
        assert all(t.in_split(text, "train") and text != inst.text for t, text in shots)
        firsts.add(shots[0][0].name)
    assert len(firsts) > 1  # the order starts anywhere in the family, drawn per instance
    prompt = hybrid.prompt(add, instances[0], PromptSpec("gpt3", 3, 0))
    assert prompt.count("\nProgram:\n") == 4 and prompt.endswith("Program:\n") and "A:" not in prompt
    assert f"Q: What is {instances[0].text.replace('+', 'plus')}?\nProgram:\n" in prompt.replace("  ", " ")
    assert hybrid.prompt(add, instances[0], PromptSpec("gpt3", 0, 0)).count("Program:") == hybrid.DEFAULT_SHOTS + 1


def test_every_opted_in_tasks_solved_programs_run_to_their_answers():
    for task in (t for t in TASKS.values() if t.writes_programs):
        d = task.difficulties[-1]
        inst = task.instances(d, 1, seed=3, split="train")[0]
        shots = hybrid.examples(task, inst, 2, seed=1)
        for example_task, text in shots:
            out = hybrid.run_program(example_task.solution_program(text), "ref", example_task.reference(text))
            assert (out.status, out.answer) == ("HALTED", example_task.reference(text)), (task.name, text)
    assert not get_task("wordfreq").writes_programs and not get_task("sentiment").writes_programs


class Writer:
    """A scripted writer: each generate call takes 0.5 s on the clock, 0.4 s of it forward passes; its replies
    are the correct program, garbage or a loop, in turn."""

    def __init__(self, clock=None):
        self.clock, self.calls = clock, 0
        self.info = {"model": "writer", "content_hash": "w1", "dtype": "float32", "device": "cpu",
                     "n_params": 1000, "n_params_non_embedding": 500}

    def reply(self, prompt: str) -> str:
        question = prompt.rsplit("\n\n", 1)[-1]
        a, b = (int(x) for x in question.split("What is ")[1].split("?")[0].split(" plus "))
        self.calls += 1
        return [f"li r2, {a}\nli r3, {b}\nadd r1, r2, r3\nhalt", "I think it is 7", "x: jmp x"][(a + b) % 3]

    def generate(self, prompts, max_new_tokens, stop=("\n",)):
        if self.clock is not None:
            self.clock.advance(0.5)
        return [Completion(self.reply(p), 100, 20, 0.5, len(prompts), 0.4) for p in prompts]


def test_the_two_halves_of_the_cost_add_up_exactly(monkeypatch):
    from tests.test_timing import Clock

    clock = Clock()
    monkeypatch.setattr(timing, "now", clock)

    def scripted_run(program, tier, reference):
        clock.advance(0.001)  # each program: 1 ms to assemble and run, 0.25 ms of it in the engine
        return hybrid.Outcome("HALTED", "5", 12, 0.00025, 0.0)

    monkeypatch.setattr(hybrid, "run_program", scripted_run)
    side = HybridSide(SideOptions(model="writer", prompt=PromptSpec("gpt3", 3, 0)))
    who = Contestant("hybrid: writer", "w", "program", {"method": "program"}, Writer(clock))
    add = get_task("add")
    rows = side.answer(add, who, add.instances(2, 4, seed=0))
    r = rows[0]
    assert r["batch_s"] == pytest.approx(0.5 + 4 * 0.001) and r["repeats"] == 1
    assert r["write_s"] == pytest.approx(0.5 / 4) and r["run_s"] == pytest.approx(0.001)
    assert r["model_s"] == pytest.approx(0.4 / 4) and r["engine_s"] == pytest.approx(0.00025)
    assert r["machine_s"] == pytest.approx(0.4 / 4 + 0.00025)
    assert r["glue_s"] == pytest.approx((0.1 + 4 * 0.00075) / 4)
    assert all(row["flops"] == 2 * 500 * 120 and row["steps"] == 12 for row in rows)
    # each instance of a level's first ALONE_PER_LEVEL written and run once more on its own: 0.5 s + 1 ms, on its row
    assert [row.get("alone_s") for row in rows] == [pytest.approx(0.501)] * 4


def test_three_contestants_through_the_harness(tmp_path, monkeypatch):
    writer = Writer()
    monkeypatch.setattr("llm.runner.load_backend", lambda model=None, **kw: writer)
    cfg = RunConfig(out=tmp_path / "run", tasks=["add", "wordfreq"], backends=["isa", "hybrid"], difficulties=[2],
                    n=9, side=SideOptions(model="writer", prompt=PromptSpec("gpt3", 3, 0)), progress=False)
    result = run(cfg)
    assert any("wordfreq" in f and "no part in the hybrid" in f for f in result.failures)
    recs = [r for r in records.load(cfg.out / records.RECORDS_FILE).records if r["backend"] == "hybrid"]
    assert len(recs) == 9 and all(r["program"] is not None and r["prompt"].endswith("Program:\n") for r in recs)
    for r in recs:
        a, b = map(int, r["instance"].split(" + "))
        expected = {0: ("HALTED", True), 1: ("asm-error", False), 2: ("OUT_OF_FUEL", False)}[(a + b) % 3]
        assert (r["status"], r["exact"]) == expected
        assert r["status"] != "asm-error" or r["detail"].startswith("program:1:")
    summary = summarise(records.load(cfg.out / records.RECORDS_FILE).records).set_index("backend")
    row = summary.loc["hybrid"]
    counts = {s: sum(r["status"] == s for r in recs) for s in ("asm-error", "OUT_OF_FUEL")}
    assert row["outcomes"] == ", ".join(f"{s} {n}" for s, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    assert row["errors"] == 0 and row["isa_contestant"] == "isa" and row["total_ratio_to_isa"] > 0
    assert row["unparsed"] == 0  # a program that failed is an outcome, not also an unparsed reply
    assert row["flops_per_answer"] == 2 * 500 * 120 and row["instructions_per_answer"] > 0


def test_solve_prints_the_program_and_the_answer(monkeypatch, capsys):
    monkeypatch.setattr("llm.runner.load_backend", lambda model=None, **kw: Writer())
    assert cli.main(["solve", "add", "What is 40 plus 2?", "--backend", "hybrid", "--model", "w",
                     "--prompt", "gpt3"]) == 0
    out = capsys.readouterr().out
    assert out == "program:\nli r2, 40\nli r3, 2\nadd r1, r2, r3\nhalt\nanswer: 42\n"
    assert cli.main(["solve", "add", "What is 40 plus 3?", "--backend", "hybrid", "--model", "w",
                     "--prompt", "gpt3"]) == 0
    assert "no answer: asm-error (program:1:" in capsys.readouterr().out


@pytest.mark.smollm2
def test_smollm2_writes_programs_that_run(tmp_path):
    out = tmp_path / "h"
    assert cli.main(["run", "--tasks", "add", "--difficulties", "2", "--backends", "hybrid", "--model", "smollm2",
                     "--prompt", "gpt3", "--shots", "3", "--n", "3", "--out", str(out), "--quiet", "--no-plots"]) == 0
    recs = records.load(out / records.RECORDS_FILE).records
    assert len(recs) == 3 and all(r["program"] and r["status"] in ("HALTED", "asm-error", "BAD_PC") for r in recs)
    assert all(r["write_s"] > r["run_s"] > 0 and r["model_s"] > 0 for r in recs)
