"""The seed's fine-tuning method: a pretrained encoder, a new task head, AdamW over a few labelled epochs.

Per epoch: one shuffled pass over the train split, then dev accuracy; the best epoch (by dev) is the one kept, and
TEST is scored once, at the end, on the kept weights as they load back from disk (llm.cmd_finetune does that).
Full fine-tuning trains every weight; `peft="lora"` trains low-rank updates of the attention projections plus the
head (the `peft` library; ~0.3 % of MiniLM's weights).

A run lives in its output folder: the best epoch's weights (save_pretrained) and `checkpoint.resume` (the
trainable weights, optimizer, epoch and history in llm.training's safe format), replaced atomically after each
epoch. Each epoch's shuffle and dropout are seeded from (seed, epoch) alone, so a killed run resumes from its last finished epoch and reaches the same weights
as an unbroken one. The checkpoint is removed once the run is finished.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from llm import training
from llm.classifier import encode, pad, predict, quiet_loading

PEFT_METHODS = ("lora", "none")
SCHEDULES = ("linear", "cosine")
# The output folder's resumable state, in llm.training's safetensors format; not named *.safetensors, which a model
# folder's content hash would count as weights while the run is unfinished.
CHECKPOINT = "checkpoint.resume"
LEGACY_CHECKPOINT = "checkpoint.pt"  # the pickle earlier versions wrote: refused, never unpickled
DEFAULT_LR = {"lora": 2e-3, "none": 5e-5}  # lora: chosen on dev (the shipped card); none: the prototype's


@dataclass
class FinetuneConfig:
    task: str = "sentiment"
    init: str = "minilm"  # the base encoder: a short name (llm.models), a folder or a cached hub id
    peft: str = "lora"  # "lora": low-rank updates + head, a 300 KB adapter; "none": every weight, a 90 MB model
    epochs: int = 3  # few: the prototype's dev accuracy peaked by epoch 2-3 on 1,600 sentences
    lr: float = 2e-3  # peak AdamW learning rate (DEFAULT_LR per method: LoRA's few weights take larger steps)
    batch_size: int = 16  # small batches, many steps: 87 updates an epoch over 1,390 sentences
    warmup: float = 0.1  # share of all steps with a rising lr: the new head's random gradients start large
    schedule: str = "linear"  # decay after warm-up: linear to 0 (BERT's recipe) or cosine to 0
    weight_decay: float = 0.01  # on matrices only; BERT's value
    beta1: float = 0.9
    beta2: float = 0.999
    clip: float = 1.0  # gradient-norm clip: one long noisy batch must not undo an epoch
    max_length: int = 128  # tokens kept per sentence; every vendored sentence fits in 44
    seed: int = 0  # the new head, LoRA's init, each epoch's shuffle and dropout
    lora_r: int = 8  # rank of each update: 8 is enough for a 2-way head
    lora_alpha: int = 16  # updates scale by alpha / r = 2
    lora_dropout: float = 0.1
    lora_targets: tuple[str, ...] = ("query", "value")  # attention projections, as in the LoRA paper
    eval_batch_size: int = 64  # dev / test inference batch
    # Not part of the result's identity: may change between a run and its resumption.
    threads: int = 1  # torch CPU threads (results are deterministic per seed *and* thread count)


RESUME_FREE = {"threads"}


@dataclass
class RunState:
    epoch: int = 0  # epochs finished
    step: int = 0  # optimizer steps done
    elapsed_s: float = 0.0  # wall seconds, training + dev evaluation, over every resumption
    cpu_s: float = 0.0  # process CPU seconds of the same: the honest cost on a shared machine
    best_epoch: int = 0  # 1-based; 0 before the first epoch
    best_dev: float = -1.0
    history: list = field(default_factory=list)  # per epoch: {epoch, train_loss, dev_accuracy, cpu_s, wall_s}


def check_config(cfg: FinetuneConfig) -> None:
    if cfg.peft not in PEFT_METHODS:
        raise ValueError(f"--peft must be one of {', '.join(PEFT_METHODS)}, got {cfg.peft!r}")
    if cfg.schedule not in SCHEDULES:
        raise ValueError(f"--schedule must be one of {', '.join(SCHEDULES)}, got {cfg.schedule!r}")
    for name in ("epochs", "batch_size", "max_length", "threads", "lora_r", "eval_batch_size"):
        if getattr(cfg, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(cfg, name)}")
    if not cfg.lr > 0:
        raise ValueError(f"--lr must be positive, got {cfg.lr}")
    if not 0 <= cfg.warmup < 1:
        raise ValueError(f"--warmup is a share of all steps, in [0, 1); got {cfg.warmup}")
    if not 0 <= cfg.lora_dropout < 1:
        raise ValueError(f"--lora-dropout must be in [0, 1), got {cfg.lora_dropout}")
    if cfg.peft == "lora" and not cfg.lora_targets:
        raise ValueError("--lora-targets names no module")


def lr_at(step: int, total: int, cfg: FinetuneConfig) -> float:
    warm = round(cfg.warmup * total)
    if step < warm:
        return cfg.lr * (step + 1) / warm
    progress = (step - warm) / max(1, total - warm)
    if cfg.schedule == "cosine":
        return cfg.lr * 0.5 * (1 + math.cos(math.pi * progress))
    return cfg.lr * (1 - progress)


def epoch_seed(seed: int, epoch: int) -> int:
    return seed * 1_000_003 + epoch + 1  # epoch 0 differs from the seed that drew the head


def build_model(cfg: FinetuneConfig, base_dir: Path, labels: tuple[str, ...]):
    """(model, parameters of the encoder + head): the base with a new head (and LoRA wrappers for peft="lora"),
    initialised from cfg.seed."""
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(cfg.seed)
    with quiet_loading():
        model = AutoModelForSequenceClassification.from_pretrained(
            base_dir, num_labels=len(labels), id2label=dict(enumerate(labels)),
            label2id={n: i for i, n in enumerate(labels)}, dtype=torch.float32)
    n_params = sum(p.numel() for p in model.parameters())
    if cfg.peft == "lora":
        from peft import LoraConfig, TaskType, get_peft_model

        check_targets(model, cfg.lora_targets)
        lora = LoraConfig(task_type=TaskType.SEQ_CLS, r=cfg.lora_r, lora_alpha=cfg.lora_alpha,
                          lora_dropout=cfg.lora_dropout, target_modules=list(cfg.lora_targets))
        model = get_peft_model(model, lora)
        model.peft_config["default"].base_model_name_or_path = cfg.init  # a short name finds it on another machine
    return model, n_params


def check_targets(model, targets) -> None:
    """Each LoRA target must name a linear layer (by its name or a dotted suffix of it, as peft matches)."""
    linear = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    for target in targets:
        if not any(n == target or n.endswith("." + target) for n in linear):
            leaves = sorted({n.rsplit(".", 1)[-1] for n in linear})
            raise ValueError(f"--lora-targets: no linear layer named {target!r} in this model; its linear layers "
                             f"are named {', '.join(leaves)}")


def trainable(model) -> dict[str, torch.nn.Parameter]:
    return {n: p for n, p in model.named_parameters() if p.requires_grad}


def make_optimizer(params: dict, cfg: FinetuneConfig) -> torch.optim.AdamW:
    # No weight decay on biases and norms (1-D tensors): decaying a gain toward 0 only fights the loss.
    groups = [{"params": [p for p in params.values() if p.dim() >= 2], "weight_decay": cfg.weight_decay},
              {"params": [p for p in params.values() if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))


def save_checkpoint(path: Path, params: dict, opt, cfg: FinetuneConfig, state: RunState) -> None:
    training.save_checkpoint(path, "finetune", params, opt, asdict(cfg), asdict(state))


def check_resumable(saved: dict, cfg: FinetuneConfig) -> None:
    now = asdict(cfg)
    diff = [k for k in now if k not in RESUME_FREE and _plain(saved.get(k)) != _plain(now[k])]
    if diff:
        pairs = ", ".join(f"{k}: saved {saved.get(k)!r} vs now {now[k]!r}" for k in diff)
        raise ValueError(f"cannot resume: the output folder holds a run with other settings ({pairs}); "
                         "use another --out, the same options, or --force to start over")


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def accuracy(predicted: list[int], gold: list[int]) -> float:
    return sum(p == g for p, g in zip(predicted, gold)) / len(gold)


def finetune(model, tokenizer, data: dict, cfg: FinetuneConfig, out: Path, save_best, log=print) -> RunState:
    """Train `model` in place for cfg.epochs, resuming from out/CHECKPOINT; `save_best(model)` is called each
    time dev accuracy improves. `data`: split name -> (texts, label ids). Returns the run state."""
    torch.set_num_threads(cfg.threads)
    texts, gold = data["train"]
    rows = encode(tokenizer, texts, cfg.max_length)
    per_epoch = math.ceil(len(rows) / cfg.batch_size)
    total = per_epoch * cfg.epochs
    params = trainable(model)
    opt = make_optimizer(params, cfg)
    state = RunState()
    ckpt = out / CHECKPOINT
    hint = "use --force to start over in this folder, or another --out"
    if ckpt.exists():
        saved = training.load_checkpoint(ckpt, "finetune", hint)
        check_resumable(saved.config, cfg)
        training.restore_weights(params, saved.weights, ckpt, hint)
        training.restore_optimizer(opt, saved.optimizer, ckpt, hint)
        state = training.dataclass_from(RunState, saved.state, ckpt, hint)
        log(f"resuming after epoch {state.epoch} of {cfg.epochs} (best dev {state.best_dev:.1%} at epoch "
            f"{state.best_epoch})")
    epochs = tqdm(total=cfg.epochs, initial=state.epoch, desc="epochs", dynamic_ncols=True)
    for epoch in range(state.epoch, cfg.epochs):
        wall0, cpu0 = time.monotonic(), time.process_time()
        torch.manual_seed(epoch_seed(cfg.seed, epoch))
        order = torch.randperm(len(rows), generator=torch.Generator().manual_seed(epoch_seed(cfg.seed, epoch)))
        model.train()
        losses = []
        bar = tqdm(range(per_epoch), desc=f"epoch {epoch + 1}", leave=False, dynamic_ncols=True, mininterval=1.0)
        for k in bar:
            batch = order[k * cfg.batch_size:(k + 1) * cfg.batch_size].tolist()
            ids, mask = pad([rows[i] for i in batch], tokenizer.pad_token_id)
            logits = model(input_ids=ids, attention_mask=mask).logits
            loss = F.cross_entropy(logits, torch.tensor([gold[i] for i in batch]))
            for group in opt.param_groups:
                group["lr"] = lr_at(state.step, total, cfg)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(list(params.values()), cfg.clip)
            opt.step()
            state.step += 1
            losses.append(loss.item())
            bar.set_postfix(loss=f"{sum(losses[-20:]) / len(losses[-20:]):.3f}")
        bar.close()
        model.eval()
        dev = accuracy(predict(model, tokenizer, data["dev"][0], cfg.eval_batch_size, cfg.max_length), data["dev"][1])
        state.epoch = epoch + 1
        wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
        state.elapsed_s += wall
        state.cpu_s += cpu
        state.history.append({"epoch": state.epoch, "train_loss": round(sum(losses) / len(losses), 4),
                              "dev_accuracy": dev, "cpu_s": round(cpu, 1), "wall_s": round(wall, 1)})
        if dev > state.best_dev:  # ties keep the earlier epoch: fewer updates, same evidence
            state.best_epoch, state.best_dev = state.epoch, dev
            save_best(model)
        epochs.update(1)
        epochs.set_postfix(dev=f"{dev:.1%}", best=f"{state.best_dev:.1%}@{state.best_epoch}")
        log(f"epoch {state.epoch}: train loss {state.history[-1]['train_loss']:.4f}, dev accuracy {dev:.1%} "
            f"({cpu:.0f} CPU-s, {wall:.0f} wall-s)")
        save_checkpoint(ckpt, params, opt, cfg, state)
    epochs.close()
    model.eval()
    return state
