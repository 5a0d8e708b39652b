"""The register machine as a side: one batched call per chunk (throughput, timed as machine and glue), then each
instance alone (latency). On computed tasks an answer that differs from the reference is a harness failure; on
labelled tasks (sentiment) the ISA is a contestant and its wrong answers are results."""
from __future__ import annotations

from bench.isa_identity import isa_identity
from bench.side import Contestant, Side, SideUnavailable, timed
from bench.tasks import Instance, Task


class IsaSide(Side):
    name = "isa"
    chunk_size = 250  # instances per batched call: several chunks give the batched time a real spread
    repeats = 3  # a batched call takes ~0.1-1 ms: time it 3 times; every repeat is kept in the record

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
        # Both entry points compile separately: warm each so neither's first call carries the compile.
        out = task.solve_isa_batch([i.text for i in instances], self.options.tier, who.handle, self.threads)
        task.solve_isa(instances[0].text, self.options.tier, who.handle)
        self.count_compile(task, out)

    def count_compile(self, task: Task, out) -> None:
        """Compiling is set-up, never answering: once a program is compiled (in memory or on disk) its later calls
        compile nothing, but emulate meets new programs in every batch."""
        if out.compile_s > 0:
            self.setup[f"compile {task.name}"] = self.setup.get(f"compile {task.name}", 0.0) + out.compile_s

    def answer(self, task: Task, who: Contestant, instances: list[Instance]) -> list[dict]:
        texts, tier, n = [i.text for i in instances], self.options.tier, len(instances)
        times, runs = [], []
        for _ in range(self.repeats):
            out, seconds = timed(task.solve_isa_batch, texts, tier, who.handle, self.threads)
            self.count_compile(task, out)
            times.append(seconds - out.compile_s)
            runs.append(out)
        middle = sorted(range(self.repeats), key=times.__getitem__)[self.repeats // 2]
        batch, batch_s = runs[middle], times[middle]
        rows = []
        for inst, batched in zip(instances, batch.answers):
            single, seconds = timed(task.solve_isa, inst.text, tier, who.handle)
            steps = batched.steps if batched.steps >= 0 else single.steps  # a corpus run counts steps in all
            row = {"raw": batched.answer, "answer": batched.answer, "status": batched.status, "steps": steps,
                   "latency_s": seconds, "alone_s": seconds, "batch_s": batch_s, "batch_size": n,
                   "batch_times_s": times, "machine_s": batch.machine_s / n, "glue_s": batch.glue_s / n,
                   "threads": self.threads}
            if (single.answer, single.status) != (batched.answer, batched.status) or single.steps != steps:
                row["error"] = f"solve_isa gave {single} but solve_isa_batch gave {batched}"
            elif task.ground_truth == "reference" and batched.answer != task.answer_of(inst):
                row["error"] = f"the ISA's answer {batched.answer!r} differs from the reference"
            rows.append(row)
        return rows
