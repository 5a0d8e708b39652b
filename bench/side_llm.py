"""The language model as a side, through llm.runner. One model per task (--model, or the task's default: the embedded
causal LM, or the shipped fine-tuned adapter for sentiment), answering the way the model and the task allow:

- `generate`: a causal LM continues the prompt greedily and the task parses the reply;
- `loglikelihood`: a causal LM on a classification task scores each label as a continuation of the prompt and
  answers with the likeliest (lm-evaluation-harness's multiple-choice method); on a computed task (`--method
  loglikelihood`) it scores the reference answer as the continuation, and is right when that is its greedy
  continuation (lm-eval's `acc` on arithmetic_*: `is_greedy`); it writes no answer of its own then;
- `head`: a sequence classifier (an encoder fine-tuned with a task head) names the label itself.

Times follow bench/timing.py: a chunk's span runs from the instances' text to their parsed answers (prompts are built
inside it); its machine time is the model's forward passes; `alone_s` times a few answers on their own
(timing.alone: a few per level), each with the same span, so "one answer alone" means the same on both sides.
"""
from __future__ import annotations

import math

from bench import timing
from bench.side import Contestant, Side, SideUnavailable
from bench.tasks import STOP, Instance, Task

METHODS = ("auto", "generate", "loglikelihood")  # --method: "auto" is each task's own (method_of)


def model_label(spec: str | None, info: dict | None = None) -> str:
    """How a model is shown in tables and figures: a short name isabench knows as it is (`sentiment-lora`,
    `smollm2`); any other folder, file or hub id by its last name and, once loaded, the start of its content hash
    (`sentiment-lora@3f2a1c`), so two models of one name never share a row's label."""
    from pathlib import Path

    from llm.models import KNOWN

    if spec is None:
        return "default-model"
    name = Path(spec.rstrip("/")).name or spec
    digest = (info or {}).get("content_hash") or (info or {}).get("revision")
    return name if spec in KNOWN or not digest else f"{name}@{str(digest)[:6]}"


def shown_as(label: str, info: dict) -> str:
    """A contestant's label with its quantisation, if any: an int8 run of a model is another contestant, and a run
    folder (or a table) holding both must not show two rows of one name."""
    return f"{label} (int8)" if info.get("dtype") == "int8" else label


def load(spec: str | None, o) -> object:
    """The backend of model `spec` with the side options `o`, loaded once for all the sides sharing `o` (a run's
    llm and hybrid sides read one copy of a model); SideUnavailable if it cannot load, saying why."""
    if spec in o.loaded:
        return o.loaded[spec]
    try:
        from llm.runner import load_backend
    except ImportError as e:
        raise SideUnavailable(f"the LLM backend needs llm.runner, which cannot be imported: {e}") from e
    try:
        backend = load_backend(model=spec, device=o.device, dtype=o.dtype, batch_size=o.batch_size,
                               threads=o.threads, chat=o.chat, served_url=o.served_url, concurrency=o.concurrency,
                               **({"request_timeout_s": o.request_timeout_s} if o.request_timeout_s else {}))
    except Exception as e:  # noqa: BLE001 - a folder's files can fail in any library's way; say which
        # ValueError/OSError: model not found, device or dtype unavailable, no chat template; anything else
        # (a truncated safetensors file, an adapter config without peft_type) is a damaged model folder.
        which = spec or "the embedded default model (llm/default_model/)"
        kind = "" if isinstance(e, (ValueError, OSError)) else f"its files are damaged or incomplete " \
                                                              f"({type(e).__name__}): "
        raise SideUnavailable(f"cannot load {which}: {kind}{e}") from e
    info = dict(backend.info)
    info.setdefault("n_params_non_embedding", info.get("n_params"))
    info.setdefault("trained_on", trained_on(info.get("path")))
    backend.info, backend.variant = info, model_variant(info)
    o.loaded[spec] = backend
    return backend


