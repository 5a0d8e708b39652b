"""The answering sides: the ISA, the LLM, and `reference` (the task's own answer, for testing the harness).

A side is started once (`start`: imports, model load, measured as set-up), warmed up once per task (`warm_up`: JIT
compilation, first kernels, also set-up) and then answers instances in chunks (`answer`), returning per-sample fields
that the runner turns into records. Set-up time never enters the per-answer figures.
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path
from dataclasses import dataclass

from bench.tasks import STOP, Instance, Task

BACKENDS = ("isa", "llm", "reference")


class SideUnavailable(RuntimeError):
    """The side cannot run here (e.g. the ISA library or the embedded model is missing); the message says why."""


@dataclass
class SideOptions:
    model: str | None = None  # None: the embedded default model in llm/default_model/
    device: str = "auto"
    dtype: str = "auto"
    batch_size: int = 32  # LLM prompts per generate() call; the ISA solves a whole group in one call
    threads: int | None = None  # torch threads for the LLM side; None leaves torch's default
    chat: bool = False  # wrap prompts in the model's chat template (hub instruction models)
    isa_threads: int | None = None  # numba threads for solve_isa_many's parallel rows; None leaves numba's default
    served_url: str | None = None  # an OpenAI-compatible server (vLLM, TGI, SGLang, llama.cpp, transformers serve)
    concurrency: int = 8  # requests in flight to that server


class Side:
    name: str
    variant: str = ""  # what exactly answers; part of every record's key
    info: dict
    chunk_size: int = 10**9  # instances per `answer` call; records are flushed after each

    def __init__(self, options: SideOptions):
        self.options = options
        self.info = {}
        self.setup: dict = {}  # seconds, by step: "start", "warm-up <task>"
        self._warm: set[str] = set()

    def start(self) -> None:
        t0 = time.perf_counter()
        self._start()
        self.setup["start"] = time.perf_counter() - t0

    def warm_up(self, task: Task, instances: list[Instance]) -> None:
        if task.name in self._warm or not instances:
            return
        t0 = time.perf_counter()
        self._warm_up(task, instances[:2])
        self.setup[f"warm-up {task.name}"] = time.perf_counter() - t0
        self._warm.add(task.name)

    def _start(self) -> None:
        pass

    def _warm_up(self, task: Task, instances: list[Instance]) -> None:
        self.answer(task, instances)

    def answer(self, task: Task, instances: list[Instance]) -> list[dict]:
        raise NotImplementedError


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


class ReferenceSide(Side):
    """Answers with the task's reference: scores 100 % by construction, so it tests the scoring path end to end."""

    name, variant = "reference", "reference"

    def answer(self, task: Task, instances: list[Instance]) -> list[dict]:
        rows, batch_s = [], 0.0
        for inst in instances:
            answer, seconds = timed(task.reference, inst.text)
            batch_s += seconds
            rows.append({"raw": answer, "answer": answer, "status": "ok", "latency_s": seconds})
        for row in rows:
            row.update(batch_s=batch_s, batch_size=len(rows))
        return rows


