"""`isabench finetune`: fine-tune a pretrained encoder with a new head on a labelled task (the seed's method).

    isabench finetune --task sentiment --out runs/sentiment-lora                      # LoRA on minilm
    isabench finetune --task sentiment --peft none --lr 5e-5 --out runs/sentiment-full  # every weight
    isabench finetune --task sentiment --peft ia3 --out runs/sentiment-ia3            # any llm.peft_methods entry
    isabench finetune --task sentiment --train-size 64 --out runs/lora-64             # a stratified subset of train

The output folder gets the best epoch's weights (a PEFT adapter for LoRA, a full model folder for none), the record
finetune.json and the model card README.md. A killed run resumes when the same command is run again.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from dataclasses import asdict
from pathlib import Path

import llm

ADAPTERS = Path(llm.__file__).resolve().parent / "adapters"  # the shipped adapters: never overwritten by default
# What a run writes into its folder; --force removes these (and nothing else) before starting over.
RUN_FILES = ("checkpoint.resume", "checkpoint.pt", "checkpoint.tmp", "finetune.json", "README.md",
             "adapter_config.json", "adapter_model.safetensors", "config.json", "model.safetensors", "tokenizer.json",
             "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
# Flags of the reproducing command, in order, then the --peft method's own (llm.peft_methods); --out, --force,
# --dev-only and --note don't change the weights.
FLAGS = ("task", "init", "peft", "epochs", "lr", "batch_size", "seed", "threads", "max_length", "warmup", "schedule",
         "weight_decay")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from bench.train_data import labelled_tasks
    from llm.finetune import FinetuneConfig
    from llm.peft_methods import PEFT_METHODS
    from llm.training import DECAYS

    d = FinetuneConfig(task="")  # the defaults (--task has none)
    p.add_argument("--task", help=f"the labelled task to fine-tune on (required; one of {', '.join(labelled_tasks())})")
    p.add_argument("--out", type=Path, help="output folder: weights, finetune.json, README.md and the checkpoint")
    p.add_argument("--init", default=d.init, help=f"base encoder: a short name, a folder or a cached hub id "
                                                  f"(default {d.init})")
    p.add_argument("--peft", default=d.peft, help="; ".join(f"{m.name}: {m.summary}" for m in PEFT_METHODS.values())
                   + f" (default {d.peft})")
    p.add_argument("--epochs", type=int, default=d.epochs, help=f"passes over the train split (default {d.epochs})")
    p.add_argument("--lr", type=float, help="peak learning rate (default " + ", ".join(
        f"{m.default_lr:g} for {m.name}" for m in PEFT_METHODS.values()) + ")")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help=f"sentences a step (default {d.batch_size})")
    p.add_argument("--seed", type=int, default=d.seed,
                   help=f"seeds the head, LoRA, shuffles, dropout (default {d.seed})")
    p.add_argument("--threads", type=int, default=d.threads, help=f"torch CPU threads (default {d.threads})")
    p.add_argument("--max-length", type=int, default=d.max_length, help=f"tokens kept a text (default {d.max_length})")
    p.add_argument("--warmup", type=float, default=d.warmup, help=f"share of steps warming up (default {d.warmup})")
    p.add_argument("--schedule", default=d.schedule, help=f"lr decay to 0 after warm-up: {' or '.join(DECAYS)} "
                                                          f"(default {d.schedule})")
    p.add_argument("--weight-decay", type=float, default=d.weight_decay, help=f"AdamW decay (default {d.weight_decay})")
    p.add_argument("--lora-r", type=int, default=d.lora_r, help=f"LoRA rank (default {d.lora_r})")
    p.add_argument("--lora-alpha", type=int, default=d.lora_alpha, help=f"LoRA alpha (default {d.lora_alpha})")
    p.add_argument("--lora-dropout", type=float, default=d.lora_dropout,
                   help=f"dropout on the input of each LoRA update, in training only (default {d.lora_dropout})")
    p.add_argument("--lora-targets", default=",".join(d.lora_targets),
                   help=f"modules LoRA wraps, comma-separated (default {','.join(d.lora_targets)})")
    p.add_argument("--adalora-init-r", type=int, default=d.adalora_init_r,
                   help=f"AdaLoRA: each target's starting rank (default {d.adalora_init_r})")
    p.add_argument("--adalora-target-r", type=int, default=d.adalora_target_r,
                   help=f"AdaLoRA: the average rank it prunes to (default {d.adalora_target_r})")
    p.add_argument("--vera-r", type=int, default=d.vera_r,
                   help=f"VeRA: rank of the shared frozen random matrices (default {d.vera_r})")
    p.add_argument("--virtual-tokens", type=int, default=d.virtual_tokens,
                   help=f"prefix and prompt tuning: trained positions in front of each input (default "
                        f"{d.virtual_tokens})")
    p.add_argument("--prompt-init", default=d.prompt_init,
                   help=f"prompt tuning: start the virtual tokens random or as vocab (embeddings of tokens drawn from "
                        f"the vocabulary) (default {d.prompt_init})")
    p.add_argument("--train-size", type=int, help="train on a stratified subset of this many train sentences "
                   "(by label and the split's strata, e.g. site; drawn by --seed); default: the whole train split")
    p.add_argument("--eval-every", type=int, default=d.eval_every,
                   help="read dev accuracy (and keep a resumable checkpoint) after every Nth epoch and the last; the "
                        f"kept epoch is the best of those read (default {d.eval_every})")
    p.add_argument("--force", action="store_true",
                   help="start over in a folder holding a run, or write inside llm/adapters (the shipped ones)")
    p.add_argument("--dev-only", action="store_true",
                   help="choose settings: train and score dev, but never read the test split")
    p.add_argument("--note", default="", help="a paragraph for the card (e.g. how the settings were chosen)")


def config_from(args):
    from llm.finetune import FinetuneConfig, check_config
    from llm.peft_methods import peft_method

    if not args.task:
        raise ValueError("--task is required (the labelled task to fine-tune on, e.g. --task sentiment)")
    if args.out is None:
        raise ValueError("--out FOLDER is required: where the model, its card and the resumable checkpoint go")
    targets = tuple(t.strip() for t in args.lora_targets.split(",") if t.strip())
    cfg = FinetuneConfig(task=args.task, init=args.init, peft=args.peft, epochs=args.epochs,
                         lr=args.lr if args.lr is not None else peft_method(args.peft).default_lr,
                         batch_size=args.batch_size, warmup=args.warmup, schedule=args.schedule,
                         weight_decay=args.weight_decay, max_length=args.max_length, seed=args.seed,
                         lora_r=args.lora_r, lora_alpha=args.lora_alpha, lora_dropout=args.lora_dropout,
                         lora_targets=targets, adalora_init_r=args.adalora_init_r,
                         adalora_target_r=args.adalora_target_r, vera_r=args.vera_r,
                         virtual_tokens=args.virtual_tokens, prompt_init=args.prompt_init, train_size=args.train_size,
                         eval_every=args.eval_every, threads=args.threads)
    check_config(cfg)
    return cfg


def reproduce_command(cfg, out: str) -> str:
    from llm.peft_methods import peft_method

    values = asdict(cfg)
    parts = ["isabench", "finetune"]
    for name in FLAGS + peft_method(cfg.peft).options:
        value = values[name]
        parts += [f"--{name.replace('_', '-')}", ",".join(value) if isinstance(value, (list, tuple)) else str(value)]
    if cfg.train_size is not None:  # only then: the whole split's command stays the one shipped cards give
        parts += ["--train-size", str(cfg.train_size)]
    if cfg.eval_every != 1:  # likewise
        parts += ["--eval-every", str(cfg.eval_every)]
    return shlex.join(parts + ["--out", out])


def check_folder(out: Path, force: bool) -> None:
    """Refuse (before anything is loaded or written) a shipped adapter's folder, a finished run, an unrelated
    folder, a damaged record or a pickled checkpoint, unless --force."""
    from llm.classifier import RECORD, read_record
    from llm.finetune import CHECKPOINT, HINT, LEGACY_CHECKPOINT
    from llm.training import refuse_pickle

    inside_shipped = out.resolve() == ADAPTERS or ADAPTERS in out.resolve().parents
    if inside_shipped and not force:
        raise ValueError(f"{out} is inside {ADAPTERS}, where the shipped adapters live; write to another folder "
                         "(or pass --force to replace a shipped one on purpose)")
    if force:
        return  # clear_folder removes the run's files
    refuse_pickle(out / LEGACY_CHECKPOINT, HINT)
    try:
        finished = read_record(out).get("finished")
    except ValueError as e:
        raise ValueError(f"{e}; {HINT}") from None
    if finished:
        raise ValueError(f"{out} already holds a finished run (see its README.md); use another --out, "
                         "or --force to train again from scratch")
    if out.is_dir() and any(out.iterdir()) and not ((out / RECORD).is_file() or (out / CHECKPOINT).is_file()):
        raise ValueError(f"{out} is not empty and holds no finetune run; use an empty or new folder")


def clear_folder(out: Path, force: bool) -> None:
    """With --force, remove what a run writes (and nothing else); then make sure the folder exists."""
    if force and out.is_dir():
        for name in RUN_FILES:
            (out / name).unlink(missing_ok=True)
            for stale in out.glob(f".{name}.*.tmp"):  # what a killed atomic write leaves
                stale.unlink()
    out.mkdir(parents=True, exist_ok=True)


def short_name(folder: Path) -> str | None:
    """The llm.models short name that resolves to this folder (a shipped adapter's card names it so), if any."""
    from llm import models

    for known in models.KNOWN.values():
        try:
            if known.locate().resolve() == folder.resolve():
                return known.name
        except (ValueError, OSError):
            continue
    return None


def save_record(out: Path, record: dict) -> None:
    from llm.classifier import RECORD
    from bench.safe_io import write_atomic

    write_atomic(out / RECORD, json.dumps(record, indent=2) + "\n")


def run(args, cfg, labels: tuple[str, ...], data: dict, base_dir: Path, model, tokenizer, n_params: int) -> int:
    import peft
    import torch
    import transformers

    from bench.stats import wilson
    from bench.train_data import DATA_ORDER, describe_subset
    from llm.card import write_classifier_card
    from llm.classifier import load_classifier
    from llm.finetune import CHECKPOINT, finetune, save_trained, trainable
    from llm.locate import content_hash

    out = args.out
    n_trainable = sum(p.numel() for p in trainable(model).values())
    given = "isabench finetune " + shlex.join(sys.argv[2:]) if sys.argv[1:2] == ["finetune"] else None
    record = {
        "command": given, "reproduce": reproduce_command(cfg, f"runs/{out.resolve().name}"),
        "base": {"name": cfg.init, "path": str(base_dir), "content_hash": content_hash(base_dir),
                 "model_type": model.config.model_type},
        "labels": list(labels), "task": cfg.task, "splits": {s: len(texts) for s, (texts, _) in data.items()},
        "config": asdict(cfg), "n_params": n_params, "trainable_params": n_trainable,
        "trainable_share": n_trainable / n_params, "finished": False,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
        "cpu_count": os.cpu_count(), "note": args.note,
        # What the weights depend on besides the command and the versions (issue 22 item 6).
        "cpu_capability": torch.backends.cpu.get_cpu_capability(), "data_order": DATA_ORDER,
    }
    if cfg.train_size is not None:
        record["train_subset"] = describe_subset(cfg.task, cfg.train_size, cfg.seed)
    save_record(out, record)  # the base and labels: loading needs them

    def save_best(m) -> None:
        save_trained(m, tokenizer, out, cfg.peft)

    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    try:
        state = finetune(model, tokenizer, data, cfg, out, save_best, log=log)
    except ValueError as e:
        print(f"isabench finetune: {e}", file=sys.stderr)
        return 2
    record.update(history=state.history, best_epoch=state.best_epoch, best_dev_accuracy=state.best_dev,
                  steps=state.step, cpu_s=round(state.cpu_s, 1), wall_s=round(state.elapsed_s, 1), trained=True)
    # `finished` waits for the test read and the card: a run stopped in between resumes (training is skipped).
    save_record(out, record)

    if args.dev_only:  # a run for choosing settings: the test split stays unread
        record.update(test=None, finished=True)
        save_record(out, record)
        write_classifier_card(out, record, args.note)
        (out / CHECKPOINT).unlink(missing_ok=True)
        print(f"best epoch {state.best_epoch} (dev {state.best_dev:.1%}); test not read (--dev-only); "
              f"{record['cpu_s']:.0f} CPU-s; written to {out}", file=sys.stderr)
        return 0
    # TEST, once: the kept epoch as it loads back from disk, through the backend `isabench run` uses.
    backend = load_classifier(str(out), device="cpu", dtype="float32", batch_size=cfg.eval_batch_size,
                              threads=cfg.threads)
    texts, gold = data["test"]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    answers = backend.classify(texts)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    correct = sum(a.label == labels[g] for a, g in zip(answers, gold))
    record["test"] = {"n": len(gold), "correct": correct, "accuracy": correct / len(gold),
                      "ci95": list(wilson(correct, len(gold))), "batch_size": cfg.eval_batch_size,
                      "ms_per_sentence_wall": round(1000 * wall / len(gold), 2),
                      "ms_per_sentence_cpu": round(1000 * cpu / len(gold), 2)}
    record["content_hash"] = backend.info["content_hash"]
    write_classifier_card(out, record, args.note, short_name(out))
    record["finished"] = True
    save_record(out, record)
    (out / CHECKPOINT).unlink(missing_ok=True)  # the run is finished: the kept weights are all that is needed
    t = record["test"]
    print(f"best epoch {state.best_epoch} (dev {state.best_dev:.1%}); test accuracy {t['accuracy']:.1%} "
          f"({correct}/{len(gold)}, 95 % CI {t['ci95'][0]:.1%}-{t['ci95'][1]:.1%}); {record['cpu_s']:.0f} CPU-s, "
          f"{record['wall_s']:.0f} wall-s, {cfg.threads} thread(s); written to {out}", file=sys.stderr)
    return 0


def main(args) -> int:
    from bench.train_data import labelled_splits
    from llm.finetune import build, find_base

    try:
        cfg = config_from(args)
        labels, data = labelled_splits(cfg.task, cfg.train_size, cfg.seed)
        check_folder(args.out, args.force)
        base_dir = find_base(cfg.init)
        model, tokenizer, n_params = build(cfg, base_dir, labels, len(data["train"][0]))
        clear_folder(args.out, args.force)
    except (ValueError, OSError) as e:
        print(f"isabench finetune: {e}", file=sys.stderr)
        return 2
    return run(args, cfg, labels, data, base_dir, model, tokenizer, n_params)
