"""The house's single places: one table of tiers (dispatch and "auto"), one registry of sides, task hooks, and the
ISA records' identity over exactly what an answer depends on (issue 21)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from bench import cli, isa_identity, runner, sides
from bench.side import Contestant, Side
from bench.tasks import get_task
from isa import library, tiers
from isa.asm import assemble
from isa.machine import run, run_batch


def test_a_tier_added_to_the_table_runs_everywhere(monkeypatch):
    """Adding a tier is one row of isa.tiers.TIERS: run, run_batch and library solves reach it through the table."""
    calls = []

    def doubled_ref(program, mem, sizes, regs, fuel, threads, keep):
        calls.append(len(mem))
        return tiers.TIERS["ref"].rows(program, mem, sizes, regs, fuel, threads, keep)

    monkeypatch.setitem(tiers.TIERS, "probe", tiers.Tier("probe", False, doubled_ref, "a test tier"))
    program = assemble("li r1, 6\nmuli r1, r1, 7\nhalt")
    assert run(program, tier="probe").regs[1] == 42 and run(program, tier="probe").tier == "probe"
    assert run_batch(program, np.zeros((3, 1), np.int64), tier="probe").regs[:, 1].tolist() == [42, 42, 42]
    assert library.solve("add", (98, 45), tier="probe").value == 143
    assert calls == [1, 1, 3, 1]


def test_auto_is_resolved_in_one_place_by_the_calls_budget():
    assert tiers.resolve("auto", tiers.AUTO_REF_STEPS) == "ref"
    assert tiers.resolve("auto", tiers.AUTO_REF_STEPS + 1) == "compiled"
    assert tiers.resolve(None) == tiers.DEFAULT
    with pytest.raises(ValueError, match="unknown tier 'gpu'; expected one of 'ref', 'jit', 'compiled' or 'auto'"):
        tiers.resolve("gpu")
    program = assemble("li r1, 1\nhalt")
    assert run(program, tier="auto", fuel=10).tier == "ref"
    assert run(program, tier="auto").tier == "compiled"  # the default budget is far above the crossing
    # a batch's budget is fuel x rows: many small rows cross it together
    rows = tiers.AUTO_REF_STEPS // 10 + 1
    assert run_batch(program, np.zeros((rows, 1), np.int64), fuel=10, tier="auto").tier == "compiled"
    sentiment = get_task("sentiment")
    assert sentiment.solve_isa("Not bad at all.", "auto", "lexicon").tier == "ref"  # one sentence: a small run
    assert get_task("emulate").solve_isa("li r1, 3; addi r1, r1, 4; halt", "auto").tier == "ref"


@pytest.mark.parametrize("task, text, tier", [("square", "12345", "ref"), ("square", "9" * 200, "compiled")])
def test_solve_json_names_the_tier_that_ran(task, text, tier, capsys):
    assert cli.main(["solve", task, text, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tier"] == tier


class EchoSide(Side):
    """A side the harness has never heard of: registering it is the only change needed."""

    name = "echo"

    def contestants(self, task):
        return [Contestant("echo", "echo@1", "")]

    def answer(self, task, who, instances):
        return [{"raw": task.answer_of(i), "answer": task.answer_of(i), "status": "ok", "batch_s": 1e-6,
                 "batch_size": len(instances)} for i in instances]


def test_a_side_added_to_the_registry_runs(monkeypatch, tmp_path):
    monkeypatch.setitem(sides.SIDES, "echo", (__name__, "EchoSide", "a test side"))
    cfg = runner.RunConfig(out=tmp_path, tasks=["add"], backends=["echo"], difficulties=[1], n=3, progress=False)
    assert runner.run(cfg).done == 3
    with pytest.raises(ValueError, match="known|choose from"):
        sides.make_side("nope", sides.SideOptions())


def test_task_hooks_replace_task_names_in_generic_code():
    assert get_task("emulate").figure == "bench.plots_emulate:plot_emulate"
    assert get_task("sentiment").headline_facets == ("site",) and get_task("add").headline_facets == ()


def test_code_tokens_ignore_comments_docstrings_and_layout_but_not_code():
    a = 'def f(x):\n    """Doc."""\n    return x + 1  # one\n'
    b = 'def f(x):\n    """Another doc,\n    two lines."""\n\n    # a comment\n    return x + 1\n'
    c = 'def f(x):\n    """Doc."""\n    return x + 2\n'
    d = 'def f(x):\n    y = "not a docstring"\n    return x + 1\n'
    tokens = isa_identity.code_tokens
    assert tokens(a) == tokens(b) != tokens(c)
    assert "not a docstring" in tokens(d)


def test_isa_identity_covers_the_tasks_code_the_program_and_the_semantics():
    add, sub, sentiment = (get_task(n) for n in ("add", "sub", "sentiment"))
    assert isa_identity.isa_identity(add) != isa_identity.isa_identity(sub)  # another program
    modules = isa_identity.task_modules(add)
    assert {"bench.tasks.arith", "bench.tasks.base", "isa.layouts", "isa.spec", "isa.ref"} <= set(modules)
    assert "isa.sentiment" in isa_identity.task_modules(sentiment) and "isa.sentiment" not in modules
    assert len(isa_identity.isa_identity(add)) == 12
    assert isa_identity.program_words(get_task("emulate")) == b""  # the instance is the program
