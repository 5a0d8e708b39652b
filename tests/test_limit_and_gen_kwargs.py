"""--limit (the first N instances of every cell, a prefix of the full run that the full run resumes) and --gen-kwargs
(max new tokens and stop strings in lm-eval's form: part of the generated records' key and the folder's name)."""
from __future__ import annotations

import argparse

import pytest

from bench import records
from bench.cli import main as cli_main
from bench.run_args import add_arguments
from bench.run_out import default_out
from bench.gen_kwargs import GenKwargs, parse_gen_kwargs
from bench.runner import RunConfig, plan, run
from bench.sides import SideOptions
from bench.tasks import TASKS, get_task
from test_harness_run import scripted  # noqa: F401 - the fixture: replies from a function, no model


@pytest.mark.parametrize("name", list(TASKS))
def test_fewer_instances_are_the_first_of_more(name):
    """What makes --limit safe: a cell's first k instances are the same whatever n drew it."""
    task = get_task(name)
    for d in task.difficulties:
        assert task.instances(d, 7, seed=2) == task.instances(d, 40, seed=2)[:7]


def config(tmp_path, **kw) -> RunConfig:
    base = dict(out=tmp_path / "run", tasks=["add", "wordfreq"], backends=["llm"], difficulties=[2, 4], n=8,
                side=SideOptions(batch_size=3), progress=False)
    base.update(kw)
    return RunConfig(**base)


def half_right(prompt: str) -> str:
    """Deterministic replies: the right sum for even first operands, a wrong one otherwise; counts as asked."""
    if prompt.startswith("count words: "):
        return get_task("wordfreq").reference(prompt.removeprefix("count words: ").removesuffix(" ="))
    a, b = prompt.rstrip("=").split("+")
    return str(int(a) + int(b) + int(a) % 2)


def answers(cfg) -> set[tuple]:
    return {(r["key"], r["answer"], r["exact"], r["cell_size"]) for r in records.load(cfg.out / "records.jsonl").records}


def test_a_limited_run_is_the_full_runs_prefix_and_the_full_run_resumes_it(tmp_path, scripted, capsys):  # noqa: F811
    backend = scripted(half_right)
    limited = config(tmp_path, limit=3)
    assert [len(g.instances) for g in plan(limited)] == [3, 3, 3, 3]
    assert [g.instances for g in plan(limited)] == [g.instances[:3] for g in plan(config(tmp_path))]
    first = run(limited)
    assert (first.done, first.skipped) == (12, 0)
    assert set(first.planned.values()) == {3}  # planned as limited: a limited run's levels are not "incomplete"
    backend.calls.clear()
    capsys.readouterr()
    rest = run(config(tmp_path, progress=True))  # the same folder, without --limit
    assert (rest.done, rest.skipped) == (20, 12)
    assert "llm add d2: 5 answered in" in capsys.readouterr().err  # two chunks (3 + 2), counted together
    assert len(backend.answered()) == 20  # only what the limited run had not asked
    fresh = config(tmp_path, out=tmp_path / "fresh")
    run(fresh)
    assert answers(config(tmp_path)) == answers(fresh) and len(answers(fresh)) == 32
    assert {r[3] for r in answers(fresh)} == {8}  # every record says how many instances its cell holds in full


def parse(*argv: str):
    p = argparse.ArgumentParser()
    add_arguments(p)
    return p.parse_args(list(argv))


def test_limit_keeps_the_full_runs_folder_and_gen_kwargs_and_method_get_their_own():
    tasks = ["add"]
    full = default_out(parse("--tasks", "add"), tasks, list(TASKS))
    assert default_out(parse("--tasks", "add", "--limit", "5"), tasks, list(TASKS)) == full
    gen = default_out(parse("--tasks", "add", "--gen-kwargs", "max_new_tokens=8"), tasks, list(TASKS))
    other = default_out(parse("--tasks", "add", "--gen-kwargs", "max_new_tokens=9"), tasks, list(TASKS))
    assert len({full, gen, other}) == 3 and gen.name.startswith(full.name + "_gen-")
    assert default_out(parse("--tasks", "add", "--method", "loglikelihood"), tasks, list(TASKS)).name == \
        full.name + "_loglikelihood"