class LlmSide(Side):
    name = "llm"
    stops = (STOP,)  # where a generated answer ends

    def __init__(self, options):
        super().__init__(options)
        self.chunk_size = max(1, options.batch_size)
        self.backends: dict[str | None, object] = {}  # model spec -> loaded backend

    def model_for(self, task: Task) -> str | None:
        if self.options.model is not None or self.options.served_url:
            return self.options.model
        return task.default_model

    def _start(self, tasks: list[Task]) -> None:
        for spec in dict.fromkeys(self.model_for(t) for t in tasks):  # every model the run needs, before any work
            self.backends[spec] = load(spec, self.options)
        for task in tasks:  # a head that cannot name a labelled task's labels fails here, before any folder exists
            backend = self.backends[self.model_for(task)]
            wanted = self.method_wanted(backend)
            if hasattr(backend, "classify") and (task.labels or wanted != "auto"):
                method_of(backend, task, self.model_for(task), wanted)
        infos = {model_label(spec, b.info): b.info for spec, b in self.backends.items()}
        self.info = next(iter(infos.values())) if len(infos) == 1 else {"models": infos}

    def coverage(self, task: Task, difficulty: int, split: str) -> str:
        """held-out / train-shared / untrained for a model whose training data is known, else unknown."""
        trained = self.backends[self.model_for(task)].info.get("trained_on")
        if trained is None:
            return "unknown"
        if difficulty not in trained.get(task.name, ()):
            return "untrained"
        return "train-shared" if split == "train" else "held-out"

    def contestants(self, task: Task) -> list[Contestant]:
        spec = self.model_for(task)
        backend = self.backends[spec]
        o = self.options
        method = method_of(backend, task, spec, self.method_wanted(backend))
        prompt = o.prompt if method != "head" else None
        setting = method if prompt is None else f"{method};{prompt.key()};chat={int(o.chat)}"
        gen = o.gen_kwargs if method == "generate" and o.gen_kwargs else None  # they shape generated answers only
        if gen:
            setting += f";gen={gen.key()}"
        options = {"method": method, "model": spec, "prompt_format": prompt and prompt.format,
                   "shots": prompt and prompt.shots, "shot_seed": prompt and prompt.seed,
                   "chat": o.chat if prompt is not None else None,  # a head reads the bare text: no template
                   **({"gen_kwargs": gen.as_dict()} if gen else {})}
        label = "llm" if spec is None and task.default_model is None else f"llm: {model_label(spec, backend.info)}"
        return [Contestant(shown_as(label, backend.info), backend.variant, setting, options, backend)]

    def method_wanted(self, backend) -> str:
        """--method, for the causal LMs it names; a task's own classifier (sentiment's adapter, when --model is not
        given) answers with its head whatever --method says."""
        own = self.options.model is None and not self.options.served_url
        return "auto" if own and hasattr(backend, "classify") else self.options.method

    def _warm_up(self, task: Task, who: Contestant, instances: list[Instance]) -> None:
        if who.options["method"] in ("generate", "program"):  # the first kernels and caches: two tokens suffice
            who.handle.generate([self.prompt(task, i) for i in instances], 2, stop=list(self.stops))
        else:
            self.ask(task, who, instances)

    def prompt(self, task: Task, inst: Instance) -> str:
        return task.prompt(inst, self.options.prompt)

    def answer(self, task: Task, who: Contestant, instances: list[Instance]) -> list[dict]:
        """The chunk's answers, timed by the one rule (bench/timing.py); a few answered again alone for latency."""
        rows, timed = timing.repeat(lambda: self.timed_ask(task, who, instances))
        fields = timed.fields(len(instances))
        for row in rows:
            row.update(fields, latency_s=fields["batch_s"])
        for k, inst in timing.alone(instances):
            row = rows[k]
            row["alone_s"] = self.timed_ask(task, who, [inst])[1].total_s
        return rows

    def timed_ask(self, task: Task, who: Contestant, instances: list[Instance]) -> tuple[list[dict], timing.Span]:
        """One answering of the chunk on the clock: from the instances' text (the prompt is built inside) to their
        parsed answers; the machine is the model's forward passes, as the backend reports them per batch."""
        rows, span = timing.timed_span(lambda: self.ask(task, who, instances),
                                       lambda rows: sum(r.pop("_model_share") for r in rows), part="model")
        return rows, span

    def ask(self, task: Task, who: Contestant, instances: list[Instance]) -> list[dict]:
        """The contestant's answers in one call of its backend, with FLOPs. A chunk the model cannot take whole (a
        prompt longer than its positions) is asked in halves, down to single instances, and an instance it cannot
        take at all is a recorded failure (status "refused", the model's message kept), never a crash."""
        method = who.options["method"]
        ask = {"loglikelihood": self.scored if task.labels else self.completion_scored, "head": self.classified,
               "generate": self.generated_as_asked}.get(method, self.generated)
        try:
            rows = ask(task, who.handle, instances)
        except ValueError as e:
            if len(instances) > 1:  # halves, so the prompts it can take stay batched
                half = len(instances) // 2
                return self.ask(task, who, instances[:half]) + self.ask(task, who, instances[half:])
            return [{"raw": None, "answer": None, "status": "refused", "detail": f"{type(e).__name__}: {e}",
                     "prompt_tokens": None, "generated_tokens": None, "flops": None, "_model_share": 0.0}]
        per_token = 2 * max(0, who.handle.info.get("n_params_non_embedding") or 0)  # unknown (-1): no estimate
        for row in rows:
            tokens = row.pop("_tokens")
            row["flops"] = per_token * tokens if per_token and tokens is not None else None
        return rows

    def budget(self, task: Task, inst: Instance) -> int:
        return task.max_new_tokens(inst.text)

    def read(self, task: Task, reply: str) -> dict:
        """What a generated reply says: the task's answer in it, strictly and flexibly (bench/tasks/replies.py)."""
        return {"answer": task.parse_reply(reply), "answer_flexible": task.parse_reply_flexible(reply),
                "status": "ok"}

    def generated_as_asked(self, task: Task, backend, instances: list[Instance]) -> list[dict]:
        """The `generate` method: with --gen-kwargs's budget and stop strings where given (they shape only these
        answers, and only these contestants' settings name them)."""
        return self.generated(task, backend, instances, self.options.gen_kwargs)

    def generated(self, task: Task, backend, instances: list[Instance], gen=None) -> list[dict]:
        prompts = [self.prompt(task, i) for i in instances]
        budget = gen.max_new_tokens if gen and gen.max_new_tokens else max(self.budget(task, i) for i in instances)
        stop = list(gen.until) if gen and gen.until else list(self.stops)
        rows = []
        for prompt, c in zip(prompts, backend.generate(prompts, budget, stop=stop)):
            known = c.prompt_tokens >= 0 and c.generated_tokens >= 0  # -1: a server that does not say
            rows.append({"raw": c.text, **self.read(task, c.text), "prompt": prompt,
                         "prompt_tokens": c.prompt_tokens, "generated_tokens": c.generated_tokens,
                         "_tokens": c.prompt_tokens + c.generated_tokens if known else None,
                         "_model_share": share(c)})
        return rows

    def scored(self, task: Task, backend, instances: list[Instance]) -> list[dict]:
        """Each label's log-likelihood as the continuation of the prompt; the likeliest is the answer."""
        labels = task.labels
        prompts = [self.prompt(task, i) for i in instances]
        contexts = [p for p in prompts for _ in labels]
        continuations = [task.answer_prefix(self.options.prompt.format) + lab for _ in prompts for lab in labels]
        scores = backend.loglikelihood(contexts, continuations)
        rows = []
        for k, prompt in enumerate(prompts):
            mine = scores[k * len(labels):(k + 1) * len(labels)]
            best = max(range(len(labels)), key=lambda j: mine[j].logprob)
            tokens = sum(map(ran_tokens, mine))  # a context computed once for the labels counts once
            rows.append({"raw": labels[best], "answer": labels[best], "status": "ok", "prompt": prompt,
                         "scores": {lab: s.logprob for lab, s in zip(labels, mine)},
                         "prompt_tokens": mine[0].context_tokens, "generated_tokens": 0, "_tokens": tokens,
                         "_model_share": sum(share(s) for s in mine)})
        return rows

    def completion_scored(self, task: Task, backend, instances: list[Instance]) -> list[dict]:
        """lm-eval's arithmetic_* scoring: the log-likelihood of the reference answer as the prompt's continuation
        (after the format's answer prefix: " 143" in gpt3), right when it is the greedy one. The model writes no
        answer: the record's answer is the reference where it is greedy, and none where it is not."""
        prompts = [self.prompt(task, i) for i in instances]
        references = [task.answer_of(i) for i in instances]
        prefix = task.answer_prefix(self.options.prompt.format)
        scores = backend.loglikelihood(prompts, [prefix + r for r in references])
        return [{"raw": None, "answer": ref if s.is_greedy else None, "status": "ok", "prompt": prompt,
                 "continuation": prefix + ref, "logprob": s.logprob, "is_greedy": s.is_greedy,
                 "prompt_tokens": s.context_tokens, "generated_tokens": 0,
                 "_tokens": ran_tokens(s),
                 "_model_share": share(s)}
                for prompt, ref, s in zip(prompts, references, scores)]

    def classified(self, task: Task, backend, instances: list[Instance]) -> list[dict]:
        return [{"raw": c.label, "answer": task.parse_reply(c.label), "status": "ok", "scores": c.scores,
                 "prompt_tokens": c.tokens, "generated_tokens": 0, "_tokens": c.tokens, "_model_share": share(c)}
                for c in backend.classify([i.text for i in instances])]


