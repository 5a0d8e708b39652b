"""What both training loops (llm.train, llm.finetune) share: run state and its clock, the learning-rate schedule,
AdamW's parameter groups, the resume check, atomic files and safe, resumable checkpoints.

A checkpoint is one safetensors file: the tensors (weights, optimizer moments, torch's RNG state, and a method's own
running state that is not a parameter, such as AdaLoRA's importance averages) as tensors and
everything else (config, run state, Python's RNG state as numbers) as JSON in the file's metadata. Loading it runs no
code: safetensors holds only arrays and strings, where a pickle (`torch.load(..., weights_only=False)`) can call any
function while it loads, and a run folder is a place anyone may have written to.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
import time
from dataclasses import dataclass, fields
from pathlib import Path

import torch

FORMAT = 1  # the checkpoint layout below; another value is refused, never guessed at
META_KEY = "isabench"  # the safetensors metadata entry that holds the JSON
ADAMW_STATE = {"step", "exp_avg", "exp_avg_sq"}  # what AdamW keeps per parameter (amsgrad adds max_exp_avg_sq)


@dataclass
class RunState:
    """Where a run stands; each loop adds its own fields. Saved in every checkpoint, summed over resumptions."""

    step: int = 0  # optimizer steps done
    elapsed_s: float = 0.0  # wall seconds of training (and, in finetune, dev evaluation)
    cpu_s: float = 0.0  # process CPU seconds of the same: the honest cost on a shared machine


class Stopwatch:
    """Wall and process-CPU seconds since the last lap."""

    def __init__(self):
        self.wall, self.cpu = time.monotonic(), time.process_time()

    def lap(self, state: RunState) -> tuple[float, float]:
        """Charge the seconds since the last lap to `state`; returns them (wall, cpu)."""
        wall, cpu = time.monotonic(), time.process_time()
        spent = (wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu
        state.elapsed_s += spent[0]
        state.cpu_s += spent[1]
        return spent


# How the learning rate falls after warm-up, as a share of the way from peak to floor at progress p in [0, 1].
DECAYS = {
    "linear": lambda p: 1 - p,  # BERT's recipe
    "cosine": lambda p: 0.5 * (1 + math.cos(math.pi * p)),  # stays high longer, then falls faster
}


@dataclass(frozen=True)
class Schedule:
    """Linear warm-up to `peak` over `warmup` steps, then a decay (a DECAYS name) to floor * peak at step `total`."""

    peak: float
    total: int
    warmup: int
    decay: str = "cosine"
    floor: float = 0.0  # share of the peak the decay ends at

    def lr(self, step: int) -> float:
        if step < self.warmup:
            return self.peak * (step + 1) / self.warmup
        progress = min(1.0, (step - self.warmup) / max(1, self.total - self.warmup))
        floor = self.peak * self.floor
        return floor + (self.peak - floor) * DECAYS[self.decay](progress)


def adamw(params, lr: float, betas: tuple[float, float], weight_decay: float, foreach: bool | None = None):
    """AdamW with weight decay on matrices only: decaying a bias or a norm's gain toward 0 only fights the loss."""
    params = list(params)
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=betas, foreach=foreach)


def plain(value):
    """As JSON holds it (int keys become strings, tuples lists): how a saved value and a live one compare."""
    return json.loads(json.dumps(value))


def check_resumable(saved: dict, now: dict, free: set, where: str, hint: str) -> None:
    """Refuse to resume when anything that shapes the result (every key of `now` not in `free`) was different."""
    diff = [k for k in now if k not in free and plain(saved.get(k)) != plain(now[k])]
    if diff:
        pairs = ", ".join(f"{k}: saved {saved.get(k)!r} vs now {now[k]!r}" for k in diff)
        raise ValueError(f"cannot resume: {where} holds a run with other settings ({pairs}); {hint}")


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
    buffers: dict[str, torch.Tensor]  # a method's running state that is not a parameter (name -> value)


