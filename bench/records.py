"""Per-sample records: one JSON line per answered instance, appended and flushed as work finishes.

The file is the run's ground truth: summaries, tables and plots are all recomputed from it. A process killed mid-write
leaves at most one unfinished last line; loading skips it (and says so). Lines that are not records (bad JSON, or
missing the fields a summary needs) are skipped and reported the same way, and the next run into the folder moves
them, as they were, to records.rejected.jsonl before it appends: no line is ever deleted. A key seen twice counts
once (the first), so a damaged or doubly written file can never inflate a figure.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bench import safe_io

RECORDS_FILE = "records.jsonl"
REJECTED_FILE = "records.rejected.jsonl"  # lines of RECORDS_FILE that were not records, moved aside as they were
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
    torn_tail: bool = False  # the last line was cut off mid-write

    def keys(self) -> set[str]:
        return {r["key"] for r in self.records}


# Fields the summary does arithmetic on: a number or null where present, so a hand-edited line cannot crash it.
NUMERIC = ("per_answer_s", "batch_s", "alone_s", "latency_s", "machine_s", "glue_s", "steps", "flops",
           "prompt_tokens", "generated_tokens", "partial", "batch_size", "cell_size")


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
    out = parse(path.read_bytes()) if path.exists() else Loaded()
    if warn:
        report_problems(path, out)
    return out


def parse(data: bytes) -> Loaded:
    out = Loaded()
    seen = set()
    bad_after_good = False  # an unreadable line with no valid record after it: a torn tail
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
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
        bad_after_good = False
        if rec["key"] in seen:
            out.duplicates.append(number)
            continue
        seen.add(rec["key"])
        out.records.append(rec)
    out.torn_tail = bad_after_good
    return out


def report_problems(path: Path, loaded: Loaded, moved_to: Path | None = None) -> None:
    if loaded.bad_lines:
        torn = loaded.torn_tail and len(loaded.bad_lines) == 1
        where = "a truncated last line (a run killed mid-write)" if torn else f"line(s) {_short(loaded.bad_lines)}"
        if moved_to is None:
            print(f"note: {path}: skipped {len(loaded.bad_lines)} unreadable record line(s): {where}; the next "
                  f"`isabench run` into this folder moves them to {path.with_name(REJECTED_FILE)}", file=sys.stderr)
        else:
            print(f"note: {path}: moved {len(loaded.bad_lines)} unreadable record line(s) ({where}) to {moved_to}, "
                  "as they were; they are not counted", file=sys.stderr)
    if loaded.duplicates:
        print(f"note: {path}: {len(loaded.duplicates)} line(s) repeat an earlier record's key and were counted once: "
              f"line(s) {_short(loaded.duplicates)}", file=sys.stderr)


def _short(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:10])) + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")


class WriteFailed(OSError):
    """records.jsonl could not be appended to (a full disk, a lost mount): the run stops; what is on disk stays."""

    def __str__(self) -> str:
        return self.strerror


class RecordWriter:
    """Appends records to a run's JSONL file; each `write` call lands on disk as whole lines, flushed.

    Opening it (under the run's lock) reads what is there into `existing`; lines that are not records are moved,
    byte for byte, to records.rejected.jsonl beside it (never deleted: a hand-edited or foreign line may matter to
    someone), so appending never glues a record to half a line. A link at either path is refused.
    """

    def __init__(self, path: str | Path, warn: bool = True):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = safe_io.open_append(self.path)
        data = self._read()
        self.existing = parse(data)
        try:
            moved = self._set_aside(data) if self.existing.bad_lines else None
        except OSError as e:
            self._file.close()
            if isinstance(e, safe_io.LinkRefused):
                raise
            raise WriteFailed(e.errno, f"could not move {self.path}'s unreadable lines aside: {e.strerror or e}; "
                                       "the file is as it was") from e
        if warn:
            report_problems(self.path, self.existing, moved)
        if not moved and data and not data.endswith(b"\n"):
            write_all(self._file, b"\n")

    def _read(self) -> bytes:
        self._file.seek(0)
        return self._file.read()

    def _set_aside(self, data: bytes) -> Path:
        """Append the unreadable lines to records.rejected.jsonl (synced first: a kill in between duplicates them
        there, never loses them), then replace this file with the rest."""
        bad = set(self.existing.bad_lines)
        lines = [raw if raw.endswith(b"\n") else raw + b"\n" for raw in data.splitlines(keepends=True)]
        rejected = self.path.with_name(REJECTED_FILE)
        with safe_io.open_append(rejected) as f:
            write_all(f, b"".join(raw for i, raw in enumerate(lines, start=1) if i in bad))
            os.fsync(f.fileno())
        safe_io.write_atomic(self.path, b"".join(raw for i, raw in enumerate(lines, start=1) if i not in bad))
        self._file.close()
        self._file = safe_io.open_append(self.path)
        return rejected

    def write(self, records: list[dict]) -> None:
        if not records:
            return
        payload = b"".join(json.dumps(r, sort_keys=True, allow_nan=True).encode() + b"\n" for r in records)
        try:
            write_all(self._file, payload)  # one write call as a rule: a kill leaves at most this batch's tail
            os.fsync(self._file.fileno())
        except OSError as e:
            raise WriteFailed(e.errno, f"could not append to {self.path}: {e.strerror or e}; the records before "
                                       "it are kept (a half-written line is moved aside by the next run)") from e

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "RecordWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_all(f, data: bytes) -> None:
    """All of `data` through an unbuffered file, however many writes the system takes."""
    view = memoryview(data)
    while view:
        view = view[f.write(view):]
