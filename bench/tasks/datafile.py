"""A user's file of instances for any task (`isabench run --data FILE`), read safely and checked line by line.

One instance per line, in one of these forms (a file whose first line starts with `{` is JSON lines, one object a
line; any other file is plain lines):
- plain: the instance as `isabench solve TASK TEXT` takes it (`98 + 45`, `What is 98 plus 45?`, `the cat saw the
  cat`, `li r1, 3; addi r1, r1, 4; halt`); computed tasks only (a labelled task needs its label);
- `{"input": "98 + 45", "answer": "143"}`: the answer is optional for computed tasks;
- the GPT-3 paper's and lm-evaluation-harness's arithmetic files, as published:
  `{"context": "\\n\\nQ: What is 98 plus 45?\\n\\nA:", "completion": " 143"}` (or `Question: ...\\nAnswer:`): the
  question is read out of the context, after its last `Q:`; the completion is the answer;
- sentiment's `sentence<TAB>label` lines (bench/tasks/sentiment_data.py), unchanged.
The task reads each line (`Task.parse`); the level is `Task.difficulty_of`; an instance's index is its line number.
A line the task cannot read is an error naming file:line, and so is a given answer that disagrees with a computed
task's reference: a run never scores silently against a wrong answer. Every error in the file is listed at once.

Safety (the file is a user's, or anyone's): only a regular file is read (a device such as /dev/zero or a FIFO is
refused before it is opened for reading), at most MAX_FILE_BYTES, no line over MAX_LINE_BYTES, and a UTF-8 byte
order mark at its start is dropped.
"""
from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from .base import Instance, Task, TaskInputError

MAX_FILE_BYTES = 64 * 2**20  # 64 MiB: 100,000 instances (--n's own bound) of 600 bytes each, with room to spare
MAX_LINE_BYTES = 64 * 2**10  # 64 KiB: a long review sentence is ~1 KB, a 32-step program on one line ~0.5 KB
BOM = b"\xef\xbb\xbf"
FORMS = ("plain lines, {\"input\": ..., \"answer\": ...} lines, GPT-3 {\"context\": ..., \"completion\": ...} lines or "
         "sentiment's sentence<TAB>label lines")
SHOWN_ERRORS = 10  # errors listed in full; the rest are counted
# The question of a GPT-3 / lm-evaluation-harness context: after its last Q: (or Question:), up to a closing A:.
QUESTION_MARK = re.compile(r"(?:^|\n)[ \t]*(?:Q|Question):[ \t]*")
ANSWER_MARK = re.compile(r"(?:^|\n)[ \t]*(?:A|Answer):[ \t]*\Z")


@dataclass(frozen=True)
class Row:
    line: int  # 1-based
    text: str  # the instance, as the task reads it
    answer: str | None  # as the file gives it; None when it gives none


def read_data(path: str | Path, expected: str = FORMS, keep_bom: bool = False) -> bytes:
    """The bytes of a regular file, bounded in size and line length, without a leading UTF-8 BOM; a TaskInputError
    naming the file (and line) otherwise. `expected` says in the messages what the file should hold."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise TaskInputError(f"{path}: no such file (expected {expected})") from None
    except OSError as e:
        raise TaskInputError(f"{path}: cannot read it ({e.strerror or e})") from None
    if stat.S_ISDIR(mode):
        raise TaskInputError(f"{path} is a folder, not a file of {expected}")
    if not stat.S_ISREG(mode):
        raise TaskInputError(f"{path} is not a regular file (a device, FIFO or socket, which may never end); "
                             f"give a file of {expected}")
    try:  # non-blocking: should a FIFO replace the file after the check, opening it must not wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise TaskInputError(f"{path} is not a regular file; give a file of {expected}")
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise TaskInputError(f"{path}: cannot read it ({e.strerror or e})") from None
    if len(data) > MAX_FILE_BYTES:
        raise TaskInputError(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MiB, the most --data reads; split it "
                             "into several runs")
    for number, line in enumerate(data.split(b"\n"), start=1):
        if len(line) > MAX_LINE_BYTES:
            raise TaskInputError(f"{path}:{number}: the line is {len(line):,} bytes long, over the "
                                 f"{MAX_LINE_BYTES // 2**10} KiB a line may hold (one instance a line)")
    return data if keep_bom or not data.startswith(BOM) else data[len(BOM):]


def is_json_lines(data: bytes) -> bool:
    return data.lstrip().startswith(b"{")


def read_rows(path: str | Path) -> tuple[list[Row], list[tuple[int, str]]]:
    """The file's instances as rows, in either form, and (line, what is wrong) for each line of neither."""
    path = Path(path)
    data = read_data(path)
    json_lines = is_json_lines(data)
    rows, errors = [], []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            text = raw.rstrip(b"\r").decode("utf-8")
            if text.strip():
                rows.append(json_row(number, text) if json_lines else Row(number, text.strip(), None))
        except UnicodeDecodeError as e:
            errors.append((number, f"not UTF-8 text ({e.reason} at byte {e.start})"))
        except TaskInputError as e:
            errors.append((number, str(e)))
    return rows, errors


