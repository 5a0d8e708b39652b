"""Run the chosen tasks on the chosen sides over identical instances; every finished chunk is on disk at once.

The same (task, difficulty, n, seed) always yields the same instances, and both sides get exactly those. A rerun
into the same folder skips every sample whose key (instance + side + model identity) is already recorded.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import records
from bench.sides import Side, SideOptions, SideUnavailable, make_side
from bench.tasks import Instance, Task, get_task


@dataclass
class RunConfig:
    out: Path
    tasks: list[str]
    backends: list[str] = field(default_factory=lambda: ["isa", "llm"])
    difficulties: list[int] | None = None  # None: each task's own default levels
    n: int = 20  # instances per task x difficulty
    seed: int = 0
    split: str = "test"  # held-out instances: the embedded model never trained on them
    side: SideOptions = field(default_factory=SideOptions)
    progress: bool = True


@dataclass
class Group:
    task: Task
    difficulty: int
    instances: list[Instance]


@dataclass
class RunResult:
    done: int = 0  # samples answered in this invocation
    skipped: int = 0  # samples already on disk
    setup: dict = field(default_factory=dict)  # side -> {"start": s, "warm-up <task>": s}, seconds
    info: dict = field(default_factory=dict)  # side -> its info (model id, hash, dtype, device ...)
    failures: list[str] = field(default_factory=list)  # what could not run, in words
    interrupted: bool = False
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None


def plan(cfg: RunConfig) -> list[Group]:
    groups = []
    for name in cfg.tasks:
        task = get_task(name)
        for d in cfg.difficulties or task.difficulties:
            groups.append(Group(task, d, task.instances(d, cfg.n, cfg.seed, cfg.split)))
    return groups


def make_record(side: Side, group: Group, inst: Instance, row: dict, split: str) -> dict:
    task = group.task
    reference = task.reference(inst.text)
    score = task.score(row.get("answer"), reference)
    batch_size = row.get("batch_size") or 1
    rec = {
        "key": records.record_key(inst.id, task.version, split, side.name, side.variant), "split": split,
        "task": task.name, "task_version": task.version, "axis": task.axis,
        "difficulty": inst.difficulty, "index": inst.index, "seed": inst.seed, "instance": inst.text,
        "backend": side.name, "variant": side.variant,
        "reference": reference, "exact": score.exact, "partial": score.partial,
        "per_answer_s": (row["batch_s"] / batch_size) if row.get("batch_s") is not None else row.get("latency_s"),
        "finished_at": time.time(),
    }
    rec.update(row)
    rec.setdefault("error", None)
    return rec


def run(cfg: RunConfig, on_records: Callable[[list[dict]], None] | None = None) -> RunResult:
    """Answer every pending sample; `on_records` sees each flushed chunk (tests use it to interrupt a run)."""
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / records.RECORDS_FILE
    groups = plan(cfg)
    result = RunResult()
    sides = []
    for name in cfg.backends:
        side = make_side(name, cfg.side)
        try:
            side.start()  # before counting pending work: the LLM's records are keyed by its model hash
        except SideUnavailable as e:
            result.failures.append(f"{name}: {e}")
            continue
        result.setup[name], result.info[name] = side.setup, side.info
        sides.append(side)

    done = records.load(path).keys()
    work = []
    for side in sides:
        for g in groups:
            pending = [i for i in g.instances
                       if records.record_key(i.id, g.task.version, cfg.split, side.name, side.variant) not in done]
            result.skipped += len(g.instances) - len(pending)
            if pending:
                work.append((side, g, pending))

    bar = progress_bar(sum(len(p) for _, _, p in work), cfg.progress)
    try:
        with records.RecordWriter(path) as writer:
            for side, g, pending in work:
                bar.set_description(f"{side.name} {g.task.name} d{g.difficulty}")
                try:
                    side.warm_up(g.task, g.instances)
                    for start in range(0, len(pending), side.chunk_size):
                        chunk = pending[start:start + side.chunk_size]
                        rows = side.answer(g.task, chunk)
                        recs = [make_record(side, g, inst, row, cfg.split) for inst, row in zip(chunk, rows)]
                        writer.write(recs)
                        result.done += len(recs)
                        bar.update(len(recs))
                        if on_records:
                            on_records(recs)
                except (KeyboardInterrupt, SystemExit):
                    raise
                except Exception as e:  # one broken task must not cost the others' results
                    result.failures.append(f"{side.name} {g.task.name} d{g.difficulty}: {type(e).__name__}: {e}")
                    bar.update(len(pending))
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        bar.close()
        result.finished_at = time.time()
    return result


def progress_bar(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="answer", disable=not enabled or total == 0, dynamic_ncols=True)
