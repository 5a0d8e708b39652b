"""The training loop of a causal LM: plain PyTorch AdamW, linear warm-up then cosine decay to a floor, atomic
resumable checkpoints (llm.training). What it trains on is handed in: an llm.data.Mix of example sources.

A run lives in one folder: `init/` (the starting model and tokenizer, save_pretrained format) and
`state.safetensors` (weights, optimizer, step, both RNG states, config, elapsed time: llm.training's safe format),
replaced atomically every `ckpt_every` steps.
Rerunning with the same folder resumes from the last checkpoint and reaches the same weights as an unbroken run.
"""
from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from llm import training
from llm.data import IGNORE, Mix, encode_examples, sample_examples


@dataclass
class TrainConfig:
    steps: int = 8000  # one invocation's total; the shipped model was extended to 16,000 (see its card)
    lr: float = 3e-3  # 3e-3 generalised to unseen inputs; 5e-3 with full cosine decay mostly memorised
    min_lr_frac: float = 0.4  # cosine ends at 40 % of peak: a high floor kept the prototype generalising
    warmup: int = 100
    batch: int = 64
    micro: int = 32  # length-sorted chunks of the batch, padded separately: word counts are 5x longer than sums
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.98
    clip: float = 1.0
    seed: int = 0
    mix: dict | None = None  # the --mix task weights as given (None: every task's own weights); recorded
    # Not part of the result: may change between a run and its resumption.
    minutes: float | None = None  # wall-clock budget of this invocation
    cpu_minutes: float | None = None  # CPU budget of the whole run (all resumptions): fair on a contended machine
    threads: int = 1  # 1: on a shared 2-core machine, 2 threads ran ~11x slower per step under contention
    ckpt_every: int = 250

    def schedule(self) -> training.Schedule:
        return training.Schedule(self.lr, self.steps, self.warmup, "cosine", self.min_lr_frac)


# May differ on resumption. `steps` too, to extend a finished run (the cosine then follows the new total).
RESUME_FREE = {"minutes", "cpu_minutes", "threads", "ckpt_every", "steps"}
HINT = "use another --out, or delete that file to start this run over"


@dataclass
class TrainState(training.RunState):
    losses: list = field(default_factory=list)  # (step, mean loss over the last log window)


def chunked_loss(model, tokenizer, chunks) -> torch.Tensor:
    """Mean cross-entropy over all answer tokens of all chunks; each chunk is padded only to its own longest."""
    total, count = 0.0, 0
    for chunk in chunks:
        ids, labels = encode_examples(tokenizer, chunk)
        logits = model(input_ids=ids, use_cache=False).logits[:, :-1]
        target = labels[:, 1:]
        total = total + F.cross_entropy(logits.reshape(-1, logits.size(-1)), target.reshape(-1),
                                        ignore_index=IGNORE, reduction="sum")
        count += int((target != IGNORE).sum())
    return total / max(1, count)


def identity(cfg: TrainConfig, mix: Mix) -> dict:
    """What a resumed run must share with the run it resumes: the settings and the sampling weights they resolve
    to (a task's changed training mix must not resume silently)."""
    return {**asdict(cfg), "resolved mix": mix.table()}


def save_checkpoint(path: Path, model, opt, rng: random.Random, cfg: TrainConfig, state: TrainState,
                    mix: Mix) -> None:
    training.save_checkpoint(path, "train", model.state_dict(), opt, identity(cfg, mix), asdict(state),
                             {"data_rng": training.python_rng(rng.getstate())}, torch_rng=True)


def resume(path: Path, model, opt, rng: random.Random, cfg: TrainConfig, mix: Mix) -> TrainState:
    saved = training.load_checkpoint(path, "train", HINT)
    training.check_resumable(saved.config, identity(cfg, mix), RESUME_FREE, "the run folder",
                             "use another --out or the same options")
    training.restore_weights(model.state_dict(), saved.weights, path, HINT)
    training.restore_optimizer(opt, saved.optimizer, path, HINT)
    training.restore_rngs(rng, saved, path, HINT)
    return training.dataclass_from(TrainState, saved.state, path, HINT)


def train(model, tokenizer, cfg: TrainConfig, mix: Mix, ckpt: Path | None, log=print) -> TrainState:
    """Train in place on examples drawn from `mix` until cfg.steps or a time budget; resumes from `ckpt` if it
    exists. Returns the run state."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    opt = training.adamw(model.parameters(), cfg.lr, (cfg.beta1, cfg.beta2), cfg.weight_decay,
                         foreach=True)  # one kernel per group
    state = TrainState()
    if ckpt is not None and ckpt.exists():
        state = resume(ckpt, model, opt, rng, cfg, mix)
        log(f"resuming at step {state.step} ({state.elapsed_s / 60:.1f} min trained so far)")
    schedule = cfg.schedule()
    model.train()
    deadline = None if cfg.minutes is None else time.monotonic() + cfg.minutes * 60
    window = []
    bar = tqdm(total=cfg.steps, initial=state.step, desc="train", mininterval=2.0, dynamic_ncols=True)
    clock = training.Stopwatch()
    while state.step < cfg.steps:
        lr = schedule.lr(state.step)
        for g in opt.param_groups:
            g["lr"] = lr
        examples = sorted(sample_examples(rng, mix, cfg.batch), key=lambda e: len(e[0]) + len(e[1]))
        chunks = [examples[i:i + cfg.micro] for i in range(0, len(examples), cfg.micro)]
        loss = chunked_loss(model, tokenizer, chunks)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        opt.step()
        state.step += 1
        window.append(loss.item())
        clock.lap(state)
        bar.update(1)
        if state.step % 50 == 0 or state.step == cfg.steps:
            state.losses.append((state.step, sum(window) / len(window)))
            bar.set_postfix(loss=f"{state.losses[-1][1]:.4f}", lr=f"{lr:.2e}")
            window = []
        out_of_time = (deadline is not None and time.monotonic() >= deadline) or (
            cfg.cpu_minutes is not None and state.cpu_s >= cfg.cpu_minutes * 60)
        if ckpt is not None and (state.step % cfg.ckpt_every == 0 or state.step == cfg.steps or out_of_time):
            save_checkpoint(ckpt, model, opt, rng, cfg, state, mix)
        if out_of_time:
            log(f"\ntime budget reached at step {state.step} of {cfg.steps}; "
                f"rerun the same command to continue")
            break
    bar.close()
    model.eval()
    return state