def ran_tokens(score) -> int:
    """The tokens the model ran through for one log-likelihood request, as the backend counts them; where it does
    not (-1), the request's context and continuation."""
    return score.processed_tokens if score.processed_tokens >= 0 else score.context_tokens + score.continuation_tokens


def share(item) -> float:
    """An answer's share of its batch's forward-pass time (nan when the backend cannot see it: a server)."""
    model_s = getattr(item, "model_s", -1.0)
    return model_s / item.batch_size if model_s is not None and model_s >= 0 else math.nan


def trained_on(folder) -> dict[str, list[int]] | None:
    """The task levels a model folder says it trained on: training.json (`isabench train`: its mix) or
    finetune.json (`isabench finetune`: every level of its task, from the task's train split)."""
    import json
    from pathlib import Path

    from bench.tasks import TASKS

    folder = Path(folder) if folder else None
    try:
        if folder is not None and (folder / "training.json").is_file():
            mix = json.loads((folder / "training.json").read_text()).get("mix") or {}
            return {task: sorted(int(d) for d, w in levels.items() if w > 0) for task, levels in mix.items()}
        if folder is not None and (folder / "finetune.json").is_file():
            task = json.loads((folder / "finetune.json").read_text()).get("task")
            return {task: list(TASKS[task].difficulties)} if task in TASKS else None
    except (ValueError, AttributeError, TypeError):
        return None
    return None