@pytest.mark.parametrize("text, parsed", [
    ('max_new_tokens=32,until=["\\n"]', GenKwargs(32, ("\n",))),
    ('until=["\\n\\n","Q:"], max_gen_toks=5', GenKwargs(5, ("\n\n", "Q:"))),
    ("until=Q:", GenKwargs(None, ("Q:",))),
    ("until=\\n", GenKwargs(None, ("\n",))),
    ("do_sample=false,temperature=0.0", GenKwargs()),
])
def test_gen_kwargs_in_lm_evals_form(text, parsed):
    assert parse_gen_kwargs(text) == parsed


@pytest.mark.parametrize("text, message", [
    ("top_p=0.9", "unknown generation setting 'top_p'; isabench knows: max_new_tokens"),
    ("max_new_tokens=0", r"max_new_tokens=0: expected an integer in 1\.\.65,536"),
    ("max_new_tokens=lots", "max_new_tokens=lots: expected an integer"),
    ("until=[]", "give at least one stop string"),
    ('until=["a",1]', "expected a list of strings"),
    ("until=[\"a\"", "not a JSON list of strings"),
    ("do_sample=true", "isabench decodes greedily"),
    ("temperature=0.7", "isabench decodes greedily"),
    ("max_new_tokens=3,max_gen_toks=4", "max_new_tokens is given twice"),
    ("32", "expected name=value pairs"),
])
def test_unknown_or_bad_gen_kwargs_are_refused_saying_why(text, message):
    with pytest.raises(ValueError, match=message):
        parse_gen_kwargs(text)


def test_the_cli_refuses_them_before_any_work(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        cli_main(["run", "--tasks", "add", "--gen-kwargs", "top_k=5", "--out", str(tmp_path / "x")])
    assert stop.value.code == 2 and not (tmp_path / "x").exists()
    assert "unknown generation setting 'top_k'" in capsys.readouterr().err


def stop_strings_of(backend) -> list[list[str]]:
    """The stop strings of every generate call to the scripted backend, as they come."""
    stops, plain_generate = [], backend.generate
    backend.generate = lambda prompts, budget, stop=("\n",): stops.append(list(stop)) or plain_generate(
        prompts, budget, stop)
    return stops


def test_gen_kwargs_shape_the_answers_and_key_them_apart(tmp_path, scripted):  # noqa: F811
    backend = scripted(lambda prompt: "7")
    stops = stop_strings_of(backend)
    run(config(tmp_path))
    own = {budget for _, budget in backend.calls} - {2}  # each task's own budget for its longest instance
    assert len(own) > 2 and 5 not in own and stops and all(s == ["\n"] for s in stops)
    gen = parse_gen_kwargs('max_new_tokens=5,until=["\\n","Q:"]')
    backend.calls.clear()
    stops.clear()
    again = run(config(tmp_path, side=SideOptions(batch_size=3, gen_kwargs=gen)))
    assert (again.done, again.skipped) == (32, 0)  # nothing reused from the run without them
    assert {budget for _, budget in backend.calls} - {2} == {5} and ["\n", "Q:"] in stops
    recs = records.load(tmp_path / "run" / "records.jsonl").records
    settings = {r["setting"] for r in recs}
    assert settings == {"generate;compact/0shot;chat=0", 'generate;compact/0shot;chat=0;gen=max_new_tokens=5,'
                                                         'until=["\\n","Q:"]'}
    assert {str(r.get("gen_kwargs")) for r in recs} == {"None", "{'max_new_tokens': 5, 'until': ['\\n', 'Q:']}"}


def test_gen_kwargs_leave_the_hybrids_program_writing_alone(tmp_path, scripted):  # noqa: F811
    """The hybrid writes programs with its own budget and its blank-line stop; its setting does not name them."""
    from bench import hybrid

    backend = scripted(lambda prompt: "li r1, 7\nhalt")
    stops = stop_strings_of(backend)
    gen = parse_gen_kwargs('max_new_tokens=5,until=["Q:"]')
    assert not run(config(tmp_path, tasks=["add"], backends=["hybrid"], n=2,
                          side=SideOptions(batch_size=3, gen_kwargs=gen))).failures
    assert stops and all(s == [hybrid.STOP] for s in stops) and 5 not in {b for _, b in backend.calls}
    recs = records.load(tmp_path / "run" / "records.jsonl").records
    assert len(recs) == 4 and not any("gen=" in r["setting"] or "gen_kwargs" in r for r in recs)
