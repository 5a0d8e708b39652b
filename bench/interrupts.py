"""Ctrl-C and SIGTERM end a run cleanly, never in the middle of its bookkeeping.

Both signals raise KeyboardInterrupt, so a killed run ends like an interrupted one: what finished is on disk and the
summary and metadata describe exactly that. Inside `shielded()` a signal waits until the block ends, so a chunk of
records written to disk and its count in the run's result can never be split apart.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    def __init__(self):
        self.depth = 0
        self.pending = False

    def _handler(self, signum, frame):
        if self.depth:
            self.pending = True
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
