"""`--data FILE` for every task (bench/tasks/datafile.py): the GPT-3 paper's arithmetic files as published, JSON lines
with answers, plain lines; errors with file:line, given answers checked against the reference, the source marked in
records, meta.json and the folder name; and the reader's safety (issue 24 items 7 and 13: devices, FIFOs, size and
line bounds, a UTF-8 byte order mark)."""
from __future__ import annotations

import hashlib
import json
import os
import random
import threading

import pytest

from bench import cli, records
from bench.tasks import TaskInputError, get_task
from bench.tasks import datafile
from bench.tasks.sentiment_data import read_labelled


def gpt3_file(path, n=12, seed=1, bom=False):
    """Lines exactly as the GPT-3 repository's two_digit_addition.jsonl writes them."""
    rng = random.Random(seed)
    pairs = [(rng.randrange(10, 100), rng.randrange(10, 100)) for _ in range(n)]
    text = "".join(json.dumps({"context": f"\n\nQ: What is {a} plus {b}?\n\nA:", "completion": f" {a + b}"}) + "\n"
                   for a, b in pairs)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path, pairs


def test_a_gpt3_file_runs_on_the_isa_and_the_reference(tmp_path, monkeypatch, capsys):
    data, pairs = gpt3_file(tmp_path / "two_digit_addition.jsonl", bom=True)
    monkeypatch.chdir(tmp_path)  # the default folder name must mark the source
    assert cli.main(["run", "--tasks", "add", "--backends", "isa,reference", "--data", str(data), "--quiet",
                     "--no-plots"]) == 0
    out = next((tmp_path / "results").iterdir())
    assert out.name.endswith("_data-two_digit_addition")
    recs = records.load(out / records.RECORDS_FILE).records
    split = f"data:two_digit_addition.jsonl@{hashlib.sha256(data.read_bytes()).hexdigest()[:10]}"
    assert len(recs) == 2 * len(pairs) and {r["split"] for r in recs} == {split}
    isa = sorted((r for r in recs if r["backend"] == "isa"), key=lambda r: r["index"])
    assert [r["instance"] for r in isa] == [f"What is {a} plus {b}?" for a, b in pairs]  # no BOM on line 1
    assert [r["index"] for r in isa] == list(range(1, len(pairs) + 1))  # line numbers
    assert all(r["exact"] and r["reference"] == str(a + b) and r["difficulty"] == 2 for r, (a, b) in zip(isa, pairs))
    in_train = [get_task("add").in_split(f"{a} + {b}", "train") for a, b in pairs]
    assert [r["facets"]["split"] == "train" for r in isa] == in_train and {r["coverage"] for r in isa} == {""}
    meta = json.loads((out / "meta.json").read_text())
    assert meta["data"]["split_key"] == split and meta["data"]["file"] == str(data)
    assert f"{sum(in_train)} of {data}'s {len(pairs)} instances are in the built-in train split" \
        in capsys.readouterr().err


def test_a_gpt3_file_runs_on_the_isa_and_the_embedded_model(tmp_path, capsys):
    """The issue's Done-when: `--tasks add --backends isa,llm --data two_digit_addition.jsonl`."""
    data, pairs = gpt3_file(tmp_path / "two_digit_addition.jsonl", n=6, seed=4)
    out = tmp_path / "run"
    assert cli.main(["run", "--tasks", "add", "--backends", "isa,llm", "--data", str(data), "--out", str(out),
                     "--device", "cpu", "--quiet", "--no-plots"]) == 0
    recs = records.load(out / records.RECORDS_FILE).records
    llm = [r for r in recs if r["backend"] == "llm"]
    assert len(llm) == len(pairs) and {r["instance"] for r in llm} == {f"What is {a} plus {b}?" for a, b in pairs}
    assert all(r["reference"] == str(a + b) for r in llm for a, b in pairs if r["instance"] == f"What is {a} plus {b}?")
    seen = {r["instance"]: r["coverage"] for r in llm}
    shared = any(get_task("add").in_split(t, "train") for t in seen)
    assert set(seen.values()) == {"train-shared" if shared else "held-out"}
    assert "comparisons" in capsys.readouterr().out and (out / "comparisons.csv").exists()


@pytest.mark.parametrize("task, line, text, level", [
    ("add", '{"context": "Question: What is 98 plus 45?\\nAnswer:", "completion": " 143"}', "What is 98 plus 45?", 2),
    ("sub", '{"context": "\\n\\nQ: What is 5 minus 45?\\n\\nA:", "completion": " -40"}', "What is 5 minus 45?", 2),
    ("add", '{"context": "Q: What is 1 plus 1?\\n\\nA: 2\\n\\nQ: What is 7 plus 800?\\n\\nA:"}', "What is 7 plus 800?", 3),
    ("mul", '{"input": "99 * 99", "answer": 9801}', "99 * 99", 2),
    ("expr", '{"input": "(6 + 7) * 3"}', "(6 + 7) * 3", 3),
    ("square", "12345", "12345", 5),
    ("wordfreq", "the cat saw the cat", "the cat saw the cat", 5),
    ("emulate", "li r1, 3; addi r1, r1, 4; halt", "li r1, 3; addi r1, r1, 4; halt", 3),
])
def test_every_task_reads_its_instances_from_a_file(tmp_path, task, line, text, level):
    path = tmp_path / "mine.txt"
    path.write_text(f"\n{line}\r\n\n")
    [inst] = datafile.read_instances(get_task(task), path, seed=3)
    assert (inst.text, inst.difficulty, inst.index, inst.seed, inst.label) == (text, level, 2, 3, None)
    assert dict(inst.facets)["split"] in ("train", "test")


