"""Run the chosen tasks on the chosen sides over identical instances; every finished chunk is on disk at once.

The same (task, difficulty, n, seed) always yields the same instances, and both sides get exactly those. A rerun
into the same folder skips every sample whose key (instance + side + what answered + how it was asked) is recorded.
Everything that can fail before the work (a task name, a data file, a model that will not load) fails before the
run folder is touched.
"""
from __future__ import annotations

import hashlib
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench import records
from bench.interrupts import Interrupts
from bench.lock import locked
from bench.conditions import conditions
from bench.sides import Contestant, Side, SideOptions, SideUnavailable, make_side
from bench.tasks import Instance, Task, get_task


class SetupError(RuntimeError):
    """The run cannot start: a side, a model or a data file is unusable. Nothing was written."""


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
    data: Path | None = None  # a user's file of instances (bench/tasks/datafile.py): it replaces the built-in split
    levels: dict[str, list[int]] | None = None  # per-task levels (a suite's cells); overrides `difficulties`
    suite: str | None = None  # the name of those cells (bench/suites.py), for the report
    # lm-eval's --limit: only the first `limit` instances of every cell (task x level) that a full run asks, the very
    # same ones, so a limited run's records are a prefix of the full run's and the full run resumes them.
    limit: int | None = None


@dataclass
class Group:
    task: Task
    difficulty: int
    instances: list[Instance]
    split: str  # as it enters record keys: "test", "train", or "data:<file>@<hash>"
    asked: int  # instances asked for (n), to tell a user when a level holds fewer
    seen_in_training: bool = False  # a --data file shares sentences with the built-in train/dev split
    cell_size: int = 0  # instances the cell holds in a full run (before --limit cuts it)


@dataclass
class RunResult:
    done: int = 0  # samples answered in this invocation
    skipped: int = 0  # samples already on disk
    setup: dict = field(default_factory=dict)  # side -> {"start": s, "warm-up <task>": s}, seconds
    info: dict = field(default_factory=dict)  # side -> its info (model id, hash, dtype, device ...)
    failures: list[str] = field(default_factory=list)  # what could not run, in words
    notes: list[str] = field(default_factory=list)  # what a reader should know (levels smaller than n)
    interrupted: bool = False
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    # The machine's load and this process's CPU time as the run starts (bench/conditions.py), and the instances
    # each (task, level) was planned to hold: what meta.json and the report compare the run's end and its n with.
    at_start: dict = field(default_factory=conditions)
    planned: dict = field(default_factory=dict)


def data_split(path: Path) -> str:
    from bench.tasks.datafile import read_data  # a regular file of bounded size: never /dev/zero or a FIFO

    digest = hashlib.sha256(read_data(path, keep_bom=True)).hexdigest()[:10]
    return f"data:{Path(path).name}@{digest}"


def plan(cfg: RunConfig) -> list[Group]:
    groups = []
    if cfg.data is not None and len(cfg.tasks) != 1:
        raise SetupError(f"--data {cfg.data} holds one task's instances: name that task with --tasks (e.g. --tasks "
                         f"add), not {len(cfg.tasks)} tasks")
    for name in cfg.tasks:
        task = get_task(name)
        if cfg.data is not None:
            from bench.tasks.datafile import read_instances  # any task's file of instances (its formats there)

            by_level: dict[int, list[Instance]] = {}
            for inst in read_instances(task, cfg.data, cfg.seed):
                by_level.setdefault(inst.difficulty, []).append(inst)
            split = data_split(cfg.data)
            groups += [Group(task, d, insts, split, len(insts)) for d, insts in sorted(by_level.items())]
            continue
        for d in (cfg.levels or {}).get(name) or cfg.difficulties or task.difficulties:
            groups.append(Group(task, d, task.instances(d, cfg.n, cfg.seed, cfg.split), cfg.split, cfg.n))
    for g in groups:
        g.cell_size = len(g.instances)
        g.instances = g.instances[:cfg.limit]  # the first ones a full run asks (None: all of them)
    return groups


