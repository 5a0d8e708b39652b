"""Where `isabench run` writes: the run folder's default name (made of the settings, so rerunning the same command
resumes the same folder) and the checks that --out can be a run folder before any work is done."""
from __future__ import annotations

import os
from pathlib import Path

from bench.safe_io import LinkRefused

# What a run writes into its folder other than by replacing whole files (those replace a link, never follow it).
WRITTEN_IN_PLACE = ("records.jsonl", "records.rejected.jsonl", ".lock", "plots", "lm_eval")


def model_part(model: str | None) -> str:
    """A model in a folder name: a short name isabench knows as it is; a folder or file by its name and a hash of
    where it is (two folders of one name are two models: their runs must not share a folder); a hub id as org_name."""
    import hashlib

    from llm.models import KNOWN

    if model is None:
        return "default-model"
    if model in KNOWN:
        return model
    where = Path(model).expanduser()
    if where.exists():
        digest = hashlib.sha256(str(where.resolve()).encode()).hexdigest()[:6]
        return f"{where.resolve().name}-{digest}"
    return model.strip("/").replace("/", "_")


def default_out(args, tasks: list[str], all_tasks: list[str]) -> Path:
    """A name made of the settings, not the time: rerunning the same command finds and resumes the same folder."""
    model = model_part(args.model)
    if getattr(args, "served_url", None):
        model = "served-" + (Path(args.model.rstrip("/")).name if args.model else "model")
    which = "all" if tasks == all_tasks else "+".join(tasks)
    if getattr(args, "suite", None):
        which = args.suite
    asks_a_model = any(b in ("llm", "hybrid") for b in args.backends)
    parts = [model if asks_a_model else "no-llm", which, "+".join(args.backends), n_part(args, tasks),
             f"s{args.seed}"]
    if args.difficulties:
        parts.append("d" + "-".join(map(str, args.difficulties)))
    if args.split != "test":
        parts.append(args.split)
    if getattr(args, "prompt", "compact") != "compact" or getattr(args, "shots", 0):
        parts.append(f"{args.prompt}-{args.shots}shot")  # "gpt3-4shot", not "gpt34shot"
    if getattr(args, "chat", False):
        parts.append("chat")
    if getattr(args, "tier", "jit") != "jit":
        parts.append(args.tier)
    if getattr(args, "data", None):
        parts.append("data-" + Path(args.data).stem)
    if getattr(args, "method", "auto") != "auto":
        parts.append(args.method)
    if getattr(args, "gen_kwargs", None):  # --limit is not here: its records are the full run's first ones
        parts.append(args.gen_kwargs.short())
    return Path("results") / "_".join(parts)


def n_part(args, tasks: list[str]) -> str:
    """The folder name's n: `n100`; `nall` where every task is labelled and --n takes each of its levels whole
    (sentiment and svamp hold as many instances per level as their data has: --n 1000 and --n 5000 ask the same)."""
    from bench.tasks import get_task

    chosen = [get_task(t) for t in tasks]
    if getattr(args, "data", None) is None and chosen and all(t.ground_truth == "labels" for t in chosen):
        levels = [(t, d) for t in chosen for d in (args.difficulties or t.difficulties)]
        try:
            whole = all(len(t.instances(d, args.n + 1, args.seed, args.split)) <= args.n for t, d in levels)
        except ValueError:  # a level the task does not have: the run itself says so
            whole = False
        if whole:
            return "nall"
    return f"n{args.n}"


def check_out(out: Path) -> str | None:
    """Why --out cannot be a run folder, or None; checked before any work so a run never fails at its end."""
    if out.exists():
        if not out.is_dir():
            return f"--out {out} exists and is not a folder"
        for name in WRITTEN_IN_PLACE:  # appended to, locked or written into: a link there would be written through
            if (out / name).is_symlink():
                return str(LinkRefused(out / name))
        return None if os.access(out, os.W_OK | os.X_OK) else f"--out {out} is not writable"
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"--out {out}: {parent} is not a folder"
    return None if os.access(parent, os.W_OK | os.X_OK) else f"--out {out}: cannot create it in {parent} (no write " \
                                                              "permission)"
