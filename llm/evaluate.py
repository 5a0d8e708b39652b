"""Held-out accuracy of a model on the harness's test instances, by greedy batched generation."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from bench.tasks import get_task


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


def evaluate(model, tokenizer, tasks: dict[str, tuple[int, ...]], n: int = 200, seed: int = 1234) -> list[Cell]:
    """Exact-match accuracy per (task, difficulty) on task.instances(d, n, seed, split="test")."""
    model.eval()
    cells = []
    for name, levels in tasks.items():
        task = get_task(name)
        for d in levels:
            insts = task.instances(d, n=n, seed=seed, split="test")
            refs = [task.reference(i.text) for i in insts]
            room = max(task.max_new_tokens(i.text) for i in insts)  # the harness's own budget
            replies = generate(model, tokenizer, [task.prompt(i.text) for i in insts], room)
            hits = [task.parse_reply(r) == ref for r, ref in zip(replies, refs)]
            facets: dict[str, list[int]] = {}
            for inst, hit in zip(insts, hits):
                for facet, value in inst.facets:
                    counts = facets.setdefault(f"{facet}={value}", [0, 0])
                    counts[0] += 1
                    counts[1] += hit
            cells.append(Cell(name, d, len(insts), sum(hits), facets))
    return cells

