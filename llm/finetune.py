"""The seed's fine-tuning method: a pretrained encoder, a new task head, AdamW over a few labelled epochs.

Per epoch: one shuffled pass over the train split, then dev accuracy; the best epoch (by dev) is the one kept, and
TEST is scored once, at the end, on the kept weights as they load back from disk (bench.cmd_finetune does that).
Which weights train is a method of llm.peft_methods: full fine-tuning trains every weight; `peft="lora"` trains
low-rank updates of the attention projections plus the head (~0.3 % of MiniLM's weights). The task's texts and
label ids are handed in; this layer knows no task.

A run lives in its output folder: the best epoch's weights (save_pretrained) and `checkpoint.resume` (the
trainable weights, optimizer, epoch and history in llm.training's safe format), replaced atomically after each
epoch. Each epoch's shuffle and dropout are seeded from (seed, epoch) alone, so a killed run resumes from its last
finished epoch and reaches the same weights as an unbroken one. The checkpoint is removed once the run is finished.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from llm import training
from llm.classifier import encode, pad, predict, quiet_loading
from llm.peft_methods import peft_method

# The output folder's resumable state, in llm.training's safetensors format; not named *.safetensors, which a model
# folder's content hash would count as weights while the run is unfinished.
CHECKPOINT = "checkpoint.resume"
LEGACY_CHECKPOINT = "checkpoint.pt"  # the pickle earlier versions wrote: refused, never unpickled
HINT = "use --force to start over in this folder, or another --out"
NOT_ENCODER = ("ForCausalLM", "LMHeadModel", "ForConditionalGeneration")


@dataclass
class FinetuneConfig:
    task: str  # the labelled task's name, as recorded (its texts and labels are handed to finetune())
    init: str = "minilm"  # the base encoder: a short name (llm.models), a folder or a cached hub id
    peft: str = "lora"  # an llm.peft_methods name: "lora" (a 300 KB adapter) or "none" (every weight, 90 MB)
    epochs: int = 3  # few: the prototype's dev accuracy peaked by epoch 2-3 on 1,600 sentences
    lr: float = 2e-3  # peak AdamW learning rate (each method's default_lr: LoRA's few weights take larger steps)
    batch_size: int = 16  # small batches, many steps: 87 updates an epoch over 1,390 sentences
    warmup: float = 0.1  # share of all steps with a rising lr: the new head's random gradients start large
    schedule: str = "linear"  # decay after warm-up (llm.training.DECAYS): linear to 0 (BERT's recipe) or cosine
    weight_decay: float = 0.01  # on matrices only; BERT's value
    beta1: float = 0.9
    beta2: float = 0.999
    clip: float = 1.0  # gradient-norm clip: one long noisy batch must not undo an epoch
    max_length: int = 128  # tokens kept per sentence; every vendored sentence fits in 44
    seed: int = 0  # the new head, LoRA's init, each epoch's shuffle and dropout
    lora_r: int = 8  # rank of each update: 8 is enough for a 2-way head
    lora_alpha: int = 16  # updates scale by alpha / r = 2
    lora_dropout: float = 0.1  # dropout on the input of each low-rank update, during training only
    lora_targets: tuple[str, ...] = ("query", "value")  # attention projections, as in the LoRA paper (and the
    # targets of AdaLoRA, LoHa, LoKr and VeRA; LoHa and LoKr read lora_r and lora_alpha too)
    adalora_init_r: int = 12  # AdaLoRA: every target's rank at the start (peft's default)
    adalora_target_r: int = 8  # AdaLoRA: the average rank the budget is pruned to (peft's default)
    vera_r: int = 256  # VeRA: rank of the shared random matrices (peft's default; only scaling vectors train)
    virtual_tokens: int = 20  # prefix and prompt tuning: trained positions in front of each input
    prompt_init: str = "random"  # prompt tuning: "random" or "vocab" (embeddings of tokens drawn from the vocabulary)
    train_size: int | None = None  # train on a stratified subset of this many sentences (bench.train_data picks it,
    # seeded by `seed`); None: the whole train split
    eval_batch_size: int = 64  # dev / test inference batch
    eval_every: int = 1  # read dev (and keep a checkpoint) after every Nth epoch and the last: a 16-sentence subset
    # trains 30 one-step epochs (isabench curve), and a dev pass after each cost far more than the training
    # Not part of the result's identity: may change between a run and its resumption.
    threads: int = 1  # torch CPU threads (results are deterministic per seed *and* thread count)

    def schedule_for(self, total: int) -> training.Schedule:
        return training.Schedule(self.lr, total, round(self.warmup * total), self.schedule)


RESUME_FREE = {"threads"}


@dataclass
class FinetuneState(training.RunState):
    epoch: int = 0  # epochs finished
    best_epoch: int = 0  # 1-based; 0 before the first epoch
    best_dev: float = -1.0
    history: list = field(default_factory=list)  # per epoch: {epoch, train_loss, dev_accuracy, cpu_s, wall_s}


def check_config(cfg: FinetuneConfig) -> None:
    peft_method(cfg.peft)
    if cfg.schedule not in training.DECAYS:
        raise ValueError(f"--schedule must be one of {', '.join(training.DECAYS)}, got {cfg.schedule!r}")
    for name in ("epochs", "batch_size", "max_length", "threads", "lora_r", "eval_batch_size", "eval_every",
                 "adalora_init_r", "adalora_target_r", "vera_r", "virtual_tokens"):
        if getattr(cfg, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(cfg, name)}")
    if not cfg.lr > 0:
        raise ValueError(f"--lr must be positive, got {cfg.lr}")
    if not 0 <= cfg.warmup < 1:
        raise ValueError(f"--warmup is a share of all steps, in [0, 1); got {cfg.warmup}")
    if not 0 <= cfg.lora_dropout < 1:
        raise ValueError(f"--lora-dropout must be in [0, 1), got {cfg.lora_dropout}")
    if cfg.adalora_target_r > cfg.adalora_init_r:
        raise ValueError(f"--adalora-target-r ({cfg.adalora_target_r}) must not exceed --adalora-init-r "
                         f"({cfg.adalora_init_r}): AdaLoRA only prunes ranks")
    if cfg.prompt_init not in ("random", "vocab"):
        raise ValueError(f"--prompt-init must be random or vocab, got {cfg.prompt_init!r}")
    if cfg.train_size is not None and cfg.train_size < 1:
        raise ValueError(f"--train-size must be at least 1, got {cfg.train_size}")


def epoch_seed(seed: int, epoch: int) -> int:
    return seed * 1_000_003 + epoch + 1  # epoch 0 differs from the seed that drew the head


def find_base(init: str) -> Path:
    """The folder of the base encoder --init names, or ValueError saying why it cannot be one."""
    from llm import models
    from llm.locate import resolve_model

    source = resolve_model(models.resolve(init))
    if source.local_dir is None:
        raise ValueError(f"--init {init!r} is not on this disk; nothing is downloaded during fine-tuning")
    config = json.loads((source.local_dir / "config.json").read_text())
    arch = config.get("architectures") or []
    if any(a.endswith(NOT_ENCODER) for a in arch) or (source.local_dir / "adapter_config.json").is_file():
        raise ValueError(f"--init {init!r} ({source.local_dir}) is not an encoder ({', '.join(arch) or 'adapter'}); "
                         "fine-tuning adds a classification head to a BERT-family encoder such as minilm")
    return source.local_dir


def total_steps(cfg: FinetuneConfig, n_train: int) -> int:
    """Optimizer steps of the whole run: the lr schedule and AdaLoRA's rank schedule both span these."""
    return cfg.epochs * math.ceil(n_train / cfg.batch_size)


