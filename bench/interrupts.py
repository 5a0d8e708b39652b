"""Ctrl-C and SIGTERM end a run cleanly, never in the middle of its bookkeeping.

Both signals raise KeyboardInterrupt, so a killed run ends like an interrupted one: what finished is on disk and the
summary and metadata describe exactly that. Inside `shielded()` a signal waits until the block ends, so a chunk of
records written to disk and its count in the run's result can never be split apart.

`whole_process` holds this from the command's first line to its last, set-up and teardown included (exit 130,
"interrupted"); once the command has its exit status, a signal while Python tears down changes nothing: it can no
longer become a death by signal (exit -2) or a traceback.
"""
from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    def __init__(self):
        self.depth = 0
        self.pending = False

    def _handler(self, signum, frame):
        # Kept even when raised: an interrupt swallowed on its way up (raised inside a __del__ or a gc callback,
        # which Python reports and drops) is raised again when the next shielded block ends.
        self.pending = True
        if self.depth:
            return
        raise KeyboardInterrupt

    @contextmanager
    def installed(self):
        """Route SIGINT and SIGTERM here for the block (main thread only: elsewhere Python cannot take signals)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {s: signal.signal(s, self._handler) for s in SIGNALS}
        try:
            yield self
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    @contextmanager
    def shielded(self):
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
            if not self.depth and self.pending:
                self.pending = False
                raise KeyboardInterrupt


def raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def whole_process(command: Callable[[], int]) -> int:
    """Run the process's command (main thread) with SIGINT and SIGTERM raising KeyboardInterrupt throughout, and
    return its status (130 when a signal ends it); from then on both signals are ignored.

    Ignored, not handled: Python resets a signal with a Python handler to the default action late in its teardown
    (a signal then killed the process: exit -2 or -15 after the command had finished), but leaves an ignored one
    ignored. The work is over and its status set; SIGKILL still ends a stuck teardown."""
    for s in SIGNALS:
        signal.signal(s, raise_interrupt)
    try:
        try:
            code = command()
        except KeyboardInterrupt:  # past the command's own handler (a second signal while it said "interrupted")
            code = 130
        finally:
            for s in SIGNALS:
                signal.signal(s, signal.SIG_IGN)
    except KeyboardInterrupt:  # a signal in the instant before the line above
        code = 130
    return code
