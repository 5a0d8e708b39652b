"""What a report says about the run itself, read from its meta.json: the command, seed and date; whether the last
invocation was interrupted and which levels hold fewer answers than the run planned; and the conditions it ran under
(the machine's 1-minute load average at start and end, the process's CPU time beside its wall time), so that a reader
can tell a loaded run from a quiet one.

A level is incomplete when a contestant's n is below the instances the run planned there (meta.json's
tasks.<task>.instances: the run's n, or fewer where the split or the data holds fewer); a level a contestant has no
row for is missing. Without planned counts (an older meta.json) nothing is marked but the interruption.
"""
from __future__ import annotations

import datetime
import shlex
from dataclasses import dataclass, field
from pathlib import PurePath

import pandas as pd


@dataclass
class RunFacts:
    command: str = ""
    seed: int | None = None
    invocations: list[dict] = field(default_factory=list)
    planned: dict[tuple[str, int], int] = field(default_factory=dict)  # (task, level) -> instances planned
    backends: list[str] = field(default_factory=list)
    cores: int | None = None

    @property
    def interrupted(self) -> bool:
        return bool(self.invocations and self.invocations[-1].get("interrupted"))

    def planned_n(self, row) -> int | None:
        return self.planned.get((row["task"], int(row["difficulty"])))

    def short(self, row) -> bool:
        """Fewer answers than planned: an interrupted or failed level."""
        planned = self.planned_n(row)
        return planned is not None and int(row["n"]) < planned

    def missing(self, summary: pd.DataFrame) -> list[str]:
        """"contestant: task d1, d2" for the planned levels a contestant of the task has no row at, and "side: task"
        for the run's sides that answered nothing of a task they did not decline."""
        out = []
        failures = self.invocations[-1].get("failures") or [] if self.invocations else []
        for task in dict.fromkeys(t for t, _ in self.planned):
            levels = sorted(d for t, d in self.planned if t == task)
            mine = summary[summary["task"] == task]
            for who, rows in mine[mine["backend"] != "reference"].groupby("contestant", sort=False):
                gone = [d for d in levels if d not in set(rows["difficulty"].astype(int))]
                if gone:
                    out.append(f"{who}: {task} " + ", ".join(f"d{d}" for d in gone))
            for side in self.backends:
                declined = any(f.startswith(f"{side} {task} d") and ": skipped: " in f for f in failures)
                if side != "reference" and not declined and not (mine["backend"] == side).any():
                    out.append(f"{side}: {task} (no answers)")
        return out


def facts_of(meta: dict) -> RunFacts:
    planned = {}
    for task, info in (meta.get("tasks") or {}).items():
        for level, count in (info.get("instances") or {}).items():
            planned[(task, int(level))] = int(count)
    threads = meta.get("threads") or {}
    return RunFacts(meta.get("command", ""), meta.get("seed"), list(meta.get("invocations") or []), planned,
                    list(meta.get("backends") or []), threads.get("affinity") or threads.get("cpu_count"))


def when(epoch) -> str:
    if not isinstance(epoch, (int, float)):
        return "?"
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def conditions(inv: dict, cores: int | None) -> str:
    """"load 5.8 → 6.2 (1-min, 2 cores); CPU 95.1 s (user + sys) in 180.2 s wall" where recorded."""
    parts = []
    start, end = inv.get("load_1min_start"), inv.get("load_1min_end")
    if start is not None and end is not None:
        parts.append(f"load {start:.2f} → {end:.2f} (1-min average" + (f", {cores} cores" if cores else "") + ")")
    cpu, wall = inv.get("cpu_s"), inv.get("wall_s")
    if cpu is not None and wall:
        parts.append(f"CPU {cpu:.1f} s (user + sys) in {wall:.1f} s wall ({cpu / wall:.2f} CPU-s per s)")
    return "; ".join(parts)


def shown_command(command: str) -> str:
    """The command for a report that others read: an absolute path (a user's folders) shortened to …/its-name."""
    try:
        words = shlex.split(command)
    except ValueError:
        return command
    return " ".join("…/" + PurePath(w).name if PurePath(w).is_absolute() else shlex.quote(w) for w in words)


def head(facts: RunFacts) -> list[str]:
    """report.md's lines above the table: the command, seed and date; the interruption; the run's conditions."""
    if not facts.invocations and not facts.command:
        return []
    last = facts.invocations[-1] if facts.invocations else {}
    lines = [f"Command: `{shown_command(facts.command)}`" + (f" · seed {facts.seed}" if facts.seed is not None else "")
             + f" · {when(last.get('started_at'))}"]
    if facts.interrupted:
        lines.append("**Interrupted**: the last invocation stopped before it finished; rows marked *incomplete* "
                     "hold fewer answers than planned. Rerun the same command to finish.")
    for i, inv in enumerate(facts.invocations, 1):
        said = conditions(inv, facts.cores)
        if said or len(facts.invocations) > 1:
            stopped = ", interrupted" if inv.get("interrupted") else ""
            own = "isabench " + shlex.join(inv["argv"]) if isinstance(inv.get("argv"), list) else facts.command
            other = f" (`{shown_command(own)}`)" if own != facts.command else ""  # an earlier command, resumed
            lines.append(f"Invocation {i} of {len(facts.invocations)}, {when(inv.get('started_at'))}{other}: "
                         f"{inv.get('samples_done', '?')} answered{stopped}" + (f"; {said}" if said else ""))
    return lines


def short_n(row, facts: RunFacts | None) -> str:
    """The n cell: "64 of 100 (incomplete)" for a level with fewer answers than planned, else its n."""
    n = str(int(row["n"]))
    if facts is None or not facts.short(row):
        return n
    return f"{n} of {facts.planned_n(row)} (incomplete)"
