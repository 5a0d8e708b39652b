"""What the tasks hand to the training stack (llm/, which knows no task): the training mix of `isabench train` as
example sources, its held-out probes, and the splits of a labelled task for `isabench finetune`.

Training examples come from the training split only (task.in_split(text, "train")), decided on the canonical
problem, so the model never sees a problem it is scored on under any task's name.
"""
from __future__ import annotations

import functools
import hashlib
import random
from collections import Counter

from bench.tasks import TASKS, Instance, Task, get_task
from llm.data import Mix, Source
from llm.evaluate import Probe

HELDOUT_SEED = 1234  # the held-out instances `--eval` scores (and the shipped model's card reports)
FINETUNE_SPLITS = ("train", "dev", "test")
# How finetune's data is ordered, as finetune.json records it: the weights depend on it.
DATA_ORDER = ("each split by difficulty, then by sha256('isabench-<task>-split:' + text); each epoch a "
              "torch.randperm of the train split seeded by (seed, epoch)")


def trained_tasks() -> dict[str, Task]:
    """The tasks `isabench train` samples from: those with a training mix, in the registry's order."""
    return {name: task for name, task in TASKS.items() if task.training_mix is not None}


def parse_task_weights(spec: str | None) -> dict[str, float] | None:
    """'square=2,wordfreq=3' -> {'square': 2.0, 'wordfreq': 3.0, others: 1.0}; None for no spec."""
    if not spec:
        return None
    known = trained_tasks()
    out = {name: 1.0 for name in known}
    for part in spec.split(","):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in known:
            raise ValueError(f"bad --mix entry {part!r}: expected TASK=WEIGHT with TASK one of {sorted(known)}")
        out[name] = float(value)
    return out


def sample_train_text(rng: random.Random, task: Task, difficulty: int) -> str:
    for _ in range(1000):
        text = task.generate(rng, difficulty)
        if task.in_split(text, "train", generated=True):
            return text
    raise RuntimeError(f"{task.name} difficulty {difficulty}: no training-split instance in 1000 draws")


def draw_example(task: Task, difficulty: int, rng: random.Random) -> tuple[str, str]:
    """One (prompt, answer + newline) in exactly the harness's compact prompt format."""
    text = sample_train_text(rng, task, difficulty)
    return task.prompt(text), task.reference(text) + "\n"


def build_mix(task_weights: dict[str, float] | None = None) -> Mix:
    """Each task's training_mix per difficulty, scaled by `task_weights` (0 drops a task). A default level missing
    from a task's mix still trains at weight 1: every difficulty the harness runs is seen."""
    sources = []
    for name, task in trained_tasks().items():
        scale = 1.0 if task_weights is None else task_weights.get(name, 1.0)
        if scale <= 0:
            continue
        for d in sorted(set(task.difficulties) | set(task.training_mix)):
            sources.append(Source(name, d, scale * task.training_mix.get(d, 1.0),
                                  functools.partial(draw_example, task, d)))
    return Mix(tuple(sources))


def heldout_probes(tasks: dict[str, tuple[int, ...]], n: int, seed: int = HELDOUT_SEED) -> list[Probe]:
    """Per task and difficulty: task.instances(d, n, seed, split="test") as prompts, references and facets, with
    the harness's own answer budget."""
    probes = []
    for name, levels in tasks.items():
        task = get_task(name)
        for d in levels:
            insts = task.instances(d, n=n, seed=seed, split="test")
            probes.append(Probe(name, d, [task.prompt(i.text) for i in insts],
                                [task.reference(i.text) for i in insts], task.parse_reply,
                                max(task.max_new_tokens(i.text) for i in insts), [i.facets for i in insts]))
    return probes


def labelled_tasks() -> list[str]:
    return [n for n, t in TASKS.items() if t.labels and t.ground_truth == "labels"]


def training_order(task: Task, text: str) -> bytes:
    """Where a text stands in a split handed to finetune, within its difficulty: a hash of the text alone, so the
    weights do not depend on how the task lists its split. Each epoch's shuffle permutes positions, so the order
    given is part of what fixes the weights: when sentiment re-listed its splits (a5e3985), the card's own command
    stopped reproducing the shipped adapter. This hash is sentiment's split hash, the order it was trained in."""
    return hashlib.sha256(f"isabench-{task.name}-split:{text}".encode()).digest()


