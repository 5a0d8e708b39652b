"""The `reference` side: answers with the task's own reference, so it scores 100 % by construction and tests the
scoring path end to end."""
from __future__ import annotations

import math

from bench import timing
from bench.side import Contestant, Side
from bench.tasks import Instance, Task


class ReferenceSide(Side):
    name = "reference"

    def contestants(self, task: Task) -> list[Contestant]:
        return [Contestant("reference", "reference", "")]

    def answer(self, task: Task, who: Contestant, instances: list[Instance]) -> list[dict]:
        answers, timed = timing.repeat(lambda: timing.timed_span(lambda: [task.answer_of(i) for i in instances],
                                                                 lambda out: math.nan))
        fields = timed.fields(len(instances))
        return [{"raw": a, "answer": a, "status": "ok", "latency_s": fields["batch_s"], **fields} for a in answers]
