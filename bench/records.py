"""Per-sample records: one JSON line per answered instance, appended and flushed as work finishes.

The file is the run's ground truth: summaries, tables and plots are all recomputed from it. A process killed mid-write
leaves at most one unfinished last line; loading skips it (and says so), and the next append cuts it off first.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

RECORDS_FILE = "records.jsonl"


def record_key(instance_id: str, task_version: str, split: str, backend: str, variant: str) -> str:
    """What makes a sample "already done": the instance (and its task's version and split), the side, and exactly
    what answered it.

    `variant` is the model's identity (id + content hash/revision + dtype + device) for the LLM side, so another model
    never reuses these records; for the ISA and reference sides it names the solver.
    """
    return f"{instance_id}|v{task_version}|{split}|{backend}|{variant}"


@dataclass
class Loaded:
    records: list[dict] = field(default_factory=list)
    bad_lines: list[int] = field(default_factory=list)  # 1-based line numbers that were not valid JSON records
    good_bytes: int = 0  # file length up to the end of the last valid line: where appending may resume
    torn_tail: bool = False  # the last line was cut off mid-write

    def keys(self) -> set[str]:
        return {r["key"] for r in self.records}


def load(path: str | Path, warn: bool = True) -> Loaded:
    """Read every valid record; invalid lines are skipped and reported (on stderr when `warn`)."""
    path = Path(path)
    out = Loaded()
    if not path.exists():
        return out
    offset = 0
    bad_after_good = False  # an unreadable line with no valid record after it: a torn tail
    for number, raw in enumerate(path.read_bytes().splitlines(keepends=True), start=1):
        offset += len(raw)
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw)
        except ValueError:
            rec = None
        if isinstance(rec, dict) and "key" in rec:
            out.records.append(rec)
            out.good_bytes = offset
            bad_after_good = False
        else:
            out.bad_lines.append(number)
            bad_after_good = True
    out.torn_tail = bad_after_good
    if warn and out.bad_lines:
        torn = out.torn_tail and len(out.bad_lines) == 1
        where = "a truncated last line (a run killed mid-write)" if torn else f"line(s) {out.bad_lines}"
        print(f"note: {path}: skipped {len(out.bad_lines)} unreadable record line(s): {where}", file=sys.stderr)
    return out


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