def make_record(side: Side, who: Contestant, group: Group, inst: Instance, row: dict) -> dict:
    task = group.task
    reference = task.answer_of(inst)
    score = task.score(row.get("answer"), reference)
    # lm-eval's flexible-extract beside the strict answer: a side that reads replies says what the flexible rule
    # reads (bench/tasks/replies.py); every other answer is exact text already, the same under both rules.
    flexible = row.get("answer_flexible", row.get("answer"))
    exact_flexible = score.exact if flexible == row.get("answer") else task.score(flexible, reference).exact
    batch_size = row.get("batch_size") or 1
    rec = {
        "key": key_of(side, who, group, inst), "split": group.split,
        "task": task.name, "task_version": task.version, "axis": task.axis, "ground_truth": task.ground_truth,
        "difficulty": inst.difficulty, "index": inst.index, "seed": inst.seed, "instance": inst.text,
        "facets": dict(inst.facets), "backend": side.name, "contestant": who.label, "variant": who.variant,
        "setting": who.setting, **who.options,
        "coverage": coverage(side, group, inst),
        "reference": reference, "exact": score.exact, "partial": score.partial,
        "answer_flexible": flexible, "exact_flexible": exact_flexible,
        "cell_size": group.cell_size,
        "per_answer_s": (row["batch_s"] / batch_size) if row.get("batch_s") is not None else row.get("latency_s"),
        "finished_at": time.time(),
    }
    rec.update(row)
    rec.setdefault("error", None)
    if getattr(side, "exact", False) and task.ground_truth == "reference" and not score.exact and not rec["error"]:
        rec["error"] = f"the ISA's answer {row.get('answer')!r} differs from the reference {reference!r}"
    return rec


def coverage(side: Side, group: Group, inst: Instance) -> str:
    """The side's own mark, except that a --data file sharing training data makes a held-out mark train-shared (a
    side that learnt nothing from the split, such as the ISA on a computed task, stays unmarked)."""
    mark = side.coverage(group.task, inst.difficulty, group.split)
    return "train-shared" if group.seen_in_training and mark == "held-out" else mark


def key_of(side: Side, who: Contestant, group: Group, inst: Instance) -> str:
    return records.record_key(inst.id, inst.text, group.task.version, group.split, side.name, who.variant,
                              who.setting)


def start_sides(cfg: RunConfig, groups: list[Group], result: RunResult) -> list[Side]:
    tasks = list({g.task.name: g.task for g in groups}.values())
    sides, options = [], replace(cfg.side, loaded={})  # this run's sides share the models they load, and only they
    for name in cfg.backends:
        side = make_side(name, options)
        if cfg.progress and name == "llm":
            print("loading the language model(s)...", file=sys.stderr, flush=True)
        try:
            side.start(tasks)  # before counting pending work: the LLM's records are keyed by its model hash
        except SideUnavailable as e:
            raise SetupError(f"{name}: {e}") from None
        result.setup[name], result.info[name] = side.setup, side.info
        sides.append(side)
    return sides


def pending_work(sides: list[Side], groups: list[Group], done: set[str], result: RunResult):
    work = []
    for side in sides:
        for g in groups:
            try:
                contestants = side.contestants(g.task)
            except SideUnavailable as e:
                result.failures.append(f"{side.name} {g.task.name} d{g.difficulty}: skipped: {e}")
                continue
            for who in contestants:
                pending = [i for i in g.instances if key_of(side, who, g, i) not in done]
                result.skipped += len(g.instances) - len(pending)
                if pending:
                    work.append((side, who, g, pending))
    return work


