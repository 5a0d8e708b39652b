"""Pick the torch device and dtype: `auto` follows the hardware, an explicit request that cannot be met fails loudly."""
from __future__ import annotations

import torch

DEVICES = ("auto", "cpu", "cuda", "mps")
# Accepted spellings -> torch dtype name; "auto" is resolved per device.
DTYPE_NAMES = {
    "float32": "float32", "fp32": "float32", "float": "float32",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
    "float16": "float16", "fp16": "float16", "half": "float16",
}


class DeviceUnavailableError(ValueError):
    """The requested device does not exist on this machine (or in this torch build)."""


def mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve_device(device: str = "auto") -> torch.device:
    """'auto' -> cuda, else mps, else cpu. 'cuda:1' is accepted. Unavailable requests raise DeviceUnavailableError."""
    name = (device or "auto").strip().lower()
    kind = name.split(":", 1)[0]
    if kind not in DEVICES:
        raise ValueError(f"unknown device {device!r}: choose one of {', '.join(DEVICES)} (or cuda:N)")
    if kind == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if kind == "cuda":
        if not torch.cuda.is_available():
            cuda = torch.version.cuda
            build = "a CPU-only torch build" if cuda is None else f"torch built for CUDA {cuda}"
            raise DeviceUnavailableError(
                f"device {device!r} requested but CUDA is not available here ({build}, torch {torch.__version__}); "
                "use --device cpu or --device auto")
        if ":" in name:
            index = name.split(":", 1)[1]
            if not index.isdigit():
                raise ValueError(f"unknown device {device!r}: a CUDA device is cuda or cuda:N, N a number")
            index = int(index)
            if index >= torch.cuda.device_count():
                raise DeviceUnavailableError(
                    f"device {device!r} requested but only {torch.cuda.device_count()} CUDA device(s) exist")
        return torch.device(name)
    if kind == "mps" and not mps_available():
        raise DeviceUnavailableError(f"device {device!r} requested but Apple MPS is not available here; "
                                     "use --device cpu")
    return torch.device(name)


def resolve_dtype(dtype: str | torch.dtype = "auto", device: torch.device | str = "cpu") -> torch.dtype:
    """'auto': bf16 on CUDA when supported, else fp16; fp32 on CPU and MPS (half precision is slow or lossy there)."""
    if isinstance(dtype, torch.dtype):
        return dtype
    name = (dtype or "auto").strip().lower()
    kind = torch.device(device).type
    if name == "auto":
        if kind == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    if name not in DTYPE_NAMES:
        raise ValueError(f"unknown dtype {dtype!r}: choose auto, float32, bfloat16 or float16")
    return getattr(torch, DTYPE_NAMES[name])


def synchronize(device: torch.device) -> None:
    """Wait for queued kernels so that wall-clock timers measure the work, not its launch."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def apply_runtime(batch_size, threads) -> None:
    """Check a backend's batch size and thread count, and give torch that many threads (the loaders' shared step)."""
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if threads is not None:
        if not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a positive integer, got {threads!r}")
        torch.set_num_threads(threads)