def test_every_bad_line_is_listed_with_its_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"input": "1 + 2", "answer": "4"}\n{"input": "1 + 3", "anwser": 4}\n'
                     b'{"context": "Q: What is 2 plus 2?", "completion": "4"}\n\xff\n{"input": "2 * 2"}\n'
                     b'{"input": "2 + 2", "answer": "four"}\n[1]\n{"input": "2 + 5", "answer": "7"}\n')
    with pytest.raises(TaskInputError) as e:
        datafile.read_instances(get_task("add"), path)
    lines = str(e.value).splitlines()
    assert lines[0] == f"{path}: 7 line(s) add cannot use:"
    assert [ln.split(":")[1] for ln in lines[1:]] == ["1", "2", "3", "4", "5", "6", "7"]  # in line order
    assert "data error: the file's answer '4' disagrees with add's reference '3' for '1 + 2'" in lines[1]
    assert "'anwser'" in lines[2] and "must end with 'A:'" in lines[3] and "not UTF-8" in lines[4]
    assert "add: expected two non-negative integers" in lines[5] and "'four' is not a add answer" in lines[6]
    assert "expected a JSON object" in lines[7]


def test_a_run_refuses_a_wrong_answer_before_any_work(tmp_path, capsys):
    data, pairs = gpt3_file(tmp_path / "wrong.jsonl", n=3)
    lines = data.read_text().splitlines()
    a, b = pairs[1]
    lines[1] = json.dumps({"context": f"\n\nQ: What is {a} plus {b}?\n\nA:", "completion": f" {a + b + 1}"})
    data.write_text("\n".join(lines) + "\n")
    out = tmp_path / "never"
    assert cli.main(["run", "--tasks", "add", "--backends", "isa", "--data", str(data), "--out", str(out)]) == 2
    assert f"wrong.jsonl:2: data error: the file's answer '{a + b + 1}'" in capsys.readouterr().err
    assert not out.exists()


def test_a_sentiment_file_in_json_lines(tmp_path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"input": "Loved every minute of it.", "answer": "Positive"}\n'
                    '{"input": "Cold food and a rude waiter.", "answer": "negative"}\n')
    insts = datafile.read_instances(get_task("sentiment"), path)
    assert [(i.label, dict(i.facets)["site"], i.index) for i in insts] == [("positive", "reviews.jsonl", 1),
                                                                          ("negative", "reviews.jsonl", 2)]
    path.write_text('{"input": "A sentence nobody labelled."}\n')
    with pytest.raises(TaskInputError, match=r"reviews.jsonl:1: sentiment: this sentence is not in the labelled"):
        datafile.read_instances(get_task("sentiment"), path)


# --- safety -------------------------------------------------------------------------------------------------------
def test_dev_zero_is_refused_at_once(tmp_path, capsys):
    """Issue 24 item 7: `--data /dev/zero` read without bound (a MemoryError after 15 s)."""
    out = tmp_path / "never"
    for task in ("sentiment", "add"):
        assert cli.main(["run", "--tasks", task, "--backends", "isa", "--data", "/dev/zero", "--out", str(out)]) == 2
        assert "/dev/zero is not a regular file" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    """Issue 24 item 7: `--data` a FIFO blocked forever."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    outcome = []

    def read():
        try:
            datafile.read_instances(get_task("sentiment"), fifo)
        except TaskInputError as e:
            outcome.append(str(e))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)
    assert not reader.is_alive() and "is not a regular file (a device, FIFO or socket" in outcome[0]


def test_size_and_line_length_are_bounded(tmp_path, monkeypatch):
    long_line = tmp_path / "long.txt"
    long_line.write_text("1 + 2\n" + "3" * (datafile.MAX_LINE_BYTES + 1) + "\n")
    with pytest.raises(TaskInputError, match=r"long.txt:2: the line is 65,537 bytes long, over the 64 KiB"):
        datafile.read_instances(get_task("add"), long_line)
    monkeypatch.setattr(datafile, "MAX_FILE_BYTES", 100)
    big = tmp_path / "big.tsv"
    big.write_text("Great.\t1\n" * 12)  # 108 bytes
    with pytest.raises(TaskInputError, match="big.tsv is larger than"):
        read_labelled(big)
    big.write_text("Great.\t1\nAwful.\t0\n" * 5)  # 90 bytes: read
    assert len(read_labelled(big)) == 10


def test_a_byte_order_mark_stays_out_of_the_first_sentence(tmp_path):
    """Issue 24 item 13: a UTF-8 BOM stayed in the first --data sentence."""
    path = tmp_path / "bom.tsv"
    path.write_bytes(b"\xef\xbb\xbfGreat food.\t1\nAwful.\t0\n")
    first = read_labelled(path)[0]
    assert first.text == "Great food." and first.line == 1
    assert datafile.read_data(path, keep_bom=True).startswith(b"\xef\xbb\xbf")  # the file's hash is the file's
