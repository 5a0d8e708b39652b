"""A damaged run folder loses nothing and merges nothing (issue 24 items 3, 4 and 5).

Item 3: lines of records.jsonl that are not records are moved, as they were, to records.rejected.jsonl, never deleted;
records of a task this isabench does not know are not counted in silence.
Item 4: the seed/split check holds when meta.json is missing or unreadable (what a kill -9 in a folder's first run
leaves): the records carry the seed, split and task version, and a folder whose records do not is refused.
Item 5: meta.json that is valid JSON of the wrong shape is said and rewritten, never a traceback.
"""
from __future__ import annotations

import json

import pandas as pd
import pytest

from bench import cli, records

RUN = ["run", "--tasks", "add", "--backends", "isa", "--n", "10", "--no-plots", "--quiet"]
LINES = 50  # add: 5 levels x 10


def run_into(out, *extra) -> int:
    return cli.main([*RUN, "--out", str(out), *extra])


@pytest.fixture
def folder(tmp_path):
    out = tmp_path / "R"
    assert run_into(out, "--seed", "9") == 0
    return out


def lines(path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True) if path.exists() else []


# --- item 3 ------------------------------------------------------------------------------------------------------
def test_lines_of_the_wrong_type_are_moved_aside_whole_not_deleted(folder, capsys):
    path = folder / records.RECORDS_FILE
    good = lines(path)
    foreign = [json.dumps({**json.loads(raw), "difficulty": str(json.loads(raw)["difficulty"]),
                           "key": f"foreign-{i}"}).encode() + b"\n" for i, raw in enumerate(good[:40])]
    with open(path, "ab") as f:
        f.writelines(foreign)
    capsys.readouterr()
    assert run_into(folder, "--seed", "9") == 0
    err = capsys.readouterr().err
    rejected = folder / records.REJECTED_FILE
    assert f"moved 40 unreadable record line(s)" in err and str(rejected) in err
    assert lines(rejected) == foreign  # byte for byte, in order
    assert lines(path) == good  # nothing redone, nothing lost
    assert pd.read_csv(folder / "summary.csv")["n"].sum() == LINES


def test_a_file_of_nothing_but_foreign_lines_is_kept_whole(folder, capsys):
    path = folder / records.RECORDS_FILE
    foreign = [raw.replace(b'"exact": true', b'"exact": "yes"') for raw in lines(path)]
    path.write_bytes(b"".join(foreign) + b'{"torn": ')  # and a torn tail
    assert run_into(folder, "--seed", "9") == 0
    assert lines(folder / records.REJECTED_FILE) == foreign + [b'{"torn": \n']
    assert len(records.load(path).records) == LINES  # answered again, beside nothing


def test_a_record_of_an_unknown_task_is_not_counted_in_silence(folder, capsys):
    path = folder / records.RECORDS_FILE
    stranger = {**json.loads(lines(path)[0]), "task": "bogus", "key": "bogus-1"}
    with open(path, "a") as f:
        f.write(json.dumps(stranger) + "\n")
    capsys.readouterr()
    assert cli.main(["report", str(folder)]) == 0
    err = capsys.readouterr().err
    assert "1 record(s) of task(s) this isabench does not know (bogus) are not counted" in err
    summary = pd.read_csv(folder / "summary.csv")
    assert "bogus" not in set(summary["task"]) and summary["n"].sum() == LINES
    assert lines(path)[-1] == (json.dumps(stranger) + "\n").encode()  # kept in the file


# --- item 4 ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("meta", [None, b"", b'{"seed": 9, "spl', b"[]"])
@pytest.mark.parametrize("flags, said", [(("--seed", "10"), "--seed 9, not 10"),
                                         (("--seed", "9", "--split", "train"), "--split test, not train")])
def test_another_seed_or_split_is_refused_without_meta(folder, capsys, meta, flags, said):
    """`kill -9` in a folder's first run leaves records and no meta.json; a broken one is as good as none."""
    if meta is None:
        (folder / "meta.json").unlink()
    else:
        (folder / "meta.json").write_bytes(meta)
    before = (folder / records.RECORDS_FILE).read_bytes()
    capsys.readouterr()
    assert run_into(folder, *flags) == 2
    assert said in capsys.readouterr().err
    assert (folder / records.RECORDS_FILE).read_bytes() == before


def test_records_that_do_not_say_their_seed_are_refused_when_meta_cannot_say_either(folder, capsys):
    path = folder / records.RECORDS_FILE
    path.write_bytes(b"".join(json.dumps({k: v for k, v in json.loads(raw).items() if k != "seed"}).encode() + b"\n"
                              for raw in lines(path)))
    (folder / "meta.json").unlink()
    capsys.readouterr()
    assert run_into(folder, "--seed", "9") == 2
    assert "do not say which --seed and --split drew them" in capsys.readouterr().err


def test_the_same_seed_resumes_without_meta(folder, capsys):
    (folder / "meta.json").unlink()
    assert run_into(folder, "--seed", "9") == 0
    assert "50 already on disk" in capsys.readouterr().out


# --- item 5 ------------------------------------------------------------------------------------------------------
WRONG_SHAPES = ['"str"', "[]", "null", '{"invocations": 5}', '{"tasks": {"add": 5}}', '{"data": "x"}',
                '{"machine": 7}', '{"seed": "9"}', '{"git": {"commit": 5}}', '{"sides": {"llm": []}}']


@pytest.mark.parametrize("text", WRONG_SHAPES)
def test_meta_of_the_wrong_shape_is_said_and_rewritten_never_a_traceback(folder, capsys, text):
    (folder / "meta.json").write_text(text)
    for command in (["report", str(folder)], ["plot", str(folder)]):
        capsys.readouterr()
        assert cli.main(command) == 0
        assert f"note: {folder / 'meta.json'}:" in capsys.readouterr().err
    assert (folder / "meta.json").read_text() == text  # report and plot only read it
    assert run_into(folder, "--seed", "9") == 0  # `{"seed": "9"}` is no conflict with --seed 9
    err = capsys.readouterr().err
    assert f"note: {folder / 'meta.json'}:" in err and "rewritten by the next `isabench run`" in err
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["seed"] == 9 and len(meta["invocations"]) == 1
    assert run_into(folder, "--seed", "10") == 2  # and the check still holds, from the records
