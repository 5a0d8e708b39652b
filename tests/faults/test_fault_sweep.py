"""The fault sweep as a test: `pytest --faults tests/faults -s` (ISABENCH_FAULT_SCALE=10 for the bigger one).

It runs tests/faults/sweep.py, prints its table, and fails on any outcome that breaks a promise; the failures name
the folder and the output to look at. Plain `pytest` skips it (the `faults` marker, conftest.py).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.mark.faults
def test_fault_sweep(capsys):
    import sweep

    code = sweep.main(["--scale", os.environ.get("ISABENCH_FAULT_SCALE", "1")])
    report = capsys.readouterr().out
    with capsys.disabled():
        print("\n" + report)
    assert code == 0, "\n".join(line for line in report.splitlines() if line.startswith("FAILED"))
