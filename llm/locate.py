"""Find a model's files before loading it: a local folder, the Hugging Face cache, or (only when online) the hub.

Why a separate step: on an offline machine `from_pretrained("some/id")` retries and ends in a long stack trace.
Checking the disk first lets a missing model fail at once with a message that says what to do instead.

A model is a transformers folder (config.json + weights + tokenizer), or one GGUF file (llama.cpp's format: weights,
config and tokenizer in a single file), named directly or as the only .gguf in a folder without config.json.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

WEIGHT_SUFFIXES = (".safetensors",)
LEGACY_WEIGHT_SUFFIXES = (".bin", ".pt", ".pth")
GGUF_SUFFIX = ".gguf"
HUB_PROBE_TIMEOUT_S = 5.0  # long enough for a healthy hub, short enough that a dead network fails fast


class ModelNotFoundError(ValueError):
    """The model is neither a local folder, nor in the Hugging Face cache, nor reachable on the hub."""


class WeightsRefusedError(ValueError):
    """The weights are a pickle (.bin/.pt) that torch's weights-only unpickler refused to load."""


@dataclass
class ModelSource:
    """Where a model's files are: `load` is what to hand to from_pretrained."""
    load: str                 # a local folder, or a hub id to fetch
    local_dir: Path | None    # the folder on disk, when there is one (also for a cached hub snapshot)
    hub_id: str | None        # the hub id the user named, if any
    revision: str | None      # hub commit, when known
    local_files_only: bool    # True when nothing may be fetched
    gguf_file: Path | None = None  # the GGUF file, when the model is one (then local_dir is its folder)


def is_offline() -> bool:
    truthy = {"1", "true", "yes", "on"}
    return any(os.environ.get(k, "").strip().lower() in truthy for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def looks_like_path(name: str) -> bool:
    """Hub ids are `name` or `org/name`; anything with more structure is meant as a path."""
    return name.startswith(("/", ".", "~", "\\")) or name.count("/") > 1 or "\\" in name or name.endswith("/") \
        or (len(name) > 1 and name[1] == ":")


def not_found_message(name: str, why: str) -> str:
    return (f"model {name!r} not found: {why}. "
            "Pass a local model folder with `--model PATH` (config.json + weights + tokenizer files) or a GGUF "
            "file, or omit --model to use the embedded default model.")


def check_model_dir(path: Path, name: str) -> None:
    if path.is_file():
        raise ModelNotFoundError(not_found_message(name, f"{path} is a file, expected a model folder or a "
                                                         f"{GGUF_SUFFIX} file"))
    if not (path / "config.json").is_file() and not (path / "adapter_config.json").is_file():
        raise ModelNotFoundError(not_found_message(
            name, f"folder {path} has no config.json, adapter_config.json or {GGUF_SUFFIX} file (not a model "
                  "folder)"))


def find_gguf(path: Path, name: str) -> Path | None:
    """The GGUF file `path` names: itself, or the only .gguf in a folder that is not a transformers folder."""
    if path.is_file():
        return path.absolute() if path.suffix.lower() == GGUF_SUFFIX else None
    if (path / "config.json").is_file():
        return None  # a transformers folder; a .gguf beside its config is not what it loads
    found = sorted(p for p in path.iterdir() if p.suffix.lower() == GGUF_SUFFIX and p.is_file())
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise ModelNotFoundError(f"model {name!r}: folder {path} holds {len(found)} GGUF files ({names}); "
                                 f"name one with `--model {path / found[0].name}`")
    return found[0].absolute() if found else None


def resolve_model(name: str) -> ModelSource:
    """Local folder > cached hub snapshot > hub (only when not offline, probed with a short timeout)."""
    path = Path(name).expanduser()
    if path.exists():
        if (gguf := find_gguf(path, name)) is not None:
            return ModelSource(str(gguf.parent), gguf.parent, None, None, True, gguf_file=gguf)
        check_model_dir(path, name)
        return ModelSource(str(path.resolve()), path.resolve(), None, None, True)
    if looks_like_path(name):
        raise ModelNotFoundError(not_found_message(name, f"no such folder {path.absolute()}"))
    import huggingface_hub
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError
    try:
        snapshot = Path(huggingface_hub.snapshot_download(name, local_files_only=True))
        if (gguf := find_gguf(snapshot, name)) is not None:
            return ModelSource(str(snapshot), snapshot, name, snapshot.name, True, gguf_file=gguf)
        check_model_dir(snapshot, name)
        return ModelSource(str(snapshot), snapshot, name, snapshot.name, True)
    except HFValidationError as err:
        why = f"it is neither a folder nor a valid hub id ({err})"
        raise ModelNotFoundError(not_found_message(name, why)) from None
    except (LocalEntryNotFoundError, FileNotFoundError, ModelNotFoundError):
        pass
    if is_offline():
        raise ModelNotFoundError(not_found_message(
            name, "it is not a local folder and not in the Hugging Face cache, and HF_HUB_OFFLINE is set "
                  "(no network/hub)"))
    try:
        info = huggingface_hub.HfApi().model_info(name, timeout=HUB_PROBE_TIMEOUT_S)
    except Exception as err:  # connection refused, DNS failure, timeout, 401/404: all mean "cannot fetch it"
        raise ModelNotFoundError(not_found_message(
            name, f"it is not a local folder, not in the Hugging Face cache, and the hub could not provide it "
                  f"(no network/hub? {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})")) from None
    return ModelSource(name, None, name, info.sha, False)


def content_hash(folder: Path, digits: int = 12) -> str | None:
    """sha256 over the weight files (safetensors, else legacy formats) in name order; None if there are none."""
    return files_hash(weight_files(folder), digits)


def weight_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in WEIGHT_SUFFIXES) or \
        sorted(p for p in folder.iterdir() if p.suffix in LEGACY_WEIGHT_SUFFIXES)


def files_hash(files: list[Path], digits: int = 12) -> str | None:
    """sha256 over the files' bytes, in the order given (a GGUF model: its one file); None for no files."""
    if not files:
        return None
    digest = hashlib.sha256()
    for file in files:
        with open(file, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()[:digits]


def has_safetensors(folder: Path | None) -> bool:
    return folder is not None and any(p.suffix == ".safetensors" for p in folder.iterdir())


def refused(model, where, err: Exception) -> WeightsRefusedError:
    """What isabench says when torch's safe unpickler refuses a model's .bin/.pt weights (never torch's own hint to
    retry unsafely)."""
    files = [p.name for p in weight_files(Path(where))] if Path(where).is_dir() else []
    reason = next((line.strip() for line in str(err).splitlines() if "Unsupported" in line or "GLOBAL" in line),
                  str(err).splitlines()[0] if str(err) else type(err).__name__)
    return WeightsRefusedError(
        f"model {str(model)!r}: the weights in {where} ({', '.join(files) or 'a pickle'}) are not safetensors, and "
        f"torch's safe (weights-only) unpickler refused them: {reason.rstrip('.')}. A pickle can run code when "
        "loaded, so isabench does not load it unsafely; use a model folder with .safetensors weights (convert this "
        "one only if you trust where it came from).")


@contextlib.contextmanager
def refusing_pickles(model, where):
    """Turn torch's refusal of pickled weights, raised anywhere inside, into refused()'s message."""
    try:
        yield
    except pickle.UnpicklingError as err:
        raise refused(model, where, err) from None
