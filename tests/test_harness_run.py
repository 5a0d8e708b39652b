"""The runner's bookkeeping with scripted LLM replies (no torch work): scoring, garbage, interruption and resume."""
from __future__ import annotations

import json

import pytest

from bench import records
from bench.runner import RunConfig, plan, run
from bench.sides import SideOptions
from bench.summary import summarise
from bench.tasks import get_task, task_names
from llm.runner import Completion


class ScriptedBackend:
    """Stands in for llm.runner's backend: replies come from `reply(prompt)`; every generate call is logged."""

    def __init__(self, reply, digest: str = "scripted-1"):
        self.reply = reply
        self.info = {"model": "scripted", "path": None, "content_hash": digest, "dtype": "float32", "device": "cpu",
                     "n_params": 1000, "n_params_non_embedding": 600}
        self.calls: list[tuple[list[str], int]] = []

    def generate(self, prompts, max_new_tokens, stop=("\n",)):
        self.calls.append((list(prompts), max_new_tokens))
        return [Completion(self.reply(p), len(p), 4, 0.02, len(prompts)) for p in prompts]

    def answered(self) -> list[str]:
        """The distinct prompts of answering calls (a few are asked once more alone, to time one answer on its own);
        warm-up calls ask for 2 tokens, every task's budget is larger."""
        return list(dict.fromkeys(p for prompts, budget in self.calls if budget != 2 for p in prompts))


@pytest.fixture
def scripted(monkeypatch):
    def install(reply, digest="scripted-1"):
        backend = ScriptedBackend(reply, digest)
        monkeypatch.setattr("llm.runner.load_backend", lambda model=None, **kw: backend)
        return backend
    return install


def config(tmp_path, **kw) -> RunConfig:
    base = dict(out=tmp_path / "run", tasks=["square", "add"], backends=["llm"], difficulties=[2, 3], n=5,
                side=SideOptions(batch_size=2), progress=False)
    base.update(kw)
    return RunConfig(**base)


def load(cfg) -> list[dict]:
    return records.load(cfg.out / records.RECORDS_FILE).records


def test_reference_backend_scores_every_task_perfectly(tmp_path):
    cfg = RunConfig(out=tmp_path / "ref", tasks=task_names(), backends=["reference"], n=3,
                    progress=False)
    result = run(cfg)
    assert not result.failures
    summary = summarise(load(cfg))
    expected_groups = sum(len(get_task(t).difficulties) for t in cfg.tasks)
    assert len(summary) == expected_groups
    assert (summary["accuracy"] == 1.0).all() and (summary["partial"] == 1.0).all()
    assert (summary["errors"] == 0).all() and (summary["unparsed"] == 0).all()


@pytest.mark.parametrize("tier", ["ref", "compiled"])
def test_every_task_runs_on_every_isa_tier(tmp_path, tier):
    """`run --tier ref|jit|compiled` is advertised for every task: each gives the reference's answers."""
    cfg = RunConfig(out=tmp_path / tier, tasks=task_names(), backends=["isa"], n=2, progress=False,
                    side=SideOptions(tier=tier))
    assert not run(cfg).failures
    summary = summarise(load(cfg))
    computed = summary[summary["ground_truth"] != "labels"]
    assert len(computed) and (computed["accuracy"] == 1.0).all() and (summary["errors"] == 0).all()
    assert set(summary["setting"]) == {f"tier={tier}"}


def test_both_sides_get_identical_instances(tmp_path, scripted):
    scripted(lambda p: "0")
    cfg = config(tmp_path, backends=["reference", "llm"])
    run(cfg)
    by_side: dict[str, set] = {}
    for r in load(cfg):
        by_side.setdefault(r["backend"], set()).add((r["task"], r["difficulty"], r["index"], r["instance"]))
    assert by_side["reference"] == by_side["llm"] and len(by_side["llm"]) == 20
    # ...and the same seed gives the same plan again; another seed does not.
    assert [g.instances for g in plan(cfg)] == [g.instances for g in plan(cfg)]
    assert [g.instances for g in plan(config(tmp_path, seed=1))] != [g.instances for g in plan(cfg)]


