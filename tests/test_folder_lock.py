"""The run folder's lock covers the whole write (issue 17 item 3): the conflict check, the records, meta.json and the
summary, tables and figures rebuilt from the records. Two real processes: while the first writes its summary (made
to take a few seconds), a second run into the folder (the same command: a resume) is told the folder is busy and
writes nothing."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["run", "--backends", "reference", "--tasks", "add", "--n", "50", "--no-plots"]
# The first process: isabench itself, its rebuild of the summary slowed by 8 seconds.
SLOW_REBUILD = ("import sys, time\nimport bench.run_folder as rf\nslow = rf.rebuild\n"
                "rf.rebuild = lambda *a, **k: (time.sleep(8), slow(*a, **k))[1]\n"
                "from bench.cli import main\nsys.exit(main())")


def test_a_second_run_waits_out_the_first_ones_summary(tmp_path):
    out = tmp_path / "run"
    first = subprocess.Popen([sys.executable, "-c", SLOW_REBUILD, *ARGS, "--out", str(out)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONUNBUFFERED": "1"})
    line, deadline = "", time.monotonic() + 120
    while "writing the summary" not in line:  # the first run has answered and now writes its summary
        line = first.stderr.readline()
        assert line or first.poll() is None, first.communicate()
        assert time.monotonic() < deadline
    second = subprocess.run([sys.executable, "-m", "bench.cli", *ARGS, "--out", str(out)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert first.poll() is None, "the first run finished before the second asked: the test proves nothing"
    _, first_err = first.communicate(timeout=120)
    assert first.returncode == 0, first_err
    assert second.returncode == 2 and "in use by another isabench run" in second.stderr, second.stderr
    assert len(json.loads((out / "meta.json").read_text())["invocations"]) == 1  # the second wrote nothing
    assert not (out / ".lock").read_text().strip()  # released: nobody holds it