def method_of(backend, task: Task, spec, wanted: str = "auto") -> str:
    """How `backend` answers `task`: a classifier by its head; a causal LM as `wanted` says (--method), or by
    "auto": by log-likelihood of the labels on a labelled task, by generation on a computed one."""
    if wanted not in METHODS:
        raise SideUnavailable(f"unknown method {wanted!r}; choose from {', '.join(METHODS)}")
    is_classifier = hasattr(backend, "classify")
    if is_classifier and wanted != "auto":
        raise SideUnavailable(f"{model_label(spec)} is a sequence classifier: it answers with its head, not by "
                              f"{wanted} (--method auto)")
    if is_classifier:
        if not task.labels:
            raise SideUnavailable(f"{model_label(spec)} is a sequence classifier: it answers classification tasks "
                                  f"only, not {task.name}")
        missing = set(task.labels) - set(backend.labels)
        if missing:
            raise SideUnavailable(f"{model_label(spec)}'s head names {list(backend.labels)}, not {task.name}'s labels "
                                  f"{list(task.labels)}")
        return "head"
    if wanted != "auto":
        return wanted
    return "loglikelihood" if task.labels else "generate"


def model_variant(info: dict) -> str:
    """A model's identity for record keys: id, content hash or revision, dtype and device (numbers differ by each)."""
    from pathlib import Path

    where = info.get("path") or info.get("model") or "model"
    ident = info.get("hub_id") or Path(str(where).rstrip("/")).name or str(where)
    digest = next((str(info[k]) for k in ("content_hash", "revision") if info.get(k)), None)
    if digest is None:
        raise SideUnavailable(f"the LLM backend's info has no content hash or revision to key records by: {info}")
    return f"{ident}@{digest[:12]}/{info.get('dtype', '?')}/{info.get('device', '?')}"
