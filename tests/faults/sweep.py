"""The fault sweep (issue 24): kills, concurrent runs, damaged files, hostile inputs; a table of counts and outcomes.

    python tests/faults/sweep.py                  # every class, about 5-10 minutes on 2 busy cores
    python tests/faults/sweep.py --scale 10       # ten times the cases per class
    python tests/faults/sweep.py --only kills,asm --seed 3
    pytest --faults tests/faults -s               # the same sweep as a test: fails on any unexpected outcome

Each class counts its cases; every outcome is tallied, and an outcome that breaks a promise (a traceback, a lost or
doubled record, a victim file written through a link, a completion that differs from an uninterrupted run) is
listed as a failure with what to rerun. The process-level classes live here (they start `isabench` as a process and
signal or race it); the in-process ones (files, models, inputs) in cases.py.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# One command for every class that runs the harness: both non-LLM sides, three tasks, flushed in several chunks.
RUN = ["run", "--tasks", "add,mul,square", "--backends", "isa,reference", "--n", "40", "--tier", "ref", "--quiet",
       "--no-plots"]
WITH_PLOTS = " ".join(a for a in RUN if a != "--no-plots")  # for a shell line: every file a run writes


@dataclass
class Tally:
    """One fault class: how many cases, what came out, and which outcomes broke a promise."""

    name: str
    what: str
    cases: int = 0
    outcomes: collections.Counter = field(default_factory=collections.Counter)
    failures: list[str] = field(default_factory=list)

    def ok(self, outcome: str) -> None:
        self.cases += 1
        self.outcomes[outcome] += 1

    def fail(self, outcome: str, detail: str) -> None:
        self.cases += 1
        self.outcomes["FAIL " + outcome] += 1
        self.failures.append(f"{self.name}: {outcome}: {detail}")

    def check(self, good: bool, outcome: str, detail: str) -> None:
        self.ok(outcome) if good else self.fail(outcome, detail)


def isabench(*argv, cwd: Path, timeout: float = 300, **popen) -> subprocess.Popen:
    """`isabench ARGV` as its own process (cwd: a scratch folder, so `-m bench.cli` finds this checkout's bench)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONFAULTHANDLER": "1"}
    return subprocess.Popen([sys.executable, "-m", "bench.cli", *map(str, argv)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return -999, out, err + "\n(sweep: killed after its timeout)"
    return proc.returncode, out, err


def answers(folder: Path) -> dict[str, tuple]:
    """key -> what was answered and how it scored: what must match an uninterrupted run (timings may not)."""
    from bench import records
    from bench.tasks import TASKS

    return {r["key"]: (r.get("answer"), r["exact"], r.get("reference")) for r in
            records.load(folder / records.RECORDS_FILE, warn=False).records if r["task"] in TASKS}


def raw_keys(folder: Path) -> collections.Counter:
    """How many lines of records.jsonl hold each key (a key twice is a doubled record)."""
    counts = collections.Counter()
    for raw in (folder / "records.jsonl").read_bytes().splitlines():
        try:
            counts[json.loads(raw)["key"]] += 1
        except (ValueError, KeyError, TypeError):
            counts["(not a record)"] += 1
    return counts


def reference_run(work: Path) -> tuple[Path, dict, float]:
    """One uninterrupted run (made once per sweep): the answers every completion must match, and its duration."""
    folder = work / "reference"
    if (folder / "seconds").exists():
        return folder, answers(folder), float((folder / "seconds").read_text())
    started = time.monotonic()
    code, _, err = finish(isabench(*RUN, "--out", folder, cwd=work))
    if code != 0:
        raise SystemExit(f"the uninterrupted reference run failed ({code}): {err[-2000:]}")
    (folder / "seconds").write_text(str(time.monotonic() - started))
    return reference_run(work)


def check_completion(t: Tally, folder: Path, expected: dict, label: str, work: Path) -> None:
    code, _, err = finish(isabench(*RUN, "--out", folder, cwd=work))
    doubled = [k for k, c in raw_keys(folder).items() if c > 1]
    got = answers(folder)
    problems = ([f"completion exit {code}: {err[-600:]}"] if code != 0 else []) + \
               ([f"{len(doubled)} key(s) on more than one line"] if doubled else []) + \
               ([f"{len(set(expected) - set(got))} missing, {len(set(got) - set(expected))} extra, "
                 f"{sum(got[k] != v for k, v in expected.items() if k in got)} different"] if got != expected else []) + \
               (["a traceback"] if "Traceback" in err else [])
    t.check(not problems, label, f"{folder}: " + "; ".join(problems))


# --- kills --------------------------------------------------------------------------------------------------------
def kills(t: Tally, scale: int, rng: random.Random, work: Path) -> None:
    """SIGKILL, SIGINT and SIGTERM at random points of `isabench run`, once or twice before it is let finish."""
    _, expected, seconds = reference_run(work)
    for i in range(12 * scale):
        sig = (signal.SIGKILL, signal.SIGINT, signal.SIGTERM)[i % 3]
        folder = work / f"kill{i}"
        codes = []
        for _ in range(1 + (i % 4 == 3)):  # every fourth: killed, resumed, killed again
            proc = isabench(*RUN, "--out", folder, cwd=work)
            time.sleep(rng.uniform(0.05, seconds * 1.1))
            if proc.poll() is None:
                proc.send_signal(sig)
            code, _, err = finish(proc)
            codes.append(code)
            allowed = {0, -signal.SIGKILL} if sig == signal.SIGKILL else {0, 130}
            if code not in allowed or "Traceback" in err:
                t.fail(f"{sig.name} exit {code}", f"{folder}: {err[-800:]}")
                break
        else:
            label = f"{sig.name}: " + ("finished first" if codes[-1] == 0 else f"stopped ({'/'.join(map(str, codes))})"
                                       ) + ", completion matches"
            check_completion(t, folder, expected, label, work)


# --- concurrent runs ------------------------------------------------------------------------------------------------
def concurrent(t: Tally, scale: int, rng: random.Random, work: Path) -> None:
    """Three runs started together into one folder: one writes, the others are told who holds it."""
    _, expected, _ = reference_run(work)
    for i in range(4 * scale):
        folder = work / f"race{i}"
        procs = [isabench(*RUN, "--out", folder, cwd=work) for _ in range(3)]
        results = [finish(p) for p in procs]
        codes = sorted(code for code, _, _ in results)
        busy_said = all("in use by another isabench run" in err for code, _, err in results if code == 2)
        if not (codes.count(0) >= 1 and set(codes) <= {0, 2} and busy_said):
            t.fail(f"exits {codes}", f"{folder}: " + " | ".join(err[-300:] for _, _, err in results))
            continue
        check_completion(t, folder, expected, f"{codes.count(0)} wrote, {codes.count(2)} told busy; no record twice",
                         work)


# --- real read-only and full file systems (Linux user namespaces) ----------------------------------------------------
def namespaces_work() -> bool:
    try:
        return subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def in_namespace(script: str, work: Path) -> tuple[int, str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PY": sys.executable}
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], cwd=work, env=env, capture_output=True, text=True,
                          timeout=600)
    return done.returncode, done.stdout, done.stderr


def filesystems(t: Tally, scale: int, rng: random.Random, work: Path) -> None:
    """A real read-only bind mount (report, plot, run) and tmpfs disks too small for the run (then grown)."""
    if not namespaces_work():
        t.outcomes["skipped: no user namespaces (unshare -rm)"] += 1
        return
    reference, expected, _ = reference_run(work)
    for command in ("report", "plot", "run"):
        folder = work / f"ro-{command}"
        shutil.copytree(reference, folder)
        before = sorted((p.name, p.stat().st_size) for p in folder.rglob("*"))
        argv = "run " + " ".join(RUN[1:]) + f" --out {folder}" if command == "run" else f"{command} {folder}"
        code, out, err = in_namespace(f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && "
                                      f"$PY -m bench.cli {argv}", work)
        after = sorted((p.name, p.stat().st_size) for p in folder.rglob("*"))
        said = "not writable" in err if command == "run" else "could not write" in err
        t.check(code == (2 if command == "run" else 1) and said and "Traceback" not in err and before == after
                and (command != "report" or "add" in out), f"read-only {command}: exit {code}, said what it could "
                "not write", f"{folder}: {err[-600:]}")
    for i in range(4 * scale):
        size = rng.choice([8, 16, 24, 32, 48, 64, 96, 128, 256])  # kB: records, meta, tables or plots run out
        keep = work / f"full{i}"
        keep.mkdir()
        script = (f"mkdir -p disk && mount -t tmpfs -o size={size}k tmpfs disk && "
                  f"$PY -m bench.cli {WITH_PLOTS} --out disk/R; echo \"exit $?\" > {keep}/first; "
                  f"ls -a disk/R > {keep}/listing 2>/dev/null; "
                  f"mount -o remount,size=64m disk && $PY -m bench.cli {WITH_PLOTS} --out disk/R; "
                  f"echo \"exit $?\" > {keep}/second; cp -r disk/R {keep}/R")
        code, _, err = in_namespace(script, work)
        first = (keep / "first").read_text().split()[-1] if (keep / "first").exists() else "?"
        second = (keep / "second").read_text().split()[-1] if (keep / "second").exists() else "?"
        temps = [n for n in ((keep / "listing").read_text().split() if (keep / "listing").exists() else [])
                 if n.endswith(".tmp")]
        got = answers(keep / "R") if (keep / "R").exists() else {}
        t.check("Traceback" not in err and not temps and second == "0" and got == expected and first in ("0", "1", "2"),
                f"tmpfs full: exit {first}, then {second} once grown", f"{size} kB: temporaries {temps}; "
                f"{len(got)} of {len(expected)} records; {err[-800:]}")


# --- the table ----------------------------------------------------------------------------------------------------
def classes():
    import cases

    return {"kills": (kills, "SIGKILL / SIGINT at random points of `isabench run`; completion vs uninterrupted"),
            "concurrent": (concurrent, "three runs into one folder at once"),
            "records": (cases.damaged_records, "records.jsonl damaged, then `report` and the same `run`"),
            "meta": (cases.damaged_meta, "meta.json damaged or of the wrong shape: `report`, `plot`, `run`"),
            "links": (cases.links, "a symbolic link at each path a run writes, to a victim file"),
            "models": (cases.damaged_models, "model / adapter folders damaged: `run` fails before work"),
            "solve": (cases.fuzzed_solve, "fuzzed `isabench solve` inputs, every task, reference and isa"),
            "asm": (cases.asm_soups, "assembly token soups through `isabench asm --run` on ref, jit, compiled"),
            "filesystems": (filesystems, "real read-only mount and full tmpfs (needs unshare -rm)")}


def table(tallies: list[Tally]) -> str:
    lines = [f"{'class':<12} {'cases':>6} {'fails':>6}  outcomes", "-" * 100]
    for t in tallies:
        outcomes = sorted(t.outcomes.items(), key=lambda kv: (not kv[0].startswith("FAIL"), -kv[1]))
        first, *rest = [f"{n:>5} x {o}" for o, n in outcomes] or ["(none)"]
        lines.append(f"{t.name:<12} {t.cases:>6} {len(t.failures):>6}  {first}")
        lines += [" " * 28 + r for r in rest]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="fault_sweep", description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=int, default=1, help="cases per class, times this (default 1: minutes)")
    p.add_argument("--only", default=None, help=f"comma-separated classes (default: all: {', '.join(classes())})")
    p.add_argument("--seed", type=int, default=24)
    p.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it (default: a temp folder)")
    args = p.parse_args(argv)
    chosen = classes() if not args.only else {k: v for k, v in classes().items() if k in args.only.split(",")}
    work = args.keep or Path(tempfile.mkdtemp(prefix="isabench-faults-"))
    work.mkdir(parents=True, exist_ok=True)
    tallies = []
    try:
        for name, (sweep, what) in chosen.items():
            t = Tally(name, what)
            started = time.monotonic()
            sweep(t, args.scale, random.Random(f"{args.seed}:{name}"), work)
            print(f"{name}: {t.cases} cases, {len(t.failures)} failed, {time.monotonic() - started:.0f} s",
                  file=sys.stderr, flush=True)
            tallies.append(t)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(table(tallies))
    for failure in (f for t in tallies for f in t.failures):
        print("FAILED " + failure)
    return 1 if any(t.failures for t in tallies) else 0


if __name__ == "__main__":
    sys.exit(main())
