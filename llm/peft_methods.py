"""The ways `isabench finetune` can train an encoder with a new head: one table, one entry per method.

A method says which weights train (`wrap` turns the base + head into the model the loop trains), what it saves, its
default learning rate, which FinetuneConfig fields it reads (only those go into the reproducing command) and how the
card describes it. Adding a method is adding an entry here. All but `none` go through peft, and every one of them
trains the new head in full (peft's SEQ_CLS task type adds the head to the weights it saves).

Two kinds of peft method load back differently (llm.classifier): weight updates (LoRA, AdaLoRA, IA3, LoHa, LoKr,
VeRA) merge into the base's matrices, so inference costs what the base costs; prompt learning (prefix, prompt)
keeps its virtual tokens in front of every input, so it cannot merge and each answer attends over them too.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class PeftMethod:
    name: str  # the --peft value
    summary: str  # for --help: what trains
    default_lr: float  # when --lr is not given (each chosen on dev: see the card of its run)
    product: str  # what the output folder holds, for the card's title
    options: tuple[str, ...]  # FinetuneConfig fields the method reads besides the common ones
    adapter: bool  # saves an adapter over the base (loaded with peft); else a full model folder + tokenizer
    wrap: Callable  # (model with its new head, config, total steps) -> the model to train; draws from torch's RNG
    describe: Callable[[dict], str]  # the card's Method line(s), from the recorded config
    # AdaLoRA's extras: the loop passes labels and trains on the model's own loss (its orthogonality term), calls
    # after_step(model, step) after each optimizer step, and checkpoints what state(model) returns.
    model_loss: bool = False
    after_step: Callable | None = None
    state: Callable | None = None  # model -> (tensors, plain JSON values): what a resumed run must get back
    restore: Callable | None = None  # (model, tensors, values) -> None


def train_everything(model, cfg, steps):
    return model


def check_targets(model, targets) -> None:
    """Each target must name a linear layer (by its name or a dotted suffix of it, as peft matches)."""
    if not targets:
        raise ValueError("--lora-targets names no module")
    linear = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    for target in targets:
        if not any(n == target or n.endswith("." + target) for n in linear):
            leaves = sorted({n.rsplit(".", 1)[-1] for n in linear})
            raise ValueError(f"--lora-targets: no linear layer named {target!r} in this model; its linear layers "
                             f"are named {', '.join(leaves)}")


def peft_wrap(model, cfg, config):
    from peft import get_peft_model

    model = get_peft_model(model, config)
    model.peft_config["default"].base_model_name_or_path = cfg.init  # a short name finds it on another machine
    return model


def lora(model, cfg, steps):
    """Low-rank updates of the target projections plus the head, through peft (~0.3 % of MiniLM's weights)."""
    from peft import LoraConfig, TaskType

    check_targets(model, cfg.lora_targets)
    return peft_wrap(model, cfg, LoraConfig(task_type=TaskType.SEQ_CLS, r=cfg.lora_r, lora_alpha=cfg.lora_alpha,
                                            lora_dropout=cfg.lora_dropout, target_modules=list(cfg.lora_targets)))


# AdaLoRA's schedule, as shares of all steps: ranks stay at init_r while the lr warms up, then the budget falls
# (cubically, re-allocated every DELTA_T steps by each triplet's importance) to target_r, which the last
# ADALORA_FINAL of the steps train at.
ADALORA_FINAL, DELTA_T = 0.2, 5


def adalora(model, cfg, steps):
    """LoRA in SVD form whose ranks are pruned during training to a total budget, by importance (AdaLoRA)."""
    from peft import AdaLoraConfig, TaskType

    check_targets(model, cfg.lora_targets)
    tinit, tfinal = round(cfg.warmup * steps), round(ADALORA_FINAL * steps)
    if steps - tfinal - tinit < 1:
        raise ValueError(f"--peft adalora needs steps between its warm-up and its final phase; {steps} steps in all "
                         "leave none (train more epochs or on more sentences)")
    return peft_wrap(model, cfg, AdaLoraConfig(
        task_type=TaskType.SEQ_CLS, init_r=cfg.adalora_init_r, target_r=cfg.adalora_target_r, tinit=tinit,
        tfinal=tfinal, deltaT=DELTA_T, total_step=steps, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
        target_modules=list(cfg.lora_targets)))


def adalora_step(model, step: int) -> None:
    model.base_model.update_and_allocate(step)


ALLOCATOR = ("ipt", "exp_avg_ipt", "exp_avg_unc")  # the rank allocator's running importance, per parameter


def adalora_state(model):
    allocator = model.base_model.rankallocator
    tensors = {f"{kind}.{name}": t for kind in ALLOCATOR for name, t in getattr(allocator, kind).items()}
    return tensors, {"rank_pattern": model.peft_config["default"].rank_pattern}


def adalora_restore(model, tensors: dict, values: dict) -> None:
    allocator = model.base_model.rankallocator
    for kind in ALLOCATOR:
        setattr(allocator, kind, {name.partition(".")[2]: t for name, t in tensors.items()
                                  if name.partition(".")[0] == kind})
    model.peft_config["default"].rank_pattern = values.get("rank_pattern")


def ia3(model, cfg, steps):
    """Learnt per-channel scales of keys, values and the feed-forward output (peft's BERT defaults), plus the head."""
    from peft import IA3Config, TaskType

    return peft_wrap(model, cfg, IA3Config(task_type=TaskType.SEQ_CLS))


def accept_past_key_values(model):
    """Let peft's prefix tuning reach a transformers-5 BERT: peft (0.21) looks for a `past_key_values` parameter in
    the classifier's forward, which transformers 5 renamed `cache` (still accepting the old name in **kwargs). This
    gives the instance a forward with that parameter, handing the prefix on as `cache`. Loading a prefix adapter
    needs the same (llm.classifier does it)."""
    if "past_key_values" in inspect.signature(model.forward).parameters:
        return model
    forward = model.forward

    def with_past_key_values(*args, past_key_values=None, **kwargs):
        return forward(*args, cache=past_key_values, **kwargs)

    model.forward = with_past_key_values
    return model


def prefix(model, cfg, steps):
    """Trained key and value vectors for `virtual_tokens` positions in front of every layer's attention."""
    from peft import PrefixTuningConfig, TaskType

    return peft_wrap(accept_past_key_values(model), cfg,
                     PrefixTuningConfig(task_type=TaskType.SEQ_CLS, num_virtual_tokens=cfg.virtual_tokens))


def prompt(model, cfg, steps):
    """Trained input embeddings for `virtual_tokens` positions in front of the sentence (the first layer only)."""
    from peft import PromptTuningConfig, PromptTuningInit, TaskType

    init = {"random": PromptTuningInit.RANDOM, "vocab": PromptTuningInit.SAMPLE_VOCAB}[cfg.prompt_init]
    return peft_wrap(model, cfg, PromptTuningConfig(task_type=TaskType.SEQ_CLS, num_virtual_tokens=cfg.virtual_tokens,
                                                    prompt_tuning_init=init))


def loha(model, cfg, steps):
    """Updates that are the Hadamard product of two low-rank products (LyCORIS' LoHa)."""
    from peft import LoHaConfig, TaskType

    check_targets(model, cfg.lora_targets)
    return peft_wrap(model, cfg, LoHaConfig(task_type=TaskType.SEQ_CLS, r=cfg.lora_r, alpha=cfg.lora_alpha,
                                            target_modules=list(cfg.lora_targets)))


def lokr(model, cfg, steps):
    """Updates that are a Kronecker product of a small matrix and a low-rank one (LyCORIS' LoKr)."""
    from peft import LoKrConfig, TaskType

    check_targets(model, cfg.lora_targets)
    return peft_wrap(model, cfg, LoKrConfig(task_type=TaskType.SEQ_CLS, r=cfg.lora_r, alpha=cfg.lora_alpha,
                                            target_modules=list(cfg.lora_targets)))


def vera(model, cfg, steps):
    """One pair of frozen random low-rank matrices shared by all targets; only per-layer scaling vectors train."""
    from peft import TaskType, VeraConfig

    check_targets(model, cfg.lora_targets)
    return peft_wrap(model, cfg, VeraConfig(task_type=TaskType.SEQ_CLS, r=cfg.vera_r, vera_dropout=cfg.lora_dropout,
                                            target_modules=list(cfg.lora_targets), projection_prng_key=cfg.seed))


def on(c: dict) -> str:
    return f"on `{', '.join(c['lora_targets'])}`"


MERGED = "  Saved as a PEFT adapter (`save_pretrained`); the loader merges it into the base."
PREPENDED = ("  Saved as a PEFT adapter (`save_pretrained`); prompt learning cannot merge, so the loader keeps the "
             "virtual tokens in front of every input.")
PROMPT_INITS = {"random": "at random", "vocab": "as the embeddings of tokens drawn from the vocabulary"}
LORA_OPTIONS = ("lora_r", "lora_alpha", "lora_dropout", "lora_targets")

PEFT_METHODS: dict[str, PeftMethod] = {m.name: m for m in (
    PeftMethod(
        "lora", "low-rank updates of the attention projections + the new head",
        default_lr=2e-3,  # chosen on dev (the shipped adapter's card)
        product="LoRA adapter", options=LORA_OPTIONS, adapter=True, wrap=lora,
        describe=lambda c: (
            f"- Method: LoRA (`peft`): rank {c['lora_r']}, alpha {c['lora_alpha']}, dropout {c['lora_dropout']}, "
            f"{on(c)}; the new head is trained in full.\n{MERGED}")),
    PeftMethod(
        "adalora", "LoRA whose ranks are pruned to a budget by importance during training (AdaLoRA)",
        default_lr=1e-2,  # chosen on dev: 2e-3 89.4 %, 5e-3 94.0 %, 1e-2 95.5 % (MiniLM on sentiment, 3 epochs)
        product="AdaLoRA adapter",
        options=("adalora_init_r", "adalora_target_r", "lora_alpha", "lora_dropout", "lora_targets"),
        adapter=True, wrap=adalora, model_loss=True, after_step=adalora_step, state=adalora_state,
        restore=adalora_restore,
        describe=lambda c: (
            f"- Method: AdaLoRA (`peft`): ranks start at {c['adalora_init_r']} and are pruned to an average of "
            f"{c['adalora_target_r']} by importance, after the warm-up and until the last {ADALORA_FINAL:.0%} of the "
            f"steps (every {DELTA_T} steps); alpha {c['lora_alpha']}, dropout {c['lora_dropout']}, {on(c)}; "
            "peft's orthogonality penalty is added to the loss; the new head is trained in full.\n" + MERGED)),
    PeftMethod(
        "ia3", "learnt scales of keys, values and feed-forward outputs + the new head (IA3)",
        default_lr=2e-2,  # chosen on dev: 5e-3 94.0 %, 2e-2 96.0 %, 5e-2 93.0 %
        product="IA3 adapter", options=(), adapter=True, wrap=ia3,
        describe=lambda c: ("- Method: IA3 (`peft`): learnt per-channel scales of `key`, `value` and the feed-forward "
                            "`output.dense` (peft's defaults for BERT), started at 1; the new head is trained in "
                            "full.\n" + MERGED)),
    PeftMethod(
        "prefix", "trained key/value vectors in front of every attention layer + the new head (prefix tuning)",
        default_lr=3e-2,  # chosen on dev: 1e-2 90.5 %, 3e-2 92.5 % (20 virtual tokens)
        product="prefix-tuning adapter", options=("virtual_tokens",), adapter=True, wrap=prefix,
        describe=lambda c: (f"- Method: prefix tuning (`peft`): {c['virtual_tokens']} trained key and value vectors "
                            "in front of each layer's attention (no reparametrisation); the new head is trained in "
                            "full.\n" + PREPENDED)),
    PeftMethod(
        "prompt", "trained input embeddings in front of the sentence + the new head (prompt tuning)",
        default_lr=3e-2,  # not searched: prefix tuning's
        product="prompt-tuning adapter", options=("virtual_tokens", "prompt_init"), adapter=True,
        wrap=prompt,
        describe=lambda c: (f"- Method: prompt tuning (`peft`): {c['virtual_tokens']} trained input embeddings in "
                            f"front of the sentence, started {PROMPT_INITS[c['prompt_init']]}; the new head is "
                            "trained in full.\n" + PREPENDED)),
    PeftMethod(
        "loha", "Hadamard products of low-rank updates of the attention projections + the new head (LoHa)",
        default_lr=2e-3,  # not searched: LoRA's
        product="LoHa adapter", options=("lora_r", "lora_alpha", "lora_targets"), adapter=True,
        wrap=loha,
        describe=lambda c: (f"- Method: LoHa (`peft`): rank {c['lora_r']}, alpha {c['lora_alpha']}, {on(c)}; the new "
                            "head is trained in full.\n" + MERGED)),
    PeftMethod(
        "lokr", "Kronecker-product updates of the attention projections + the new head (LoKr)",
        default_lr=2e-3,  # not searched: LoRA's
        product="LoKr adapter", options=("lora_r", "lora_alpha", "lora_targets"), adapter=True, wrap=lokr,
        describe=lambda c: (f"- Method: LoKr (`peft`): rank {c['lora_r']}, alpha {c['lora_alpha']}, {on(c)}; the new "
                            "head is trained in full.\n" + MERGED)),
    PeftMethod(
        "vera", "per-layer scales of shared frozen random low-rank matrices + the new head (VeRA)",
        default_lr=2e-2,  # not searched: ten times LoRA's, as only scaling vectors train
        product="VeRA adapter", options=("vera_r", "lora_dropout", "lora_targets"), adapter=True, wrap=vera,
        describe=lambda c: (f"- Method: VeRA (`peft`): shared frozen random matrices of rank {c['vera_r']} (seeded "
                            f"by --seed), trained scaling vectors, dropout {c['lora_dropout']}, {on(c)}; the new head "
                            "is trained in full.\n" + MERGED)),
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
