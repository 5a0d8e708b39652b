"""`isabench train`: train the embedded default model from scratch, or fine-tune any causal LM, on the tasks.

    isabench train --steps 8000 --seed 0 --export my_model                 # one run of the default length
    isabench train --init path/to/model --steps 500 --export my_model       # fine-tune an existing folder

The shipped model (llm/default_model) is one run folder trained to 16,000 steps by three invocations, --steps 8000,
then 12000, then 16000 (each resumes the last; its card lists the commands).

A killed run resumes when the same command is run again (the run folder holds the checkpoint).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

import llm

RUNS = Path(llm.__file__).parent / ".train_runs"  # git-ignored
CHECKPOINT = "state.safetensors"  # the run folder's resumable state (llm.training's format)
LEGACY_CHECKPOINT = "state.pt"  # the pickle earlier versions wrote: refused, never unpickled
ARCH_KEYS = ("model_type", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
             "vocab_size", "max_position_embeddings", "tie_word_embeddings")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from llm.train import TrainConfig

    d = TrainConfig()
    p.add_argument("--out", type=Path, help=f"run folder with the resumable checkpoint (default: {RUNS}/<name>)")
    p.add_argument("--export", type=Path, help="save the final model + tokenizer here (save_pretrained folder)")
    p.add_argument("--init", help="fine-tune this causal LM (local folder or cached hub name) instead of a fresh one")
    p.add_argument("--steps", type=int, default=d.steps,
                   help=f"optimizer steps of the run (default {d.steps}; the shipped model was resumed to 16,000: "
                        "a larger --steps on the same --out extends a run)")
    p.add_argument("--minutes", type=float, help="stop after this many wall minutes (checkpointed; rerun to continue)")
    p.add_argument("--cpu-minutes", type=float, help="stop once the run has used this many CPU minutes in all")
    p.add_argument("--seed", type=int, default=d.seed, help=f"seeds weights and data (default {d.seed})")
    p.add_argument("--threads", type=int, default=d.threads, help=f"torch CPU threads (default {d.threads})")
    p.add_argument("--lr", type=float, default=d.lr, help=f"peak learning rate (default {d.lr})")
    p.add_argument("--min-lr-frac", type=float, default=d.min_lr_frac,
                   help=f"cosine floor as a share of the peak (default {d.min_lr_frac})")
    p.add_argument("--warmup", type=int, default=d.warmup, help=f"linear warm-up steps (default {d.warmup})")
    p.add_argument("--batch", type=int, default=d.batch, help=f"examples per step (default {d.batch})")
    p.add_argument("--mix", help="task weights, e.g. 'square=2,wordfreq=0' (default: each task's training_mix)")
    p.add_argument("--ckpt-every", type=int, default=d.ckpt_every,
                   help=f"checkpoint every N steps (default {d.ckpt_every})")
    p.add_argument("--overwrite-shipped", action="store_true",
                   help="allow --export into the shipped llm/default_model (a maintainer's step; refused otherwise)")
    p.add_argument("--eval", type=int, default=0, metavar="N",
                   help="after training, score N held-out instances per task and difficulty (0: skip)")
    p.add_argument("--card", action="store_true", help="with --export and --eval: write the model card README.md")


def config_from(args):
    from bench.train_data import parse_task_weights
    from llm.train import TrainConfig

    for name in ("steps", "batch", "threads", "ckpt_every"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.card and (args.export is None or not args.eval):
        raise ValueError("--card writes the model card into the --export folder from --eval's scores: give all three")
    if args.export is not None and not args.overwrite_shipped and shipped(args.export):
        raise ValueError(f"--export {args.export} is the shipped model's folder; export to another folder (e.g. "
                         "--export my_model), or add --overwrite-shipped if you mean to replace it")
    for name in ("minutes", "cpu_minutes"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise ValueError(f"--{name.replace('_', '-')} must be positive, got {value}")
    return TrainConfig(steps=args.steps, lr=args.lr, min_lr_frac=args.min_lr_frac, warmup=args.warmup,
                       batch=args.batch, seed=args.seed, mix=parse_task_weights(args.mix), minutes=args.minutes,
                       cpu_minutes=args.cpu_minutes, threads=args.threads, ckpt_every=args.ckpt_every)


def previous_invocations(out: Path) -> list[dict]:
    """The invocations an earlier training.json of this run folder lists (or the one it describes)."""
    path = out / "training.json"
    if not path.is_file():
        return []
    try:
        old = json.loads(path.read_text())
    except ValueError:
        return []
    if not isinstance(old, dict):
        return []
    if "invocations" in old:
        return list(old["invocations"])
    return [{"command": old.get("command"), "steps": (old.get("config") or {}).get("steps"),
             "to_step": old.get("steps_done")}]


def shipped(folder: Path) -> bool:
    return Path(folder).resolve() == llm.DEFAULT_MODEL_DIR.resolve()


def run_folder(args) -> Path:
    if args.out is not None:
        return args.out
    name = f"init-{Path(args.init).name}" if args.init else "default"
    return RUNS / f"{name}-seed{args.seed}"


def load_start(args, out: Path):
    """The starting model: the run folder's own copy when resuming, else --init, else a fresh default model."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from llm.model import ModelConfig, build_model
    from llm.tokenizer import build_tokenizer, save_tokenizer

    start = out / "init"
    if (start / "config.json").exists():
        source = str(start)
    elif args.init:
        source = args.init
    else:
        torch.manual_seed(args.seed)  # the fresh weights are part of what the seed fixes
        tokenizer = build_tokenizer()
        model = build_model(ModelConfig(), tokenizer)
        model.save_pretrained(start)
        save_tokenizer(tokenizer, start)
        return model, tokenizer
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32)
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot load a causal LM from {source!r}: {e}") from None
    if tokenizer.pad_token is None:  # GPT-2 style tokenizers have none; batching needs one
        tokenizer.pad_token = tokenizer.eos_token
    if source != str(start):
        model.save_pretrained(start)
        tokenizer.save_pretrained(start)
    return model, tokenizer