class IsaSide(Side):
    """The register machine: one batched compiled call per chunk (throughput), then each instance alone (latency)."""

    name = "isa"

    def _start(self) -> None:
        try:
            from isa import library
        except ImportError as e:
            raise SideUnavailable(f"the ISA backend needs isa.library, which cannot be imported: {e}") from e
        if self.options.isa_threads:
            # Parallel rows need every thread scheduled at once: on a shared, busy machine fewer threads can be faster.
            import numba

            numba.set_num_threads(min(self.options.isa_threads, numba.config.NUMBA_NUM_THREADS))
        self.variant = f"isa@{isa_source_hash()}"
        self.info = {"solver": "isa.library", "variant": self.variant, "numba_threads": numba_threads()}

    def _warm_up(self, task: Task, instances: list[Instance]) -> None:
        # Both entry points compile separately: warm each so neither's first call carries the compile.
        task.solve_isa_many([i.text for i in instances])
        task.solve_isa(instances[0].text)

    repeats = 3  # a batched call takes ~0.1-1 ms: one timing is easily a scheduler hiccup, so take the median of 3

    def answer(self, task: Task, instances: list[Instance]) -> list[dict]:
        texts = [i.text for i in instances]
        times = []
        for _ in range(self.repeats):
            batch, seconds = timed(task.solve_isa_many, texts)
            times.append(seconds)
        batch_s = sorted(times)[len(times) // 2]
        rows = []
        for inst, batched in zip(instances, batch):
            single, seconds = timed(task.solve_isa, inst.text)
            row = {"raw": batched.answer, "answer": batched.answer, "status": batched.status, "steps": batched.steps,
                   "latency_s": seconds, "batch_s": batch_s, "batch_size": len(instances),
                   "batch_repeats": self.repeats}
            if (single.answer, single.status, single.steps) != (batched.answer, batched.status, batched.steps):
                row["error"] = f"solve_isa gave {single} but solve_isa_many gave {batched}"
            rows.append(row)
        return rows


class LlmSide(Side):
    """The language model through llm.runner; latency is its batch's synchronised wall time."""

    name = "llm"

    def __init__(self, options: SideOptions):
        super().__init__(options)
        self.chunk_size = max(1, options.batch_size)
        self.backend = None

    def _start(self) -> None:
        try:
            from llm.runner import load_backend
        except ImportError as e:
            raise SideUnavailable(f"the LLM backend needs llm.runner, which cannot be imported: {e}") from e
        o = self.options
        try:
            self.backend = load_backend(model=o.model, device=o.device, dtype=o.dtype, batch_size=o.batch_size,
                                        threads=o.threads, chat=o.chat, served_url=o.served_url,
                                        concurrency=o.concurrency)
        except (ValueError, OSError) as e:  # model not found, device or dtype unavailable, no chat template
            which = o.model or "the embedded default model (llm/default_model/)"
            raise SideUnavailable(f"cannot load {which}: {e}") from e
        self.info = dict(self.backend.info)
        self.info.setdefault("n_params_non_embedding", self.info.get("n_params"))
        self.variant = model_variant(self.info)

    def _warm_up(self, task: Task, instances: list[Instance]) -> None:
        self.backend.generate([task.prompt(i.text) for i in instances], 2, stop=[STOP])

    def answer(self, task: Task, instances: list[Instance]) -> list[dict]:
        prompts = [task.prompt(i.text) for i in instances]
        budget = max(task.max_new_tokens(i.text) for i in instances)
        completions = self.backend.generate(prompts, budget, stop=[STOP])
        # A served model's size is unknown here (-1): then no FLOPs estimate rather than a wrong one.
        per_token = 2 * max(0, self.info.get("n_params_non_embedding") or 0)
        rows = []
        for c in completions:
            known = c.prompt_tokens >= 0 and c.generated_tokens >= 0  # -1: a server that does not say
            tokens = c.prompt_tokens + c.generated_tokens if known else None
            rows.append({"raw": c.text, "answer": task.parse_reply(c.text), "status": "ok",
                         "prompt_tokens": c.prompt_tokens, "generated_tokens": c.generated_tokens,
                         "flops": per_token * tokens if per_token and known else None,
                         "latency_s": c.latency_s, "batch_s": c.latency_s, "batch_size": c.batch_size})
        return rows


def isa_source_hash() -> str:
    """The ISA's identity: a hash of its programs and machine code, so a fixed program never reuses old records."""
    import isa

    root = Path(isa.__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*root.glob("*.py"), *root.glob("programs/*.s")]):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def numba_threads() -> int | None:
    try:
        import numba
    except ImportError:
        return None
    return numba.get_num_threads()


def model_variant(info: dict) -> str:
    """A model's identity for record keys: id, content hash or revision, dtype and device (numbers differ by each)."""
    where = info.get("path") or info.get("model") or "model"
    ident = info.get("hub_id") or Path(str(where).rstrip("/")).name or str(where)
    digest = next((str(info[k]) for k in ("content_hash", "revision") if info.get(k)),
                  None)
    if digest is None:
        raise SideUnavailable(f"the LLM backend's info has no content hash or revision to key records by: {info}")
    return f"{ident}@{digest[:12]}/{info.get('dtype', '?')}/{info.get('device', '?')}"


def make_side(name: str, options: SideOptions) -> Side:
    sides = {"isa": IsaSide, "llm": LlmSide, "reference": ReferenceSide}
    if name not in sides:
        raise ValueError(f"unknown backend {name!r}; choose from {', '.join(BACKENDS)}")
    return sides[name](options)
