"""Training batches for the causal LM, drawn from example sources the caller hands in.

An example is `(prompt, answer + "\n")`; the loss sees only the answer and its newline. A Mix is a list of weighted
sources, each a named (task, level) with a function that draws one example from a random.Random: the harness
builds them from its task generators (bench.train_data), training split only, so this layer knows no task.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import torch

IGNORE = -100  # cross_entropy's ignore_index: prompt and padding positions carry no loss


@dataclass(frozen=True)
class Source:
    task: str
    level: int
    weight: float  # relative sampling weight
    draw: Callable[[random.Random], tuple[str, str]]  # one (prompt, answer + "\n"); the rng is its only randomness


@dataclass(frozen=True)
class Mix:
    sources: tuple[Source, ...]

    def __post_init__(self):
        if not self.sources:
            raise ValueError("the training mix is empty: every task weight is 0")

    def table(self) -> dict[str, dict[int, float]]:
        """The weights a run samples with, per task and level, for its record, model card and resume check."""
        table: dict[str, dict[int, float]] = {}
        for s in self.sources:
            table.setdefault(s.task, {})[s.level] = s.weight
        return table


def sample_examples(rng: random.Random, mix: Mix, n: int) -> list[tuple[str, str]]:
    """n (prompt, answer+newline) pairs; the rng is the only source of randomness, so a saved state replays it."""
    picked = rng.choices(mix.sources, weights=[s.weight for s in mix.sources], k=n)
    return [source.draw(rng) for source in picked]


def encode_examples(tokenizer, examples: list[tuple[str, str]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded input ids and labels; labels are IGNORE except on the answer and its newline."""
    rows, labels = [], []
    for prompt, answer in examples:
        p = tokenizer(prompt)["input_ids"]  # starts with [BOS], as at generation time
        a = tokenizer(answer, add_special_tokens=False)["input_ids"]
        rows.append(p + a)
        labels.append([IGNORE] * len(p) + a)
    width = max(len(r) for r in rows)
    pad = tokenizer.pad_token_id
    ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
    lab = torch.tensor([r + [IGNORE] * (width - len(r)) for r in labels])
    # Causal attention with right padding needs no mask: padding comes after every position that carries loss.
    return ids, lab
