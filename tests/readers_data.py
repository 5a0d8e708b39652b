"""Records made by hand for the figure and report tests: every field the summary reads, with chosen values, so a test
knows exactly what each figure and table should show; and a scripted model for runs through the CLI."""
from __future__ import annotations

import itertools

from bench.summary import summarise
from llm.runner import Completion

_chunks = itertools.count()

WHO = {  # backend, contestant, setting, options
    "isa": ("isa", "isa", "", {}),
    "llm": ("llm", "llm", "generate;compact;k=0;chat=0", {"method": "generate", "model": None,
                                                          "prompt_format": "compact", "shots": 0}),
    "loglik": ("llm", "llm", "loglikelihood;gpt3;k=0;chat=0", {"method": "loglikelihood", "model": None,
                                                               "prompt_format": "gpt3", "shots": 0}),
    "hybrid": ("hybrid", "hybrid: smollm2", "program;compact;k=4;chat=0",
               {"method": "program", "model": "smollm2", "prompt_format": "compact", "shots": 4}),
}


def records(task: str, difficulty: int, who: str, n: int, right: int, per_answer_s: float = 1e-3,
            steps: float | None = None, flops: float | None = None, coverage: str = "", facets: dict | None = None,
            contestant: str | None = None, model: str | None = None) -> list[dict]:
    backend, label, setting, options = WHO[who]
    options = dict(options, **({"model": model} if model else {}))
    chunk = f"c{next(_chunks)}"
    out = []
    for i in range(n):
        out.append({
            "task": task, "axis": "digits", "ground_truth": "reference", "difficulty": difficulty, "backend": backend,
            "contestant": contestant or label, "variant": f"{backend}@{contestant or label}", "setting": setting,
            **options,
            "coverage": coverage, "exact": i < right, "partial": 1.0 if i < right else 0.5, "answer": "1",
            "per_answer_s": per_answer_s, "batch_s": per_answer_s * n, "batch_size": n,
            "batch_times_s": [per_answer_s * n], "machine_times_s": [per_answer_s * n / 2],
            "machine_s": per_answer_s / 2, "glue_s": per_answer_s / 2, "compile_s": 0.0, "repeats": 1,
            "alone_s": per_answer_s * 2 if i < 2 else None, "chunk": chunk, "status": "ok",
            "steps": steps, "flops": flops, "prompt_tokens": 10 if flops else None,
            "generated_tokens": 2 if flops else None, "facets": facets or {}, "error": None,
        })
    return out


def summary_of(*groups: list[dict]):
    return summarise([r for g in groups for r in g])


class Scripted:
    """A model that answers "7" at once; a Ctrl-C when asked more than `stop_after` distinct prompts (a chunk is
    asked again to time it, and a few of its prompts alone: those are not new)."""

    def __init__(self, stop_after: int | None = None):
        self.info = {"model": "scripted", "path": None, "content_hash": "scripted-1", "dtype": "float32",
                     "device": "cpu", "n_params": 1000, "n_params_non_embedding": 600}
        self.stop_after, self.seen = stop_after, set()

    def generate(self, prompts, max_new_tokens, stop=("\n",)):
        if max_new_tokens != 2:  # not the warm-up
            self.seen.update(prompts)
            if self.stop_after is not None and len(self.seen) > self.stop_after:
                raise KeyboardInterrupt
        return [Completion("7", len(p), 4, 0.001, len(prompts)) for p in prompts]
