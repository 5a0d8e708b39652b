"""The training loop: plain PyTorch AdamW, linear warm-up then cosine decay to a floor, atomic resumable checkpoints.

A run lives in one folder: `init/` (the starting model and tokenizer, save_pretrained format) and
`state.safetensors` (weights, optimizer, step, both RNG states, config, elapsed time: llm.training's safe format),
replaced atomically every `ckpt_every` steps.
Rerunning with the same folder resumes from the last checkpoint and reaches the same weights as an unbroken run.
"""
from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from llm import training
from llm.data import IGNORE, build_mix, encode_examples, mix_table, sample_examples


@dataclass
class TrainConfig:
    steps: int = 8000
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
    mix: dict | None = None  # task -> weight; None is the default mix of llm.data
    # Not part of the result: may change between a run and its resumption.
    minutes: float | None = None  # wall-clock budget of this invocation
    cpu_minutes: float | None = None  # CPU budget of the whole run (all resumptions): fair on a contended machine
    threads: int = 1  # 1: on a shared 2-core machine, 2 threads ran ~11x slower per step under contention
    ckpt_every: int = 250


# May differ on resumption. `steps` too, to extend a finished run (the cosine then follows the new total).
RESUME_FREE = {"minutes", "cpu_minutes", "threads", "ckpt_every", "steps"}


def lr_at(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    floor = cfg.lr * cfg.min_lr_frac
    return floor + (cfg.lr - floor) * 0.5 * (1 + math.cos(math.pi * progress))


@dataclass
class RunState:
    step: int = 0
    elapsed_s: float = 0.0  # training wall seconds summed over every resumption
    cpu_s: float = 0.0  # process CPU seconds of the same: the honest cost on a shared machine
    losses: list = field(default_factory=list)  # (step, mean loss over the last log window)


def make_optimizer(model, cfg: TrainConfig) -> torch.optim.AdamW:
    # No weight decay on norms (1-D tensors): decaying a gain toward 0 only fights the loss.
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), foreach=True)  # one kernel per group


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


def save_checkpoint(path: Path, model, opt, rng: random.Random, cfg: TrainConfig, state: RunState,
                    mix: dict) -> None:
    # The resolved mix is saved beside the config: a changed default mix must not resume silently.
    training.save_checkpoint(path, "train", model.state_dict(), opt, asdict(cfg), asdict(state),
                             {"mix": plain(mix), "data_rng": training.python_rng(rng.getstate())}, torch_rng=True)


def plain(value):
    """As JSON holds it (int keys become strings, tuples lists): how a saved value and a live one compare."""
    return json.loads(json.dumps(value))


def check_resumable(saved: dict, cfg: TrainConfig, saved_mix: dict | None, mix: dict) -> None:
    if saved_mix is not None and plain(saved_mix) != plain(mix):
        raise ValueError(f"cannot resume: the run folder was trained with another mix ({saved_mix}); "
                         f"the code's mix is now {mix}")
    diff = [k for k, v in asdict(cfg).items() if k not in RESUME_FREE and plain(saved.get(k)) != plain(v)]
    if diff:
        pairs = ", ".join(f"{k}: saved {saved.get(k)!r} vs now {getattr(cfg, k)!r}" for k in diff)
        raise ValueError(f"cannot resume: the run folder was trained with other settings ({pairs}); "
                         f"use another --out or the same options")


def train(model, tokenizer, cfg: TrainConfig, ckpt: Path | None, log=print) -> RunState:
    """Train in place until cfg.steps or cfg.minutes; resumes from `ckpt` if it exists. Returns the run state."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    mix = build_mix(cfg.mix)
    table = mix_table(mix)
    opt = make_optimizer(model, cfg)
    state = RunState()
    if ckpt is not None and ckpt.exists():
        hint = "use another --out, or delete that file to start this run over"
        saved = training.load_checkpoint(ckpt, "train", hint)
        check_resumable(saved.config, cfg, saved.extra.get("mix"), table)
        training.restore_weights(model.state_dict(), saved.weights, ckpt, hint)
        training.restore_optimizer(opt, saved.optimizer, ckpt, hint)
        rng.setstate(training.python_rng_state(saved.extra.get("data_rng"), ckpt, hint))
        if saved.torch_rng is None or saved.torch_rng.shape != torch.get_rng_state().shape:
            raise ValueError(f"cannot resume from {ckpt}: it holds no usable torch RNG state; {hint}")
        torch.set_rng_state(saved.torch_rng)
        state = training.dataclass_from(RunState, saved.state, ckpt, hint)
        log(f"resuming at step {state.step} ({state.elapsed_s / 60:.1f} min trained so far)")
    model.train()
    deadline = None if cfg.minutes is None else time.monotonic() + cfg.minutes * 60
    window = []
    bar = tqdm(total=cfg.steps, initial=state.step, desc="train", mininterval=2.0, dynamic_ncols=True)
    t_last, c_last = time.monotonic(), time.process_time()
    while state.step < cfg.steps:
        lr = lr_at(state.step, cfg)
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
        now = time.monotonic()
        cpu = time.process_time()
        state.elapsed_s += now - t_last
        state.cpu_s += cpu - c_last
        t_last, c_last = now, cpu
        bar.update(1)
        if state.step % 50 == 0 or state.step == cfg.steps:
            state.losses.append((state.step, sum(window) / len(window)))
            bar.set_postfix(loss=f"{state.losses[-1][1]:.4f}", lr=f"{lr:.2e}")
            window = []
        out_of_time = (deadline is not None and now >= deadline) or (
            cfg.cpu_minutes is not None and state.cpu_s >= cfg.cpu_minutes * 60)
        if ckpt is not None and (state.step % cfg.ckpt_every == 0 or state.step == cfg.steps or out_of_time):
            save_checkpoint(ckpt, model, opt, rng, cfg, state, table)
        if out_of_time:
            log(f"\ntime budget reached at step {state.step} of {cfg.steps}; "
                f"rerun the same command to continue")
            break
    bar.close()
    model.eval()
    return state