def save_checkpoint(path: Path, kind: str, weights: dict[str, torch.Tensor], optimizer: torch.optim.Optimizer,
                    config: dict, state: dict, extra: dict | None = None, torch_rng: bool = False,
                    buffers: dict[str, torch.Tensor] | None = None) -> None:
    """Atomically replace `path` with the run's resumable state. `kind` names the loop ("train", "finetune")."""
    from safetensors.torch import save

    # Cloned: safetensors refuses tensors that share memory (tied embeddings), and a view must not pin a buffer.
    tensors = {f"weights.{name}": t.detach().clone().contiguous() for name, t in weights.items()}
    for index, entry in optimizer.state_dict()["state"].items():
        for key, value in entry.items():
            if not torch.is_tensor(value):
                raise TypeError(f"optimizer state {key!r} is not a tensor; the checkpoint keeps only tensors")
            tensors[f"optimizer.{index}.{key}"] = value.detach().clone().contiguous()
    tensors.update({f"buffers.{name}": t.detach().clone().contiguous() for name, t in (buffers or {}).items()})
    if torch_rng:
        tensors["rng.torch"] = torch.get_rng_state()
    meta = {"format": FORMAT, "kind": kind, "config": config, "state": state, "extra": extra or {}}
    write_atomic(path, save(tensors, metadata={META_KEY: json.dumps(meta)}))


def load_checkpoint(path: Path, kind: str, hint: str) -> Checkpoint:
    """The checkpoint at `path`, or ValueError naming the file and `hint` (what to do instead) if it is not one of
    this loop's checkpoints in this format. Nothing in the file is executed."""
    from safetensors import SafetensorError, safe_open

    def refuse(why: str) -> ValueError:
        return ValueError(f"cannot resume from {path}: {why}; {hint}")

    try:
        with safe_open(str(path), "pt") as fh:
            header = fh.metadata() or {}
            tensors = {name: fh.get_tensor(name) for name in fh.keys()}
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
    weights, optimizer, torch_rng, buffers = {}, {}, None, {}
    for name, value in tensors.items():
        group, _, rest = name.partition(".")
        if group == "weights":
            weights[rest] = value
        elif group == "buffers":
            buffers[rest] = value
        elif group == "optimizer" and rest.partition(".")[0].isdigit() and rest.partition(".")[2]:
            index, _, key = rest.partition(".")
            optimizer.setdefault(int(index), {})[key] = value
        elif name == "rng.torch" and value.dtype == torch.uint8:
            torch_rng = value
        else:
            raise refuse(f"it holds a tensor {name!r} that no isabench checkpoint has")
    return Checkpoint(weights, optimizer, meta["config"], meta["state"], meta["extra"], torch_rng, buffers)


def refuse_pickle(path: Path, hint: str) -> None:
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


def restore_rngs(rng, checkpoint: Checkpoint, path: Path, hint: str) -> None:
    """Set Python's `rng` and torch's global generator to the states the checkpoint saved."""
    try:
        version, internal, gauss = checkpoint.extra["data_rng"]
        rng.setstate((int(version), tuple(int(x) for x in internal), None if gauss is None else float(gauss)))
        torch.set_rng_state(checkpoint.torch_rng)
    except (KeyError, TypeError, ValueError, RuntimeError):
        raise ValueError(f"cannot resume from {path}: its RNG states are missing or malformed; {hint}") from None


def dataclass_from(cls, values: dict, path: Path, hint: str):
    """cls(**values) for a run state read from a file: every field present, of its default's type."""
    names = [f.name for f in fields(cls)]
    sample = cls()
    for name in names:
        expected = type(getattr(sample, name))
        value = values.get(name)
        ok = isinstance(value, expected) or (expected is float and isinstance(value, int))
        if not ok or isinstance(value, bool) != (expected is bool):
            raise ValueError(f"cannot resume from {path}: its run state field {name!r} is {value!r}; {hint}")
    return cls(**{name: values[name] for name in names})