def run(cfg: RunConfig, on_records: Callable[[list[dict]], None] | None = None,
        check: Callable[[], str | None] | None = None,
        finish: Callable[[RunResult], None] | None = None) -> RunResult:
    """Answer every pending sample; `on_records` sees each flushed chunk (tests use it to interrupt a run).

    The run folder's lock covers the whole write: `check()` runs first under it (why the folder cannot take this run,
    or None: raised as SetupError), and `finish(result)` last (metadata, summary, tables), after an interruption too;
    a second run into the folder waits for neither half-written metadata nor a summary of someone else's records."""
    result = RunResult()
    groups = plan(cfg)
    result.planned = {(g.task.name, g.difficulty): len(g.instances) for g in groups}
    if cfg.data is not None:
        from bench.tasks.datafile import overlap_note

        for task in {g.task.name: g.task for g in groups}.values():
            note = overlap_note(task, [i for g in groups if g.task is task for i in g.instances], cfg.data)
            if note:
                for g in groups:
                    g.seen_in_training = g.seen_in_training or g.task is task
                result.notes.append(note)
    for g in groups:  # a labelled task's levels are as large as its data: no news there
        if g.task.ground_truth == "reference" and g.split == cfg.split and g.cell_size < g.asked:
            result.notes.append(f"{g.task.name} d{g.difficulty}: the {g.split} split holds {g.cell_size} "
                                f"instances, fewer than the {g.asked} asked for")
    empty = [f"{g.task.name} d{g.difficulty}" for g in groups if not g.instances]
    if groups and len(empty) == len(groups):  # before any folder exists: there is nothing to answer
        known = "; ".join(f"{g.task.name}: levels {', '.join(map(str, g.task.difficulties))}"
                          for g in {g.task.name: g for g in groups}.values())
        raise SetupError(f"no instances to answer: the {groups[0].split} split has none at {', '.join(empty)} "
                         f"({known})")
    result.notes += [f"{name}: no instances in this split; skipped" for name in empty]
    sides = start_sides(cfg, groups, result)
    out = Path(cfg.out)
    path = out / records.RECORDS_FILE
    interrupts = Interrupts()
    with interrupts.installed(), locked(out, " ".join(sys.argv)):
        problem = check() if check else None
        if problem:
            raise SetupError(problem)
        try:
            with records.RecordWriter(path) as writer:  # refuses a link; moves unreadable lines aside
                work = pending_work(sides, groups, writer.existing.keys(), result)
                for side in sides:
                    mine = [w for w in work if w[0] is side]
                    answer_all(mine, writer, result, interrupts, cfg.progress, on_records)
        except KeyboardInterrupt:
            result.interrupted = True
        except records.WriteFailed as e:
            result.failures.append(f"the run stopped: {e}")
        finally:
            result.finished_at = time.time()
        if finish:
            finish(result)
    return result


def answer_all(work, writer, result: RunResult, interrupts: Interrupts, progress: bool, on_records) -> None:
    bar = progress_bar(sum(len(p) for *_, p in work), progress, work[0][0].name if work else "")
    try:
        for side, who, g, pending in work:
            bar.set_description(f"{who.label} {g.task.name} d{g.difficulty}")
            started, answered, failed = time.perf_counter(), 0, False
            try:
                side.warm_up(g.task, who, g.instances)
                for start in range(0, len(pending), side.chunk_size):
                    chunk = pending[start:start + side.chunk_size]
                    rows = side.answer(g.task, who, chunk)
                    recs = [make_record(side, who, g, inst, row) for inst, row in zip(chunk, rows)]
                    chunk_id = uuid.uuid4().hex[:12]  # the records of one batched call share its timings
                    for rec in recs:
                        rec["chunk"] = chunk_id
                    with interrupts.shielded():  # the records on disk and the count agree, whenever a signal comes
                        writer.write(recs)
                        result.done += len(recs)
                    answered += len(recs)
                    bar.update(len(recs))
                    if on_records:
                        on_records(recs)
            except (KeyboardInterrupt, SystemExit, records.WriteFailed):  # the folder, not the task: stop
                raise
            except Exception as e:  # one broken task must not cost the others' results
                result.failures.append(f"{who.label} {g.task.name} d{g.difficulty}: {type(e).__name__}: {e}")
                bar.update(len(pending) - answered)
                failed = True
            if progress and bar.disable:  # no terminal: one line per task and level instead of a bar
                print(f"{who.label} {g.task.name} d{g.difficulty}: {answered} answered"
                      + (f", then failed (of {len(pending)})" if failed else "")
                      + f" in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    finally:
        bar.close()


def progress_bar(total: int, enabled: bool, side: str):
    from tqdm.auto import tqdm

    tty = sys.stderr.isatty()
    return tqdm(total=total, unit="answer", disable=not enabled or total == 0 or not tty, dynamic_ncols=True,
                desc=side)