def json_row(number: int, text: str) -> Row:
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as e:  # RecursionError: brackets nested thousands deep
        raise TaskInputError(f"not a JSON object ({e}); every line of a JSON lines file holds one") from None
    if not isinstance(obj, dict):
        raise TaskInputError(f"expected a JSON object such as {{\"input\": \"98 + 45\"}}, got {text[:60]!r}")
    keys = ("context", "completion") if "context" in obj else ("input", "answer")
    unknown = sorted(set(obj) - set(keys))
    if unknown or keys[0] not in obj:
        raise TaskInputError(f"expected the keys {' and '.join(map(repr, keys))} ({keys[1]!r} optional), "
                             f"got {', '.join(map(repr, sorted(obj))) or 'none'}")
    if not isinstance(obj[keys[0]], str):
        raise TaskInputError(f"{keys[0]!r} must be a string, got {type(obj[keys[0]]).__name__}")
    answer = obj.get(keys[1])
    if answer is not None and (isinstance(answer, bool) or not isinstance(answer, (str, int))):
        raise TaskInputError(f"{keys[1]!r} must be a string or an integer, got {answer!r}")
    question = obj["input"] if keys[0] == "input" else question_in(obj["context"])
    return Row(number, question, None if answer is None else str(answer).strip())


def question_in(context: str) -> str:
    """`\\n\\nQ: What is 98 plus 45?\\n\\nA:` -> `What is 98 plus 45?`; the last question where examples precede it."""
    body = context.rstrip()
    end = ANSWER_MARK.search(body)
    if end is None:
        raise TaskInputError(f"the context must end with 'A:' (or 'Answer:') after its question, as the "
                             f"GPT-3 files do; got {context[-40:]!r}")
    marks = list(QUESTION_MARK.finditer(body, 0, end.start()))
    if not marks:
        raise TaskInputError("no 'Q:' (or 'Question:') before the context's 'A:'")
    return body[marks[-1].end():end.start()].strip()


def instances_from_file(task: Task, path: str | Path, seed: int = 0,
                        facets: tuple[tuple[str, str], ...] = ()) -> list[Instance]:
    """Every line of the file as one instance of `task`, checked; `facets` are added to each instance's own.

    On a computed task each instance also carries the facet `split`: `train` or `test`, the built-in split its
    problem belongs to (`Task.in_split`), so breakdown.csv gives the held-out accuracy apart."""
    path = Path(path)
    out = []
    rows, errors = read_rows(path)
    for row in rows:
        try:
            out.append(instance_of(task, row, seed, facets))
        except TaskInputError as e:
            errors.append((row.line, str(e)))
    if errors:
        shown = [f"{path}:{line}: {what}" for line, what in sorted(errors)[:SHOWN_ERRORS]]
        more = f"\n  ... and {len(errors) - SHOWN_ERRORS} more" if len(errors) > SHOWN_ERRORS else ""
        raise TaskInputError(f"{path}: {len(errors)} line(s) {task.name} cannot use:\n  " + "\n  ".join(shown) + more)
    if not out:
        raise TaskInputError(f"{path} holds no instances (expected {FORMS})")
    return out


def instance_of(task: Task, row: Row, seed: int, facets: tuple[tuple[str, str], ...]) -> Instance:
    text = row.text
    difficulty = task.difficulty_of(text)  # parses it: a TaskInputError says what the task expected
    given = None
    if row.answer is not None:
        given = task.parse_reply(row.answer)
        if given is None:
            raise TaskInputError(f"the answer {row.answer!r} is not a {task.name} answer")
    if task.ground_truth == "labels":
        if given is None:  # a sentence of the built-in data has its label there; any other needs one given
            given = task.reference(text)
        return Instance(task.name, difficulty, row.line, seed, text, given, task.facets_of(text) + facets)
    reference = task.reference(text)
    if given is not None and given != reference:
        raise TaskInputError(f"data error: the file's answer {row.answer!r} disagrees with {task.name}'s reference "
                             f"{reference!r} for {text!r}")
    split = "train" if task.in_split(text, "train") else "test"
    return Instance(task.name, difficulty, row.line, seed, text, None,
                    task.facets_of(text) + facets + (("split", split),))


def read_instances(task: Task, path: str | Path, seed: int = 0) -> list[Instance]:
    """The instances of a --data file: the task's own reader where it has one (sentiment's labelled sentences),
    else `instances_from_file`."""
    own = getattr(task, "instances_from_file", None)
    return own(path, seed) if own is not None else instances_from_file(task, path, seed)


def overlap_note(task: Task, instances: list[Instance], path: str | Path) -> str | None:
    """What a reader must know when a file's instances are training data too, or None."""
    if hasattr(task, "training_overlap"):
        seen = task.training_overlap(instances)
        return None if not seen else (
            f"{task.name}: {seen} of {path}'s sentences are in the built-in train or dev split, which the shipped "
            "adapter and the ISA's counted table learnt from: their scores on this file are not held-out")
    seen = sum(dict(i.facets).get("split") == "train" for i in instances)
    return None if not seen else (
        f"{task.name}: {seen} of {path}'s {len(instances)} instances are in the built-in train split, which the "
        "embedded model trained on: its scores on them are not held-out (breakdown.csv gives the facet split=test "
        "apart)")
