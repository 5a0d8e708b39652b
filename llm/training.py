"""What both training loops (llm.train, llm.finetune) share: atomic files and safe, resumable checkpoints.

A checkpoint is one safetensors file: the tensors (weights, optimizer moments, torch's RNG state) as tensors and
everything else (config, run state, Python's RNG state as numbers) as JSON in the file's metadata. Loading it runs no
code: safetensors holds only arrays and strings, where a pickle (`torch.load(..., weights_only=False)`) can call any
function while it loads, and a run folder is a place anyone may have written to.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

FORMAT = 1  # the checkpoint layout below; another value is refused, never guessed at
META_KEY = "isabench"  # the safetensors metadata entry that holds the JSON
ADAMW_STATE = {"step", "exp_avg", "exp_avg_sq"}  # what AdamW keeps per parameter (amsgrad adds max_exp_avg_sq)


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write a whole file or nothing: a temporary file created exclusively beside it, then renamed over it.

    A kill mid-write leaves the previous file intact, and a symlink planted at `path` is replaced, not written
    through (os.replace renames onto the link itself)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class Checkpoint:
    """What a checkpoint file holds, already checked for shape: the loop restores it into its own objects."""

    weights: dict[str, torch.Tensor]  # parameter name -> value
    optimizer: dict[int, dict[str, torch.Tensor]]  # parameter index -> AdamW state (step, exp_avg, exp_avg_sq)
    config: dict
    state: dict
    extra: dict  # loop-specific plain values (the resolved data mix, Python's RNG state)
    torch_rng: torch.Tensor | None


def save_checkpoint(path: Path, kind: str, weights: dict[str, torch.Tensor], optimizer: torch.optim.Optimizer,
                    config: dict, state: dict, extra: dict | None = None, torch_rng: bool = False) -> None:
    """Atomically replace `path` with the run's resumable state. `kind` names the loop ("train", "finetune")."""
    from safetensors.torch import save

    # Cloned: safetensors refuses tensors that share memory (tied embeddings), and a view must not pin a buffer.
    tensors = {f"weights.{name}": t.detach().clone().contiguous() for name, t in weights.items()}
    for index, entry in optimizer.state_dict()["state"].items():
        for key, value in entry.items():
            if not torch.is_tensor(value):
                raise TypeError(f"optimizer state {key!r} is not a tensor; the checkpoint keeps only tensors")
            tensors[f"optimizer.{index}.{key}"] = value.detach().clone().contiguous()
    if torch_rng:
        tensors["rng.torch"] = torch.get_rng_state()
    meta = {"format": FORMAT, "kind": kind, "config": config, "state": state, "extra": extra or {}}
    write_atomic(path, save(tensors, metadata={META_KEY: json.dumps(meta)}))


def load_checkpoint(path: Path, kind: str, hint: str) -> Checkpoint:
    """The checkpoint at `path`, or ValueError naming the file and `hint` (what to do instead) if it is not one of
    this loop's checkpoints in this format. Nothing in the file is executed."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    def refuse(why: str) -> ValueError:
        return ValueError(f"cannot resume from {path}: {why}; {hint}")

    try:
        from safetensors import safe_open

        with safe_open(str(path), "pt") as fh:
            header = fh.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as e:
        raise refuse(f"it is not a safetensors checkpoint ({e})") from None
    try:
        meta = json.loads(header.get(META_KEY, "null"))
    except ValueError:
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("kind") != kind:
        raise refuse(f"it is not an isabench {kind} checkpoint of format {FORMAT}")
    for key in ("config", "state", "extra"):
        if not isinstance(meta.get(key), dict):
            raise refuse(f"its {key!r} entry is not a JSON object")
    weights, optimizer, torch_rng = {}, {}, None
    for name, value in tensors.items():
        group, _, rest = name.partition(".")
        if group == "weights":
            weights[rest] = value
        elif group == "optimizer" and rest.partition(".")[0].isdigit() and rest.partition(".")[2]:
            index, _, key = rest.partition(".")
            optimizer.setdefault(int(index), {})[key] = value
        elif name == "rng.torch" and value.dtype == torch.uint8:
            torch_rng = value
        else:
            raise refuse(f"it holds a tensor {name!r} that no isabench checkpoint has")
    return Checkpoint(weights, optimizer, meta["config"], meta["state"], meta["extra"], torch_rng)


def legacy_checkpoint(path: Path, hint: str) -> None:
    """Refuse a pickled checkpoint (what isabench wrote before this format) without opening it."""
    if path.exists() or path.is_symlink():
        raise ValueError(f"{path} is a pickled checkpoint (isabench's old format, or someone else's file); it is not "
                         f"loaded, because unpickling a file can run any code it names; {hint}")


def restore_weights(target: dict[str, torch.Tensor], saved: dict[str, torch.Tensor], path: Path, hint: str) -> None:
    """Copy saved values into the live tensors of `target` (parameters, or a state_dict's tensors) in place."""
    if set(saved) != set(target):
        missing, unknown = sorted(set(target) - set(saved)), sorted(set(saved) - set(target))
        raise ValueError(f"cannot resume from {path}: it holds the weights of another model (missing "
                         f"{missing[:3]}, unknown {unknown[:3]}); {hint}")
    for name, live in target.items():
        if saved[name].shape != live.shape:
            raise ValueError(f"cannot resume from {path}: {name} has shape {tuple(saved[name].shape)}, the model's "
                             f"is {tuple(live.shape)}; {hint}")
    with torch.no_grad():
        for name, live in target.items():
            live.copy_(saved[name])


def restore_optimizer(opt: torch.optim.Optimizer, saved: dict[int, dict[str, torch.Tensor]], path: Path,
                      hint: str) -> None:
    """Load per-parameter state into a fresh optimizer whose groups (lr, betas, decay) come from the config."""
    params = [p for group in opt.param_groups for p in group["params"]]
    for index, entry in saved.items():
        bad = index >= len(params) or not ADAMW_STATE <= set(entry) <= ADAMW_STATE | {"max_exp_avg_sq"} or any(
            t.dim() and t.shape != params[index].shape for t in entry.values())
        if bad:
            raise ValueError(f"cannot resume from {path}: its optimizer state does not fit this model's "
                             f"parameters; {hint}")
    opt.load_state_dict({"state": saved, "param_groups": opt.state_dict()["param_groups"]})


def python_rng(state) -> list:
    """random.Random.getstate() as JSON numbers: (version, 625 ints, gauss_next)."""
    version, internal, gauss = state
    return [version, list(internal), gauss]


def python_rng_state(saved, path: Path, hint: str) -> tuple:
    try:
        version, internal, gauss = saved
        return (int(version), tuple(int(x) for x in internal), None if gauss is None else float(gauss))
    except (TypeError, ValueError):
        raise ValueError(f"cannot resume from {path}: its data RNG state is malformed; {hint}") from None


def dataclass_from(cls, values: dict, path: Path, hint: str):
    """cls(**values) for a run state read from a file: every field present, of its default's type."""
    import dataclasses

    fields = {f.name: f for f in dataclasses.fields(cls)}
    sample = cls()
    for name in fields:
        expected = type(getattr(sample, name))
        value = values.get(name)
        ok = isinstance(value, expected) or (expected is float and isinstance(value, int))
        if not ok or isinstance(value, bool) != (expected is bool):
            raise ValueError(f"cannot resume from {path}: its run state field {name!r} is {value!r}; {hint}")
    return cls(**{name: values[name] for name in fields})
