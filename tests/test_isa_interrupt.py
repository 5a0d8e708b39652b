"""Ctrl-C stops a run on every tier (issue 24 item 9): an infinite loop with the largest fuel ends promptly, as
`isabench asm` with exit 130 and 'interrupted', and so does a batch on two threads. Each case runs in a child process
that says 'ready' once numba and the program's native code are loaded, so the signal lands in the native loop."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOOP = "loop: addi r1, r1, 1\njmp loop\n"
# The child takes SIGINT as a foreground process does: one started with SIGINT ignored (pytest run as a background
# job of a non-interactive shell, as some CI runners do) inherits the ignoring, and no Ctrl-C could reach it.
PREPARE = f"""
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from isa.asm import assemble
from isa.machine import run, run_batch
program = assemble({LOOP!r})
run(program, fuel=1000, tier=sys.argv[1])  # numba loaded, the program compiled (into the test's cache)
print("ready", flush=True)
"""
ASM = PREPARE + """
from bench.cli import main
sys.exit(main(["asm", sys.argv[2], "--run", "--tier", sys.argv[1], "--fuel", str(2**63 - 1)]))
"""
BATCH = PREPARE + """
import numpy as np
try:
    run_batch(program, np.zeros((4, 1), np.int64), fuel=2**63 - 1, tier=sys.argv[1], threads=2)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
"""


def start(script: str, tier: str, tmp_path: Path) -> subprocess.Popen:
    tmp_path = tmp_path / tier
    tmp_path.mkdir()
    loop = tmp_path / "loop.s"
    loop.write_text(LOOP)
    env = dict(os.environ, PYTHONPATH=str(ROOT), ISABENCH_CACHE_DIR=str(tmp_path / "cache"))
    return subprocess.Popen([sys.executable, "-c", script, tier, str(loop)], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def interrupt(children: dict[str, subprocess.Popen]) -> dict[str, tuple[int, str, str]]:
    """Wait for every child's 'ready', let it loop a second, send SIGINT, and collect (exit code, stdout, stderr)
    within 20 s (a child still running then has ignored the signal)."""
    try:
        for tier, child in children.items():
            line = child.stdout.readline()
            if line != "ready\n":
                child.kill()
                pytest.fail(f"{tier}: not ready ({line!r}): {child.communicate()[1]}")
        time.sleep(1.0)
        for child in children.values():
            child.send_signal(signal.SIGINT)
        done = {}
        for tier, child in children.items():
            try:
                out, err = child.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                pytest.fail(f"{tier}: still running 20 s after SIGINT")
            done[tier] = child.returncode, out, err
        return done
    finally:  # a failure above must not leave an endless loop running after the test
        for child in children.values():
            if child.poll() is None:
                child.kill()
                child.communicate()


def test_ctrl_c_stops_isabench_asm_on_every_tier(tmp_path):
    results = interrupt({tier: start(ASM, tier, tmp_path) for tier in ("ref", "jit", "compiled")})
    for tier, (code, out, err) in results.items():
        assert (code, out, err.strip()) == (130, "", "interrupted"), tier


def test_ctrl_c_stops_a_batch_running_on_two_threads(tmp_path):
    results = interrupt({tier: start(BATCH, tier, tmp_path) for tier in ("jit", "compiled")})
    for tier, (code, out, err) in results.items():
        assert (code, out) == (130, "interrupted\n"), (tier, err)