def test_garbage_llm_output_is_wrong_and_kept_raw(tmp_path, scripted):
    scripted(lambda p: "banana split!")
    cfg = config(tmp_path)
    run(cfg)
    recs = load(cfg)
    assert len(recs) == 20
    for r in recs:
        assert r["raw"] == "banana split!" and r["answer"] is None
        assert r["exact"] is False and r["partial"] == 0.0
    summary = summarise(recs)
    assert (summary["accuracy"] == 0).all() and (summary["unparsed"] == summary["n"]).all()


def test_wrong_number_gets_partial_credit_and_flops_estimate(tmp_path, scripted):
    # "x^2=" -> a number off in its last digit: parsed, wrong, partly right.
    def reply(prompt):
        task = get_task("square") if "^2" in prompt else get_task("add")
        text = prompt.rstrip("=").replace("^2", "").replace("+", " + ")
        right = task.reference(text)
        return right[:-1] + str((int(right[-1]) + 1) % 10)

    scripted(reply)
    cfg = config(tmp_path, difficulties=[2])
    run(cfg)
    recs = load(cfg)
    assert all(r["answer"] is not None and not r["exact"] and 0 < r["partial"] < 1 for r in recs), recs
    # FLOPs per answer = 2 x non-embedding params x (prompt + generated tokens).
    assert all(r["flops"] == 2 * 600 * (r["prompt_tokens"] + r["generated_tokens"]) for r in recs)


def test_interrupted_run_resumes_without_losing_or_redoing_anything(tmp_path, scripted):
    backend = scripted(lambda p: "7")
    cfg = config(tmp_path)
    chunks = []

    def stop_after_two_chunks(recs):
        chunks.append(len(recs))
        if len(chunks) == 2:
            raise KeyboardInterrupt

    first = run(cfg, on_records=stop_after_two_chunks)
    assert first.interrupted and first.done == 4
    assert len(load(cfg)) == 4
    assert len(backend.answered()) == 4

    backend.calls.clear()
    second = run(cfg)
    assert not second.interrupted and second.skipped == 4 and second.done == 16
    assert len(backend.answered()) == 16  # nothing already on disk was asked again
    keys = [r["key"] for r in load(cfg)]
    assert len(keys) == len(set(keys)) == 20

    backend.calls.clear()
    third = run(cfg)
    assert third.done == 0 and third.skipped == 20 and backend.answered() == []


def test_killed_mid_write_redoes_only_the_torn_sample(tmp_path, scripted, capsys):
    backend = scripted(lambda p: "7")
    cfg = config(tmp_path)
    run(cfg)
    path = cfg.out / records.RECORDS_FILE
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])  # the last record loses its end
    backend.calls.clear()
    result = run(cfg)
    assert "truncated last line" in capsys.readouterr().err
    assert result.done == 1 and result.skipped == 19 and len(backend.answered()) == 1
    loaded = records.load(path)
    assert len(loaded.records) == 20 and not loaded.bad_lines


def test_another_model_does_not_reuse_records(tmp_path, scripted):
    scripted(lambda p: "1", digest="model-a")
    cfg = config(tmp_path)
    run(cfg)
    other = scripted(lambda p: "2", digest="model-b")
    result = run(cfg)
    assert result.skipped == 0 and result.done == 20 and len(other.answered()) == 20
    variants = {r["variant"] for r in load(cfg)}
    assert len(variants) == 2 and all("@model-" in v for v in variants)
    summary = summarise(load(cfg))
    assert len(summary) == 2 * 4  # each model keeps its own rows


