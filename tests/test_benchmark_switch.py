"""What `pytest`, `pytest --benchmark` and pytest-benchmark's own flags run (conftest.py; issue 22 item 2, issue 17
item 4): each case runs the project's conftest.py over three small tests in a fresh pytest process, and the tests
write down what they saw (timing on or off, the sweep's size)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = '''
import json, os, pytest

def seen(name, **what):
    with open(os.environ["SEEN"], "a") as f:
        f.write(json.dumps({"test": name, **what}) + "\\n")

def test_plain():
    seen("plain")

def test_timed(benchmark):
    assert benchmark(lambda: 41 + 1) == 42
    seen("timed", disabled=benchmark.disabled)

@pytest.mark.slow
def test_sweep(full_sweep):
    seen("sweep", full=full_sweep)
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("project")
    (folder / "conftest.py").write_text((ROOT / "conftest.py").read_text())
    (folder / "pytest.ini").write_text("[pytest]\nmarkers =\n    slow: a long sweep\n")
    (folder / "test_x.py").write_text(TESTS)
    return folder


def run(project: Path, *flags: str) -> dict:
    seen = project / f"seen{abs(hash(flags))}.jsonl"
    env = {**os.environ, "SEEN": str(seen), "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}  # pytest-benchmark alone, loaded below: a faster start
    quick = ["--benchmark-max-time=0.0001", "--benchmark-min-rounds=1"]  # timing, as short as the plugin allows
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "pytest_benchmark.plugin",
                           *quick, *flags, "test_x.py"], cwd=project, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = seen.read_text().splitlines() if seen.exists() else []
    return {d.pop("test"): d for d in map(json.loads, lines)}


def saved(project: Path) -> list[Path]:
    return sorted((project / "results" / "benchmarks").glob("*/0*.json"))


def test_plain_pytest_runs_everything_once_untimed(project):
    assert run(project) == {"plain": {}, "timed": {"disabled": True}, "sweep": {"full": False}}
    assert saved(project) == []


def test_benchmark_runs_only_the_benchmarks_timed_and_saves_json(project):
    assert run(project, "--benchmark") == {"timed": {"disabled": False}, "sweep": {"full": True}}
    files = saved(project)
    assert len(files) == 1 and [b["name"] for b in json.loads(files[0].read_text())["benchmarks"]] == ["test_timed"]
    assert "load_average" in json.loads(files[0].read_text())["machine_info"]
    files[0].unlink()


def test_the_plugins_own_flags_keep_their_meaning(project):
    assert run(project, "--benchmark-only") == {"timed": {"disabled": False}}
    assert run(project, "--benchmark-skip") == {"plain": {}, "sweep": {"full": False}}
    assert run(project, "--benchmark-enable") == {"plain": {}, "timed": {"disabled": False}, "sweep": {"full": False}}
    assert run(project, "--benchmark", "--benchmark-disable") == {"timed": {"disabled": True}, "sweep": {"full": True}}
    assert saved(project) == []  # only --benchmark saves unasked, and not when timing is off
