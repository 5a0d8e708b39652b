"""Training batches drawn from the harness's own task generators, training split only.

Every example is `prompt + answer + "\n"` in exactly the format the benchmark asks for; the loss sees only the
answer and its newline. Held-out problems (task.in_split(text, "test")) are rejected at the source, and the split is
decided on the canonical problem, so the model never sees a problem it is scored on under any task's name.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

import torch

from bench.tasks import get_task

IGNORE = -100  # cross_entropy's ignore_index: prompt and padding positions carry no loss

# Relative sampling weight per (task, difficulty). Favours what a 1 M model can learn in under an hour (3-digit
# squares, short word counts: the model card's targets) over what it cannot (5-digit squares, 5-digit sums), yet
# keeps every default difficulty present. Word counts are ~5x longer than sums, so they cost more than their weight.
DEFAULT_MIX: dict[str, dict[int, float]] = {
    "square": {1: 0.5, 2: 1.5, 3: 4.0, 4: 3.0, 5: 0.5},
    "add": {1: 0.5, 2: 1.0, 3: 1.0, 4: 0.75, 5: 0.5},
    "sub": {1: 0.5, 2: 1.0, 3: 1.0, 4: 0.75, 5: 0.5},
    "mul": {1: 0.5, 2: 1.5, 3: 0.5},
    "expr": {2: 1.0, 3: 1.0, 4: 1.0},
    "wordfreq": {2: 1.5, 4: 3.0, 6: 2.0, 8: 1.5},
    # Emulation: weight on level 4 (2-3 straight-line steps), where a 1 M model has a chance: ~30 k level-4 examples in
    # 8000 steps. An emulate-only probe with as many (890 steps, 10 CPU-min) got 15 % there (trivial guesses: 9 %),
    # 8 % at 8 and 4 % at 16 and 32 (= guessing). Branches and loops stay at low weight, present so their form is
    # known: their programs are ~100 characters, and emulate is then 9 % of examples but 22 % of characters.
    "emulate": {2: 0.25, 4: 2.0, 8: 0.5, 16: 0.2, 32: 0.2},
}


@dataclass
class Mix:
    """Flattened (task, difficulty) choices with cumulative weights, for one rng.choices call per example."""

    pairs: list[tuple[str, int]]
    weights: list[float]
    tasks: dict = field(default_factory=dict)


def build_mix(task_weights: dict[str, float] | None = None, table: dict[str, dict[int, float]] = DEFAULT_MIX) -> Mix:
    """Weights for every difficulty a task declares by default; `task_weights` scales whole tasks (0 drops one)."""
    pairs, weights, tasks = [], [], {}
    for name, per_level in table.items():
        scale = 1.0 if task_weights is None else task_weights.get(name, 1.0)
        if scale <= 0:
            continue
        task = get_task(name)
        tasks[name] = task
        # A default level missing from the table still trains at weight 1: every difficulty the harness runs is seen.
        for d in sorted(set(task.difficulties) | set(per_level)):
            pairs.append((name, d))
            weights.append(scale * per_level.get(d, 1.0))
    if not pairs:
        raise ValueError("the training mix is empty: every task weight is 0")
    return Mix(pairs, weights, tasks)


def mix_table(mix: Mix) -> dict[str, dict[int, float]]:
    """The weights a run samples with, per task and difficulty, for its record and model card."""
    table: dict[str, dict[int, float]] = {}
    for (name, d), w in zip(mix.pairs, mix.weights):
        table.setdefault(name, {})[d] = w
    return table


def parse_task_weights(spec: str | None) -> dict[str, float] | None:
    """'square=2,wordfreq=3' -> {'square': 2.0, 'wordfreq': 3.0}; tasks not named keep weight 1."""
    if not spec:
        return None
    out = {name: 1.0 for name in DEFAULT_MIX}
    for part in spec.split(","):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in DEFAULT_MIX:
            raise ValueError(f"bad --mix entry {part!r}: expected TASK=WEIGHT with TASK one of {sorted(DEFAULT_MIX)}")
        out[name] = float(value)
    return out


def sample_train_text(rng: random.Random, task, difficulty: int) -> str:
    for _ in range(1000):
        text = task.generate(rng, difficulty)
        if task.in_split(text, "train"):
            return text
    raise RuntimeError(f"{task.name} difficulty {difficulty}: no training-split instance in 1000 draws")


def sample_examples(rng: random.Random, mix: Mix, n: int) -> list[tuple[str, str]]:
    """n (prompt, answer+newline) pairs; the rng is the only source of randomness, so a saved state replays it."""
    out = []
    for name, d in rng.choices(mix.pairs, weights=mix.weights, k=n):
        task = mix.tasks[name]
        text = sample_train_text(rng, task, d)
        out.append((task.prompt(text), task.reference(text) + "\n"))
    return out


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
