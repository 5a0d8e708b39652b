"""The small words of the command line a newcomer trips over (issue 22 item 9): `isabench tasks` says "computed" as
the README does; `asm --trace` says the trace ran on the reference tier; `run --help` gives examples, exit codes and
a word on resuming; a labelled task's folder name says `nall` where --n takes its levels whole; and `isabench run ->
X` is said only once X exists."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench import cli, records
from readers_data import Scripted

def test_tasks_say_computed_as_the_readme_does(capsys):
    assert cli.main(["tasks"]) == 0
    out = capsys.readouterr().out
    assert "square v2: difficulty = digits, levels 1,2,3,4,5; ground truth: computed" in out
    assert "sentiment v1:" in out and "ground truth: labels" in out and "ground truth: reference" not in out


def test_asm_trace_says_it_ran_on_the_reference_tier(tmp_path, capsys):
    source = tmp_path / "p.s"
    source.write_text("li r1, 6\nmuli r1, r1, 7\nhalt\n")
    assert cli.main(["asm", str(source), "--trace", "--tier", "compiled"]) == 0
    printed = capsys.readouterr()
    assert "the trace runs on the reference tier" in printed.err and "on the compiled tier" in printed.err
    assert "r1 = 42" in printed.out
    assert cli.main(["asm", str(source), "--trace", "--tier", "ref"]) == 0
    assert "reference tier" not in capsys.readouterr().err


def test_run_help_has_examples_exit_codes_and_resuming(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    text = capsys.readouterr().out
    assert "examples:\n  isabench run " in text
    assert "exit status:\n  0    done" in text and "130  interrupted" in text
    assert "resuming:\n  Rerunning the same command resumes" in text


class Args:
    model, backends, seed, difficulties, split, data = None, ["isa", "llm"], 0, None, "test", None

    def __init__(self, n: int):
        self.n = n


def test_a_labelled_tasks_folder_says_nall_where_n_takes_every_level_whole():
    from bench.cmd_run import default_out

    everything = ["square", "sentiment", "svamp"]
    assert "_nall_" in str(default_out(Args(1000), ["sentiment"], everything))
    assert default_out(Args(1000), ["sentiment"], everything) == default_out(Args(5000), ["sentiment"], everything)
    assert "_n50_" in str(default_out(Args(50), ["sentiment"], everything))  # 50 is fewer than a level holds
    assert "_nall_" in str(default_out(Args(1000), ["sentiment", "svamp"], everything))
    assert "_n1000_" in str(default_out(Args(1000), ["square", "sentiment"], everything))  # n applies to square


def test_a_run_that_fails_before_its_folder_never_names_it(tmp_path, monkeypatch, capsys):
    from llm.runner import ModelNotFoundError

    def missing(model=None, **kw):
        raise ModelNotFoundError("no model in /nowhere")

    monkeypatch.setattr("llm.runner.load_backend", missing)
    out = tmp_path / "never"
    assert cli.main(["run", "--tasks", "add", "--difficulties", "1", "--n", "2", "--out", str(out)]) == 2
    assert "isabench run ->" not in capsys.readouterr().err and not out.exists()
    monkeypatch.setattr("llm.runner.load_backend", lambda *a, **kw: Scripted())
    assert cli.main(["run", "--tasks", "add", "--difficulties", "1", "--n", "2", "--out", str(out),
                     "--no-plots"]) == 0
    assert f"isabench run -> {out}" in capsys.readouterr().err and Path(out, records.RECORDS_FILE).exists()
