"""The `reference` side: answers with the task's own reference, so it scores 100 % by construction and tests the
scoring path end to end."""
from __future__ import annotations

from bench.side import Contestant, Side, timed
from bench.tasks import Instance, Task


class ReferenceSide(Side):
    name = "reference"

    def contestants(self, task: Task) -> list[Contestant]:
        return [Contestant("reference", "reference", "")]

    def answer(self, task: Task, who: Contestant, instances: list[Instance]) -> list[dict]:
        rows, batch_s = [], 0.0
        for inst in instances:
            answer, seconds = timed(task.answer_of, inst)
            batch_s += seconds
            rows.append({"raw": answer, "answer": answer, "status": "ok", "latency_s": seconds})
        for row in rows:
            row.update(batch_s=batch_s, batch_size=len(rows))
        return rows