def export(model, tokenizer, folder: Path, info: dict) -> None:
    from llm.tokenizer import save_tokenizer
    from bench.safe_io import write_atomic

    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)  # safetensors by default
    save_tokenizer(tokenizer, folder)
    write_atomic(folder / "training.json", json.dumps(info, indent=2) + "\n")


def main(args) -> int:
    try:
        cfg = config_from(args)
    except ValueError as e:
        print(f"isabench train: {e}", file=sys.stderr)
        return 2
    from bench.train_data import build_mix
    from llm.interface import count_parameters
    from llm.train import HINT, train
    from bench.safe_io import write_atomic
    from llm.training import refuse_pickle

    out = run_folder(args)
    out.mkdir(parents=True, exist_ok=True)
    try:
        refuse_pickle(out / LEGACY_CHECKPOINT, HINT)
        model, tokenizer = load_start(args, out)
        mix = build_mix(cfg.mix)
        state = train(model, tokenizer, cfg, mix, out / CHECKPOINT, log=lambda m: print(m, file=sys.stderr))
    except ValueError as e:
        print(f"isabench train: {e}", file=sys.stderr)
        return 2
    command = "isabench train " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["train"] else None
    info = {
        "command": command,
        # Every invocation that trained this run folder: a run extended with a larger --steps (the cosine then
        # follows the new total) is reproduced by the same sequence of commands, not by the last one alone.
        "invocations": previous_invocations(out) + [{"command": command, "steps": cfg.steps, "to_step": state.step}],
        "init": args.init,
        "parameters": count_parameters(model)[0],
        "architecture": {k: getattr(model.config, k, None) for k in ARCH_KEYS},
        "config": asdict(cfg),
        "mix": mix.table(),
        "steps_done": state.step,
        "finished": state.step >= cfg.steps,
        "wall_minutes": round(state.elapsed_s / 60, 2),
        "cpu_minutes": round(state.cpu_s / 60, 2),
        "loss_curve": state.losses,
    }
    write_atomic(out / "training.json", json.dumps(info, indent=2) + "\n")
    print(f"{state.step}/{cfg.steps} steps, {info['wall_minutes']} wall min, {info['cpu_minutes']} CPU min; "
          f"run folder {out}", file=sys.stderr)
    cells = None
    if args.eval:
        from bench.tasks import TASKS
        from bench.train_data import heldout_probes
        from llm.card import accuracy_table
        from llm.evaluate import evaluate

        trained = info["mix"]  # the tasks it trained on; the others (sentiment) are not its to answer by generation
        probes = heldout_probes({n: t.difficulties for n, t in TASKS.items() if n in trained}, n=args.eval)
        cells = evaluate(model, tokenizer, probes)
        info["heldout"] = [asdict(c) for c in cells]
        write_atomic(out / "training.json", json.dumps(info, indent=2) + "\n")
        print(accuracy_table(cells))
    if args.export is not None:
        export(model, tokenizer, args.export, info)
        if args.card and cells is not None:
            from llm.card import write_model_card

            write_model_card(args.export, info, cells)
        print(f"exported to {args.export}", file=sys.stderr)
    return 0