def labelled_rows(name: str) -> dict[str, list[Instance]]:
    """split -> the instances of a labelled task's train, dev and test splits, each by difficulty, then in
    training_order."""
    if name not in labelled_tasks():
        raise ValueError(f"unknown task {name!r} for finetune: it trains a classification head, so it needs a "
                         f"labelled task; known: {', '.join(labelled_tasks())}")
    task = TASKS[name]
    return {split: [i for d in task.difficulties for i in sorted(task.instances(d, n=10**9, split=split),
                                                                 key=lambda i: training_order(task, i.text))]
            for split in FINETUNE_SPLITS}


def labelled_splits(name: str, train_size: int | None = None, seed: int = 0) -> tuple[tuple[str, ...], dict]:
    """(labels, split -> (texts, label ids)) of a labelled task (labelled_rows); with `train_size`, train is
    train_subset's draw of that many sentences, in the same order."""
    task, rows = TASKS.get(name), labelled_rows(name)
    if train_size is not None:
        rows["train"] = train_subset(task, rows["train"], train_size, seed)
    return tuple(task.labels), {split: ([r.text for r in members], [task.labels.index(r.label) for r in members])
                                for split, members in rows.items()}


# --- label efficiency: a stratified, seeded subset of the train split -----------------------------------------
SUBSET_RULE = ("each stratum (label x the instance's facets: sentiment's site, the strata its split was cut by) gets "
               "its share of the subset, largest remainders first; within a stratum the sentences come first in the "
               "order of sha256('isabench-<task>-subset:<seed>:' + text), so a larger subset of one seed holds the "
               "smaller ones")


def stratum(inst: Instance) -> tuple:
    return (inst.label, *inst.facets)


def stratum_name(key: tuple) -> str:
    return " ".join(f"{k}={v}" for k, v in key[1:]) + f" label={key[0]}" if len(key) > 1 else f"label={key[0]}"


def quotas(sizes: dict, total: int) -> dict:
    """Hamilton's apportionment of `total` over strata of `sizes`: floors of the exact shares, then one more to
    the largest remainders (ties by the stratum's name)."""
    whole = sum(sizes.values())
    exact = {k: total * n / whole for k, n in sizes.items()}
    take = {k: int(q) for k, q in exact.items()}
    for k in sorted(sizes, key=lambda k: (take[k] - exact[k], stratum_name(k)))[:total - sum(take.values())]:
        take[k] += 1
    return take


def train_subset(task: Task, rows: list[Instance], size: int, seed: int) -> list[Instance]:
    """`size` of the train rows, stratified by label and facets (SUBSET_RULE), listed in the order of `rows`.
    Only train rows are handed in, so the subset is disjoint from dev and test by construction."""
    if not 1 <= size <= len(rows):
        raise ValueError(f"--train-size must be between 1 and {len(rows)} (the {task.name} train split), got {size}")
    strata: dict[tuple, list[int]] = {}
    for k, inst in enumerate(rows):
        strata.setdefault(stratum(inst), []).append(k)
    rank = lambda k: hashlib.sha256(f"isabench-{task.name}-subset:{seed}:{rows[k].text}".encode()).digest()  # noqa
    chosen = set()
    for key, take in quotas({key: len(members) for key, members in strata.items()}, size).items():
        chosen.update(sorted(strata[key], key=rank)[:take])
    missing = sorted(set(task.labels) - {rows[k].label for k in chosen})
    if missing:
        raise ValueError(f"--train-size {size} draws no sentence labelled {', '.join(missing)} (the split has "
                         f"{len(strata)} strata); use at least {len(strata)}")
    return [rows[k] for k in sorted(chosen)]


def describe_subset(name: str, size: int, seed: int) -> dict:
    """What finetune.json records of a --train-size run: the draw, its strata and a hash of its texts."""
    task, train = TASKS[name], labelled_rows(name)["train"]
    subset = train_subset(task, train, size, seed)
    counts = Counter(stratum_name(stratum(inst)) for inst in subset)
    digest = hashlib.sha256("\n".join(sorted(i.text for i in subset)).encode()).hexdigest()[:12]
    return {"size": size, "seed": seed, "of": len(train), "strata": dict(sorted(counts.items())), "rule": SUBSET_RULE,
            "texts_sha256": digest}
