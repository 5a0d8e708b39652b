"""What a new user meets on the command line: a version, a summary, clear refusals instead of tracebacks."""
from __future__ import annotations

import os

import pytest

from bench import cli


def test_version_and_a_users_summary(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.startswith("isabench ")
    assert cli.main([]) == 2
    out = capsys.readouterr().out
    assert "register machine" in out and "examples:" in out and "isabench run" in out


def test_run_refuses_an_unusable_out_before_any_work(tmp_path, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    for out, message in ((a_file, "exists and is not a folder"), (a_file / "run", "is not a folder")):
        assert cli.main(["run", "--backends", "reference", "--tasks", "add", "--n", "1", "--out", str(out)]) == 2
        assert message in capsys.readouterr().err
    assert a_file.read_text() == "x"


def test_run_refuses_dev_null_and_an_unwritable_parent(tmp_path, capsys):
    assert cli.main(["run", "--backends", "reference", "--out", os.devnull]) == 2
    assert "not a folder" in capsys.readouterr().err
    if os.geteuid() == 0:  # root may write anywhere: the permission check cannot fail
        return
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert cli.main(["run", "--backends", "reference", "--out", str(locked / "run")]) == 2
    assert "no write permission" in capsys.readouterr().err


def test_solve_says_when_a_text_has_no_words(capsys):
    assert cli.main(["solve", "wordfreq", ""]) == 0
    assert capsys.readouterr().out.strip() == "(no words)"


def test_solve_reads_the_papers_wording(capsys):
    assert cli.main(["solve", "add", "What is 98 plus 45?"]) == 0
    assert capsys.readouterr().out.strip() == "143"
    assert cli.main(["solve", "mul", "99 times 99", "--backend", "reference"]) == 0
    assert capsys.readouterr().out.strip() == "9801"


def test_solve_past_pythons_digit_limit(capsys):
    assert cli.main(["solve", "square", "9" * 2500, "--backend", "isa"]) == 0
    assert capsys.readouterr().out.strip() == "9" * 2499 + "8" + "0" * 2499 + "1"


def test_train_refuses_to_overwrite_the_shipped_model(capsys):
    assert cli.main(["train", "--export", "llm/default_model", "--steps", "1"]) == 2
    assert "shipped model's folder" in capsys.readouterr().err


@pytest.mark.parametrize("option, message", [
    (["--model", "/nonexistent/model"], "cannot load /nonexistent/model"),
    (["--device", "bogus"], "unknown device 'bogus'"),
    (["--dtype", "bogus"], "unknown dtype 'bogus'"),
    (["--served-url", "ftp://x", "--model", "m"], "must start with http:// or https://"),
])
def test_an_unusable_llm_setting_is_said_before_any_work_and_leaves_no_folder(tmp_path, capsys, option, message):
    out = tmp_path / "run"
    assert cli.main(["run", "--tasks", "add", "--n", "2", "--out", str(out), "--quiet", *option]) == 2
    err = capsys.readouterr().err
    assert message in err and "nothing was recorded" not in err
    assert not out.exists()


def test_solve_refuses_an_expression_past_int64_and_reads_deep_nesting(capsys):
    assert cli.main(["solve", "expr", "*".join("9" * 21)]) == 2
    assert "does not fit the register machine's 64-bit words" in capsys.readouterr().err
    deep = "(" * 2000 + "7" + ")" * 2000
    for backend in ("isa", "reference"):
        assert cli.main(["solve", "expr", deep, "--backend", backend]) == 0
        assert capsys.readouterr().out.strip() == "7"


def test_the_terminal_table_fits_100_columns_and_piped_progress_is_one_line_per_task(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["run", "--tasks", "square,wordfreq,sentiment", "--backends", "isa,reference", "--n", "30",
                     "--out", str(out), "--no-plots"]) == 0
    captured = capsys.readouterr()
    table = captured.out.split("\n\n")[0].splitlines()
    assert len(table) > 10 and max(map(len, table)) <= 100
    assert "\r" not in captured.err  # no bar redrawn into a pipe
    assert "isa square d3: 30 answered in" in captured.err and "reference wordfreq d8: 30 answered" in captured.err


def test_a_folder_refuses_another_split_or_seed_and_survives_a_corrupt_meta(tmp_path, capsys):
    """Records of another split or seed would merge into one summary row under the first run's label (200 training
    instances counted as held-out); a corrupt meta.json is said and rewritten, not fatal."""
    import json

    out = tmp_path / "run"
    base = ["run", "--backends", "reference", "--tasks", "add", "--difficulties", "2", "--n", "3", "--no-plots",
            "--quiet", "--out", str(out)]
    assert cli.main(base) == 0
    for extra, message in ((["--split", "train"], "--split test, not train"), (["--seed", "3"], "--seed 0, not 3")):
        capsys.readouterr()
        assert cli.main(base + extra) == 2
        assert message in capsys.readouterr().err
    assert sum(1 for _ in (out / "records.jsonl").open()) == 3
    (out / "meta.json").write_text('{"trunc')
    capsys.readouterr()
    assert cli.main([*base[:8], "4", *base[9:]]) == 0
    assert "not valid JSON" in capsys.readouterr().err
    assert json.loads((out / "meta.json").read_text())["n"] == 4


def test_a_damaged_model_folder_is_named_not_a_traceback(tmp_path, capsys):
    """A truncated safetensors file fails inside safetensors (not ValueError/OSError); it must still be a message,
    exit 2, and leave no run folder."""
    import shutil
    from pathlib import Path

    import llm

    model = tmp_path / "damaged"
    shutil.copytree(Path(llm.__file__).parent / "default_model", model)
    with (model / "model.safetensors").open("r+b") as f:
        f.truncate(1000)
    assert cli.main(["solve", "add", "2 + 3", "--backend", "llm", "--model", str(model)]) == 2
    assert "damaged or incomplete" in capsys.readouterr().err
    out = tmp_path / "run"
    assert cli.main(["run", "--tasks", "add", "--backends", "llm", "--model", str(model), "--out", str(out)]) == 2
    assert "damaged or incomplete" in capsys.readouterr().err and not out.exists()


def test_a_level_without_instances_says_so_and_writes_no_folder(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["run", "--tasks", "sentiment", "--difficulties", "4", "--backends", "isa", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no instances to answer" in err and "sentiment d4" in err and "levels 1, 2, 3" in err
    assert not out.exists()
