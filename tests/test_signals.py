"""A signal at any moment of a command ends it with exit 130 and a word, never a death by signal or a traceback
(issue 24 item 13: "a signal during teardown gave exit -2"). Each case runs `isabench` as a process, with one
function patched to deliver the signal at the moment under test, so the moment is exact rather than a race."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

RUN = ["run", "--tasks", "add", "--backends", "reference", "--n", "3", "--no-plots", "--quiet"]


def isabench(tmp_path, patch: str, *argv: str) -> subprocess.CompletedProcess:
    script = textwrap.dedent("""
        import os, signal, sys
        import bench.cli, bench.cmd_run, bench.run_folder, bench.runner
        {patch}
        sys.argv = ["isabench", *{argv!r}]
        sys.exit(bench.cli.main())
    """).format(patch=textwrap.dedent(patch), argv=list(argv))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120,
                          cwd=tmp_path)


# The moment: while the command says "interrupted" (a second Ctrl-C).
SECOND_WHILE_SAYING = """
    import builtins
    real_print = builtins.print
    def print(*args, **kwargs):
        if args and args[0] == "interrupted":
            builtins.print = real_print
            raise KeyboardInterrupt
        real_print(*args, **kwargs)
    builtins.print = print
    def start_sides(*args):
        raise KeyboardInterrupt
    bench.runner.start_sides = start_sides
"""
# The moment: SIGTERM while the sides start, before the run's own handlers.
TERM_IN_SETUP = """
    real = bench.runner.start_sides
    def start_sides(*args):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10**6): pass
        return real(*args)
    bench.runner.start_sides = start_sides
"""
# The moment: after the command is done, while Python tears down (as late as Python code runs; later still,
# Python resets handled signals to their default action, and only an ignored one stays harmless).
AFTER_THE_END = """
    import atexit
    def late():
        assert signal.getsignal(signal.SIGINT) is signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10**6): pass
    atexit.register(late)
"""


@pytest.mark.parametrize("patch, code, said", [(SECOND_WHILE_SAYING, 130, ""),
                                               (TERM_IN_SETUP, 130, "interrupted"),
                                               (AFTER_THE_END, 0, "")],
                         ids=["second-signal-while-saying", "sigterm-in-setup",
                              "sigterm-after-the-end"])
def test_a_signal_at_any_moment_ends_with_a_status_not_a_death(tmp_path, patch, code, said):
    done = isabench(tmp_path, patch, *RUN, "--out", "R")
    assert done.returncode == code, done.stderr
    assert said in done.stderr and "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    if patch is TERM_IN_SETUP:
        assert not (tmp_path / "R").exists()  # stopped before the folder was made


def test_an_interrupt_before_the_first_record_says_so_and_exits_130(tmp_path, monkeypatch, capsys):
    """It said "nothing was recorded" and exited 1, as if the run had failed."""
    from bench import cli, runner

    def pending_work(*args):
        raise KeyboardInterrupt
    monkeypatch.setattr(runner, "pending_work", pending_work)
    assert cli.main([*RUN, "--out", str(tmp_path / "R")]) == 130
    assert "interrupted before anything was recorded" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the dropped interrupt itself
def test_an_interrupt_swallowed_in_a_destructor_is_raised_at_the_next_shielded_block():
    """Python reports and drops an exception raised inside __del__; the run must still stop."""
    import signal

    from bench.interrupts import Interrupts

    class Noisy:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(10**5):  # the handler runs in here, and its KeyboardInterrupt is dropped
                pass

    interrupts = Interrupts()
    with interrupts.installed():
        Noisy()
        with pytest.raises(KeyboardInterrupt):
            with interrupts.shielded():
                pass