def build_model(cfg: FinetuneConfig, base_dir: Path, labels: tuple[str, ...], n_train: int):
    """(model, parameters of the encoder + head): the base with a new head, wrapped by the --peft method,
    initialised from cfg.seed. `n_train`: the train sentences (AdaLoRA schedules its ranks over the steps)."""
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(cfg.seed)
    with quiet_loading():
        model = AutoModelForSequenceClassification.from_pretrained(
            base_dir, num_labels=len(labels), id2label=dict(enumerate(labels)),
            label2id={n: i for i, n in enumerate(labels)}, dtype=torch.float32)
    n_params = sum(p.numel() for p in model.parameters())
    with quiet_loading():  # peft calls a method transformers has deprecated (AdaLoRA): not the user's concern
        return peft_method(cfg.peft).wrap(model, cfg, total_steps(cfg, n_train)), n_params


def build(cfg: FinetuneConfig, base_dir: Path, labels: tuple[str, ...], n_train: int):
    """(model, tokenizer, parameters of encoder + head), or ValueError saying why --init cannot be fine-tuned."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(base_dir)
        if tokenizer.pad_token_id is None:
            raise ValueError(f"the tokenizer of {base_dir} has no padding token; batches cannot be padded")
        model, n_params = build_model(cfg, base_dir, labels, n_train)
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot build a classifier from --init {cfg.init!r}: {e}") from None
    positions = getattr(model.config, "max_position_embeddings", None)
    if positions and cfg.max_length > positions:
        raise ValueError(f"--max-length {cfg.max_length} exceeds the model's {positions} positions")
    return model, tokenizer, n_params


def trainable(model) -> dict[str, torch.nn.Parameter]:
    return {n: p for n, p in model.named_parameters() if p.requires_grad}


def save_trained(model, tokenizer, out: Path, peft: str) -> None:
    """The kept weights as the loader reads them: a PEFT adapter alone, or a full model folder with its tokenizer.

    An adapter is saved with save_embedding_layers=False: peft's default ("auto") looks the base's name up on the
    model hub at every save to see whether its embeddings were resized (they never are here), which offline means a
    warning per epoch and, online, a network call."""
    if peft_method(peft).adapter:
        model.save_pretrained(out, save_embedding_layers=False)
    else:
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)


def save_checkpoint(path: Path, model, params: dict, opt, cfg: FinetuneConfig, state: FinetuneState) -> None:
    """The trainable weights, AdamW's moments, the run state and the method's own state (AdaLoRA's allocator)."""
    method = peft_method(cfg.peft)
    buffers, values = method.state(model) if method.state else ({}, {})
    training.save_checkpoint(path, "finetune", params, opt, asdict(cfg), asdict(state), extra={"method": values},
                             buffers=buffers)


def resume(path: Path, model, params: dict, opt, cfg: FinetuneConfig) -> FinetuneState:
    saved = training.load_checkpoint(path, "finetune", HINT)
    # A field added since the checkpoint was written (eval_every) had its default's behaviour then.
    written = {**asdict(FinetuneConfig(cfg.task)), **saved.config}
    training.check_resumable(written, asdict(cfg), RESUME_FREE, "the output folder",
                             "use another --out, the same options, or --force to start over")
    training.restore_weights(params, saved.weights, path, HINT)
    training.restore_optimizer(opt, saved.optimizer, path, HINT)
    method = peft_method(cfg.peft)
    if method.restore:
        method.restore(model, saved.buffers, saved.extra.get("method") or {})
    return training.dataclass_from(FinetuneState, saved.state, path, HINT)


def accuracy(predicted: list[int], gold: list[int]) -> float:
    return sum(p == g for p, g in zip(predicted, gold)) / len(gold)


def finetune(model, tokenizer, data: dict, cfg: FinetuneConfig, out: Path, save_best, log=print) -> FinetuneState:
    """Train `model` in place for cfg.epochs, resuming from out/CHECKPOINT; `save_best(model)` is called each
    time dev accuracy improves. `data`: split name -> (texts, label ids), train in the order its shuffles permute.
    Returns the run state."""
    torch.set_num_threads(cfg.threads)
    texts, gold = data["train"]
    rows = encode(tokenizer, texts, cfg.max_length)
    per_epoch = math.ceil(len(rows) / cfg.batch_size)
    schedule = cfg.schedule_for(total_steps(cfg, len(rows)))
    params = trainable(model)
    method = peft_method(cfg.peft)
    opt = training.adamw(params.values(), cfg.lr, (cfg.beta1, cfg.beta2), cfg.weight_decay)
    state = FinetuneState()
    ckpt = out / CHECKPOINT
    if ckpt.exists():
        state = resume(ckpt, model, params, opt, cfg)
        log(f"resuming after epoch {state.epoch} of {cfg.epochs} (best dev {state.best_dev:.1%} at epoch "
            f"{state.best_epoch})")
    epochs = tqdm(total=cfg.epochs, initial=state.epoch, desc="epochs", dynamic_ncols=True)
    for epoch in range(state.epoch, cfg.epochs):
        clock = training.Stopwatch()
        torch.manual_seed(epoch_seed(cfg.seed, epoch))  # dropout
        order = torch.randperm(len(rows), generator=torch.Generator().manual_seed(epoch_seed(cfg.seed, epoch)))
        model.train()
        losses = []
        bar = tqdm(range(per_epoch), desc=f"epoch {epoch + 1}", leave=False, dynamic_ncols=True, mininterval=1.0)
        for k in bar:
            batch = order[k * cfg.batch_size:(k + 1) * cfg.batch_size].tolist()
            ids, mask = pad([rows[i] for i in batch], tokenizer.pad_token_id)
            labels = torch.tensor([gold[i] for i in batch])
            if method.model_loss:  # the method adds its own term to the model's cross-entropy
                loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            else:
                loss = F.cross_entropy(model(input_ids=ids, attention_mask=mask).logits, labels)
            for group in opt.param_groups:
                group["lr"] = schedule.lr(state.step)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(list(params.values()), cfg.clip)
            opt.step()
            if method.after_step:
                method.after_step(model, state.step)
            state.step += 1
            losses.append(loss.item())
            bar.set_postfix(loss=f"{sum(losses[-20:]) / len(losses[-20:]):.3f}")
        bar.close()
        model.eval()
        state.epoch = epoch + 1
        read_dev = state.epoch % cfg.eval_every == 0 or state.epoch == cfg.epochs
        dev = accuracy(predict(model, tokenizer, data["dev"][0], cfg.eval_batch_size, cfg.max_length),
                       data["dev"][1]) if read_dev else None
        wall, cpu = clock.lap(state)
        state.history.append({"epoch": state.epoch, "train_loss": round(sum(losses) / len(losses), 4),
                              "dev_accuracy": dev, "cpu_s": round(cpu, 1), "wall_s": round(wall, 1)})
        if dev is not None and dev > state.best_dev:  # ties keep the earlier epoch: fewer updates, same evidence
            state.best_epoch, state.best_dev = state.epoch, dev
            save_best(model)
        epochs.update(1)
        epochs.set_postfix(best=f"{state.best_dev:.1%}@{state.best_epoch}")
        read = f"dev accuracy {dev:.1%}" if read_dev else "dev not read"
        log(f"epoch {state.epoch}: train loss {state.history[-1]['train_loss']:.4f}, {read} "
            f"({cpu:.0f} CPU-s, {wall:.0f} wall-s)")
        if read_dev:  # each epoch's shuffle and dropout are seeded by the epoch: resuming from here is exact
            save_checkpoint(ckpt, model, params, opt, cfg, state)
    epochs.close()
    model.eval()
    return state
