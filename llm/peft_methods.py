"""The ways `isabench finetune` can train an encoder with a new head: one table, one entry per method.

A method says which weights train (`wrap` turns the base + head into the model the loop trains), what it saves, its
default learning rate, which FinetuneConfig fields it reads (only those go into the reproducing command) and how the
card describes it. Adding a method is adding an entry here.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class PeftMethod:
    name: str  # the --peft value
    summary: str  # for --help: what trains
    default_lr: float  # when --lr is not given
    product: str  # what the output folder holds, for the card's title
    options: tuple[str, ...]  # FinetuneConfig fields the method reads besides the common ones
    adapter: bool  # saves an adapter over the base (loaded with peft); else a full model folder + tokenizer
    wrap: Callable  # (model with its new head, config) -> the model to train; draws from torch's RNG in order
    describe: Callable[[dict], str]  # the card's Method line(s), from the recorded config


def train_everything(model, cfg):
    return model


def lora(model, cfg):
    """Low-rank updates of the target projections plus the head, through peft (~0.3 % of MiniLM's weights)."""
    from peft import LoraConfig, TaskType, get_peft_model

    check_targets(model, cfg.lora_targets)
    config = LoraConfig(task_type=TaskType.SEQ_CLS, r=cfg.lora_r, lora_alpha=cfg.lora_alpha,
                        lora_dropout=cfg.lora_dropout, target_modules=list(cfg.lora_targets))
    model = get_peft_model(model, config)
    model.peft_config["default"].base_model_name_or_path = cfg.init  # a short name finds it on another machine
    return model


def check_targets(model, targets) -> None:
    """Each LoRA target must name a linear layer (by its name or a dotted suffix of it, as peft matches)."""
    if not targets:
        raise ValueError("--lora-targets names no module")
    linear = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    for target in targets:
        if not any(n == target or n.endswith("." + target) for n in linear):
            leaves = sorted({n.rsplit(".", 1)[-1] for n in linear})
            raise ValueError(f"--lora-targets: no linear layer named {target!r} in this model; its linear layers "
                             f"are named {', '.join(leaves)}")


PEFT_METHODS: dict[str, PeftMethod] = {m.name: m for m in (
    PeftMethod(
        "lora", "low-rank updates of the attention projections + the new head",
        default_lr=2e-3,  # chosen on dev (the shipped adapter's card)
        product="LoRA adapter", options=("lora_r", "lora_alpha", "lora_dropout", "lora_targets"),
        adapter=True, wrap=lora,
        describe=lambda c: (
            f"- Method: LoRA (`peft`): rank {c['lora_r']}, alpha {c['lora_alpha']}, dropout {c['lora_dropout']}, "
            f"on `{', '.join(c['lora_targets'])}`; the new head is trained in full.\n"
            "  Saved as a PEFT adapter (`save_pretrained`); the loader merges it into the base.")),
    PeftMethod(
        "none", "every weight (full fine-tuning)", default_lr=5e-5,  # the prototype's
        product="fully fine-tuned model", options=(), adapter=False, wrap=train_everything,
        describe=lambda c: "- Method: full fine-tuning: every weight of the encoder and the new head is trained."),
)}


def peft_method(name: str) -> PeftMethod:
    try:
        return PEFT_METHODS[name]
    except KeyError:
        raise ValueError(f"--peft must be one of {', '.join(PEFT_METHODS)}, got {name!r}") from None
