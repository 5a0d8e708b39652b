"""Per-sample records: one JSON line per answered instance, appended and flushed as work finishes.

The file is the run's ground truth: summaries, tables and plots are all recomputed from it. A process killed mid-write
leaves at most one unfinished last line; loading skips it (and says so), and the next append cuts it off first.
Lines that are not records (bad JSON, or missing the fields a summary needs) are skipped and reported the same way,
and a key seen twice counts once (the first), so a damaged or doubly written file can never inflate a figure.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

RECORDS_FILE = "records.jsonl"
# Every record has these fields, of these types; a line without them is skipped and reported, never fatal.
REQUIRED = {"key": str, "task": str, "difficulty": int, "backend": str, "exact": bool}


def record_key(instance_id: str, text: str, task_version: str, split: str, backend: str, variant: str,
               setting: str = "") -> str:
    """What makes a sample "already done": the instance (its id, a hash of its text, its task's version and split),
    the side, exactly what answered it, and how it was asked.

    `variant` is the model's identity (id + content hash/revision + dtype + device) for the LLM side and the program's
    (source hash, weight table) for the ISA side; `setting` holds every option that shapes a prompt or an answer
    (method, prompt format, shots and their seed, chat; the ISA's tier), so a rerun with another never reuses these.
    """
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{instance_id}|{digest}|v{task_version}|{split}|{backend}|{variant}|{setting}"


@dataclass
class Loaded:
    records: list[dict] = field(default_factory=list)  # valid records, each key once (its first line)
    bad_lines: list[int] = field(default_factory=list)  # 1-based line numbers that were not valid records
    duplicates: list[int] = field(default_factory=list)  # 1-based line numbers whose key an earlier line holds
    good_bytes: int = 0  # file length up to the end of the last valid line: where appending may resume
    torn_tail: bool = False  # the last line was cut off mid-write

    def keys(self) -> set[str]:
        return {r["key"] for r in self.records}


# Fields the summary does arithmetic on: a number or null where present, so a hand-edited line cannot crash it.
NUMERIC = ("per_answer_s", "batch_s", "alone_s", "latency_s", "machine_s", "glue_s", "steps", "flops",
           "prompt_tokens", "generated_tokens", "partial", "batch_size")


def is_record(rec) -> bool:
    if not isinstance(rec, dict) or not all(k in rec for k in REQUIRED):
        return False
    # bool is an int to Python: `"difficulty": true` is not a level, `"exact": 1` is not a verdict
    if not all(type(rec[k]) is t for k, t in REQUIRED.items()):
        return False
    return all(rec.get(k) is None or type(rec[k]) in (int, float) for k in NUMERIC)


def load(path: str | Path, warn: bool = True) -> Loaded:
    """Read every valid record once; invalid and duplicate lines are skipped and reported (on stderr when `warn`)."""
    path = Path(path)
    out = Loaded()
    if not path.exists():
        return out
    offset, seen = 0, set()
    bad_after_good = False  # an unreadable line with no valid record after it: a torn tail
    for number, raw in enumerate(path.read_bytes().splitlines(keepends=True), start=1):
        offset += len(raw)
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw)
        except ValueError:
            rec = None
        if not is_record(rec):
            out.bad_lines.append(number)
            bad_after_good = True
            continue
        out.good_bytes, bad_after_good = offset, False
        if rec["key"] in seen:
            out.duplicates.append(number)
            continue
        seen.add(rec["key"])
        out.records.append(rec)
    out.torn_tail = bad_after_good
    if warn:
        report_problems(path, out)
    return out


def report_problems(path: Path, loaded: Loaded) -> None:
    if loaded.bad_lines:
        torn = loaded.torn_tail and len(loaded.bad_lines) == 1
        where = "a truncated last line (a run killed mid-write)" if torn else f"line(s) {_short(loaded.bad_lines)}"
        print(f"note: {path}: skipped {len(loaded.bad_lines)} unreadable record line(s): {where}", file=sys.stderr)
    if loaded.duplicates:
        print(f"note: {path}: {len(loaded.duplicates)} line(s) repeat an earlier record's key and were counted once: "
              f"line(s) {_short(loaded.duplicates)}", file=sys.stderr)


def _short(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:10])) + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")


class RecordWriter:
    """Appends records to a run's JSONL file; each `write` call lands on disk as whole lines, flushed."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        existing = load(self.path, warn=False)
        self._file = open(self.path, "ab")
        if existing.torn_tail:
            # A half-written line would glue itself to the next record; it holds nothing recoverable.
            self._file.truncate(existing.good_bytes)
        elif self._file.tell() and not self.path.read_bytes().endswith(b"\n"):
            self._file.write(b"\n")

    def write(self, records: list[dict]) -> None:
        if not records:
            return
        payload = b"".join(json.dumps(r, sort_keys=True, allow_nan=True).encode() + b"\n" for r in records)
        self._file.write(payload)  # one write call: a kill leaves at most the tail of this batch unfinished
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "RecordWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_atomic(path: str | Path, text: str) -> None:
    """Write via a temporary file and rename, so readers never see half a summary or metadata file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