def test_an_unloadable_model_stops_the_run_before_any_work(tmp_path, monkeypatch):
    from bench.runner import SetupError
    from llm.runner import ModelNotFoundError

    def missing(model=None, **kw):
        raise ModelNotFoundError("no model in /nowhere")

    monkeypatch.setattr("llm.runner.load_backend", missing)
    cfg = config(tmp_path, backends=["reference", "llm"])
    with pytest.raises(SetupError, match="llm: cannot load .*no model in /nowhere"):
        run(cfg)
    assert not cfg.out.exists()  # no folder, no records, no ISA work done first


def test_records_hold_what_the_summary_and_a_reader_need(tmp_path, scripted):
    scripted(lambda p: "4")
    cfg = config(tmp_path, tasks=["square"], difficulties=[2], n=3)
    run(cfg)
    r = load(cfg)[0]
    for field in ("key", "task", "task_version", "difficulty", "index", "seed", "split", "instance", "backend",
                  "contestant", "variant", "setting", "method", "prompt", "prompt_format", "shots", "chat",
                  "reference", "raw", "answer", "exact", "partial", "prompt_tokens", "generated_tokens",
                  "flops", "latency_s", "alone_s", "batch_s", "batch_size", "per_answer_s", "chunk", "error"):
        assert field in r, field
    assert r["per_answer_s"] == pytest.approx(r["batch_s"] / r["batch_size"])
    json.dumps(r)  # plain JSON


def test_reference_only_run_plots_accuracy_and_time_but_no_ratio(tmp_path):
    from bench.figures import plot_all

    cfg = config(tmp_path, backends=["reference"], tasks=["square"], n=3)
    run(cfg)
    paths = plot_all(summarise(load(cfg)), tmp_path / "plots")
    assert sorted(p.name for p in paths) == ["accuracy.png", "accuracy.svg", "time.png", "time.svg"]
    assert all(p.stat().st_size > 1000 for p in paths)
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_all(summarise([]), tmp_path / "empty")


def test_a_second_run_into_a_held_folder_says_who_holds_it_and_writes_nothing(tmp_path, scripted):
    from bench.lock import FolderBusy, locked

    scripted(lambda p: "7")
    cfg = config(tmp_path)
    with locked(cfg.out, "isabench run --the-first-one"):
        with pytest.raises(FolderBusy, match="in use by another isabench run .*--the-first-one"):
            run(cfg)
        assert not (cfg.out / records.RECORDS_FILE).exists()
    assert run(cfg).done == 20  # released: the next run goes ahead


def test_every_prompt_option_is_part_of_the_key(tmp_path, scripted):
    from bench.tasks import PromptSpec

    backend = scripted(lambda p: "7")
    cfg = config(tmp_path)
    run(cfg)
    for changed in (SideOptions(batch_size=2, chat=True), SideOptions(batch_size=2, prompt=PromptSpec("gpt3")),
                    SideOptions(batch_size=2, prompt=PromptSpec("compact", 2, seed=0))):
        backend.calls.clear()
        again = run(config(tmp_path, side=changed))
        assert again.skipped == 0 and again.done == 20 and len(backend.answered()) == 20
    recs = load(cfg)
    assert len({r["setting"] for r in recs}) == 4 and len(recs) == 80
    chat = [r for r in recs if r["chat"]]
    assert len(chat) == 20 and all(r["setting"].endswith("chat=1") for r in chat)
    assert len(summarise(recs)) == 4 * 4  # each setting keeps its own rows


def test_a_signal_between_writing_and_counting_waits_for_both(tmp_path, scripted, monkeypatch):
    """SIGTERM that lands right after a chunk reaches the disk: the count still includes that chunk."""
    import os
    import signal

    scripted(lambda p: "7")
    original = records.RecordWriter.write

    def write_then_get_killed(self, recs):
        original(self, recs)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(records.RecordWriter, "write", write_then_get_killed)
    result = run(config(tmp_path))
    assert result.interrupted and result.done == len(load(config(tmp_path))) == 2
