"""The register machine as a side: one batched call per chunk (throughput; timed as bench/timing.py says, machine
and glue apart), then a few instances alone (latency: the same samples as on every side). On computed tasks an
answer that differs from the reference is a harness failure (the runner marks it); on
labelled tasks (sentiment) the ISA is a contestant and its wrong answers are results."""
from __future__ import annotations

import math

from bench import timing
from bench.isa_identity import isa_identity
from bench.side import Contestant, Side, SideUnavailable
from bench.tasks import Instance, Task


class IsaSide(Side):
    name = "isa"
    chunk_size = 250  # instances per batched call: several chunks give the batched time a real spread
    exact = True  # on a computed task an answer that differs from the reference is the harness's failure

    def coverage(self, task: Task, difficulty: int, split: str) -> str:
        """On a labelled task the ISA's tables and rule constants came from the train split (and dev): scored on
        train they are marked like a model scored on its training data. Computed tasks learn nothing: moot."""
        if task.ground_truth != "labels":
            return ""
        return "train-shared" if split == "train" else "held-out"

    def _start(self, tasks: list[Task]) -> None:
        try:
            from isa import library  # noqa: F401
        except ImportError as e:
            raise SideUnavailable(f"the ISA backend needs isa.library, which cannot be imported: {e}") from e
        from isa.machine import resolve_threads

        # Parallel rows need every thread scheduled at once: on a shared, busy machine fewer threads are faster.
        self.threads = resolve_threads(self.options.isa_threads)
        self.info = {"solver": "isa.library", "tier": self.options.tier, "threads": self.threads,
                     "identity": {t.name: f"isa@{isa_identity(t)}" for t in tasks}}

    def contestants(self, task: Task) -> list[Contestant]:
        tier = self.options.tier
        return [Contestant(f"isa: {v}" if v else "isa",
                           f"isa@{isa_identity(task)}" + (f"/{task.isa_variant_id(v)}" if v else ""),
                           f"tier={tier}", {"tier": tier, "isa_variant": v or None}, v)
                for v in task.isa_variants]

    def _warm_up(self, task: Task, who: Contestant, instances: list[Instance]) -> None:
        # Both entry points compile separately: warm each so neither's first call carries a task's fixed program's
        # compilation (set-up). A program that is the instance compiles inside each answer: bench/timing.py.
        out = task.solve_isa_batch([i.text for i in instances], self.options.tier, who.handle, self.threads)
        task.solve_isa(instances[0].text, self.options.tier, who.handle)
        if out.compile_s > 0:
            self.setup[f"compile {task.name}"] = self.setup.get(f"compile {task.name}", 0.0) + out.compile_s

    def answer(self, task: Task, who: Contestant, instances: list[Instance]) -> list[dict]:
        """The chunk in one batched call, timed by the one rule (bench/timing.py); a few instances again alone."""
        texts, tier, n = [i.text for i in instances], self.options.tier, len(instances)
        batch, timed = timing.repeat(lambda: timing.timed_span(
            lambda: task.solve_isa_batch(texts, tier, who.handle, self.threads),
            lambda out: out.machine_s, lambda out: out.compile_s, "engine"))
        fields = timed.fields(n)
        corpus = batch.corpus_steps / n  # a corpus run (sentiment) counts its steps in all: each answer's share
        rows = [{"raw": value, "answer": value, "status": status, "steps": steps if steps >= 0 else corpus,
                 "latency_s": fields["batch_s"], "threads": self.threads, **fields}
                for value, status, steps in zip(batch.values, batch.status, plain(batch.steps))]
        for k, inst in timing.alone(instances):
            row = rows[k]
            single, span = timing.timed_span(lambda: task.solve_isa(inst.text, tier, who.handle),
                                             lambda out: math.nan)
            row.update(alone_s=span.total_s, alone_steps=single.steps)
            if (single.answer, single.status) != (row["answer"], row["status"]):
                row["error"] = f"solve_isa gave {single.answer!r} but solve_isa_batch gave {row['answer']!r}"
        return rows


def plain(values) -> list:
    """Python numbers (a numpy array's items are not JSON)."""
    return values.tolist() if hasattr(values, "tolist") else list(values)
