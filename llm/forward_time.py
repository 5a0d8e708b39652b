"""A language model's "machine" time: the seconds spent inside its forward passes, summed.

It is the counterpart of the register machine's engine call: everything else from text to answer (tokenising,
the generation loop's own Python, stopping, detokenising) is glue. Hooks on the model's top-level module read the
clock on the way in and out of every forward pass (synchronising the device first, so queued GPU work is counted
where it runs); `lap()` returns the seconds gathered since the last lap.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from llm.devices import synchronize

now: Callable[[], float] = time.perf_counter  # the clock (a test swaps in a counter)


class ForwardClock:
    def __init__(self, model, device):
        self.device = device
        self.total = 0.0  # seconds inside forward passes since the last lap
        self._depth, self._start = 0, 0.0
        model.register_forward_pre_hook(self._enter)
        model.register_forward_hook(self._leave)

    def _enter(self, module, args) -> None:
        if self._depth == 0:
            synchronize(self.device)
            self._start = now()
        self._depth += 1

    def _leave(self, module, args, output) -> None:
        self._depth -= 1
        if self._depth == 0:
            synchronize(self.device)
            self.total += now() - self._start

    def lap(self) -> float:
        """Forward-pass seconds since the last lap (or since loading)."""
        spent, self.total = self.total, 0.0
        return spent
