"""What a side is: the base class every answering side extends, its options, and its contestants (the registry of
sides is bench/sides.py).

A side is started once for the run's tasks (`start`: imports, model loads, measured as set-up; anything that cannot
work fails here, before any answer), names its contestants per task (`contestants`: the ISA runs one program per
weight table; the LLM side one model, answering by generation, log-likelihood or its head), is warmed up once per
task and contestant (JIT compilation, first kernels: set-up too) and then answers instances in chunks (`answer`),
returning per-sample fields that the runner turns into records. Set-up time never enters the per-answer figures.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from bench import timing
from bench.tasks import Instance, PromptSpec, Task


class SideUnavailable(RuntimeError):
    """The side cannot run here (e.g. the ISA library or a model is missing); the message says why."""


@dataclass
class SideOptions:
    model: str | None = None  # None: each task's default (the embedded model; the shipped adapter for sentiment)
    device: str = "auto"
    dtype: str = "auto"
    batch_size: int = 32  # LLM prompts per call; the ISA solves `isa_chunk` instances per call
    threads: int | None = None  # torch threads for the LLM side; None leaves torch's default
    chat: bool = False  # wrap prompts in the model's chat template (hub instruction models)
    prompt: PromptSpec = field(default_factory=PromptSpec)  # format, shots and shot seed of every prompt
    isa_threads: int | None = None  # numba threads for the ISA's batched solve; None leaves the library's default
    tier: str = "jit"  # the ISA's execution tier: ref, jit or compiled
    served_url: str | None = None  # an OpenAI-compatible server (vLLM, TGI, SGLang, llama.cpp, transformers serve)
    concurrency: int = 8  # requests in flight to that server
    request_timeout_s: float | None = None  # a served request's total deadline (None: the backend's default)
    # How a causal LM answers (bench/side_llm.py METHODS): "auto" generates on computed tasks and scores labels by
    # log-likelihood; "generate" or "loglikelihood" asks every task that way (lm-eval's arithmetic_* scores the
    # reference answer's log-likelihood: right when it is the greedy continuation).
    method: str = "auto"
    gen_kwargs: object = None  # bench.gen_kwargs.GenKwargs (max new tokens, stop strings) of generated answers
    loaded: dict = field(default_factory=dict, repr=False, compare=False)  # models loaded for these options, by spec


@dataclass
class Contestant:
    """One thing that answers a task's instances: its record identity and how it is shown in tables."""

    label: str  # "isa", "isa: lexicon", "llm", "llm: sentiment-lora"
    variant: str  # what answers, exactly (program or model identity): part of every record's key
    setting: str  # every option that shapes its answers (tier; method, prompt, shots, chat): part of the key
    options: dict = field(default_factory=dict)  # the same options as fields, for the records
    handle: object = None  # the side's own (a weight table name, a loaded model)


class Side:
    name: str
    info: dict
    chunk_size: int = 10**9  # instances per `answer` call; records are flushed after each

    def __init__(self, options: SideOptions):
        self.options = options
        self.info = {}
        self.setup: dict = {}  # seconds, by step: "start", "warm-up <task>"
        self._warm: set[tuple[str, str]] = set()

    def start(self, tasks: list[Task]) -> None:
        t0 = timing.clock()
        self._start(tasks)
        self.setup["start"] = timing.clock() - t0

    def contestants(self, task: Task) -> list[Contestant]:
        raise NotImplementedError

    def coverage(self, task: Task, difficulty: int, split: str) -> str:
        """Whether the answerer trained on this level ("held-out", "train-shared", "untrained"); "" where moot."""
        return ""

    def warm_up(self, task: Task, who: Contestant, instances: list[Instance]) -> None:
        if (task.name, who.label) in self._warm or not instances:
            return
        compiled = compile_total(self.setup)
        t0 = timing.clock()
        self._warm_up(task, who, instances[:2])
        step = f"warm-up {task.name}" + (f" ({who.label})" if ":" in who.label else "")
        # A compile the warm-up reported (`compile <task>`) is its own step: the warm-up's time is the rest, so the
        # steps add up to the set-up's time.
        self.setup[step] = timing.clock() - t0 - (compile_total(self.setup) - compiled)
        self._warm.add((task.name, who.label))

    def _start(self, tasks: list[Task]) -> None:
        pass

    def _warm_up(self, task: Task, who: Contestant, instances: list[Instance]) -> None:
        self.answer(task, who, instances)

    def answer(self, task: Task, who: Contestant, instances: list[Instance]) -> list[dict]:
        raise NotImplementedError


def compile_total(setup: dict) -> float:
    """Seconds of the set-up's `compile ...` steps so far."""
    return sum(seconds for step, seconds in setup.items() if step.startswith("compile "))
