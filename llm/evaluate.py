"""Held-out exact-match accuracy of a causal LM by greedy batched generation, on probes the caller builds.

A Probe is one cell (a task and level) of prompts with their reference answers, the reply parser and each
instance's facets; the harness builds them from its tasks' test split (bench.train_data), so this layer knows none.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class Probe:
    task: str
    level: int
    prompts: list[str]
    answers: list[str]  # the reference answers, in the prompts' order
    parse: Callable[[str], str | None]  # reply -> the answer it gives (None: unreadable)
    max_new_tokens: int
    facets: list[tuple[tuple[str, str], ...]] = field(default_factory=list)  # per prompt: (("operands", "..."),)


@dataclass
class Cell:
    task: str
    difficulty: int
    n: int
    correct: int
    facets: dict = field(default_factory=dict)  # "operands=unequal length" -> [n, correct]

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0


@torch.no_grad()
def generate(model, tokenizer, prompts: list[str], max_new_tokens: int, batch: int = 64) -> list[str]:
    """Greedy completions up to the first newline; prompts are left-padded so every row ends where it generates."""
    tokenizer.padding_side = "left"
    out = []
    for i in range(0, len(prompts), batch):
        enc = tokenizer(prompts[i:i + batch], return_tensors="pt", padding=True)
        ids = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False)
        texts = tokenizer.batch_decode(ids[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
        out.extend(t.split("\n")[0] for t in texts)
    return out


def evaluate(model, tokenizer, probes: list[Probe]) -> list[Cell]:
    """Exact-match accuracy per probe, with counts per facet value."""
    model.eval()
    cells = []
    for probe in probes:
        replies = generate(model, tokenizer, probe.prompts, probe.max_new_tokens)
        hits = [probe.parse(r) == ref for r, ref in zip(replies, probe.answers)]
        facets: dict[str, list[int]] = {}
        for inst_facets, hit in zip(probe.facets or [()] * len(hits), hits):
            for facet, value in inst_facets:
                counts = facets.setdefault(f"{facet}={value}", [0, 0])
                counts[0] += 1
                counts[1] += hit
        cells.append(Cell(probe.task, probe.level, len(hits), sum(hits), facets))
    return cells
