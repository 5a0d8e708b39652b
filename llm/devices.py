"""Pick the torch device and dtype: `auto` follows the hardware, an explicit request that cannot be met fails loudly.

A dtype is either a float type the weights load in, or `int8`: load in float32, then quantise the Linear layers
(llm.quantize), which torch does on the CPU only.
"""
from __future__ import annotations

import torch

DEVICES = ("auto", "cpu", "cuda", "mps")
# Accepted spellings -> torch dtype name; "auto" is resolved per device.
DTYPE_NAMES = {
    "float32": "float32", "fp32": "float32", "float": "float32",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
    "float16": "float16", "fp16": "float16", "half": "float16",
}


QUANTIZED = {"int8": "int8", "qint8": "int8"}  # accepted spellings -> the quantisation llm.quantize applies


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
        raise ValueError(f"unknown dtype {dtype!r}: choose auto, float32, bfloat16, float16 or int8")
    return getattr(torch, DTYPE_NAMES[name])


def resolve_precision(dtype: str | torch.dtype = "auto", device: torch.device | str = "cpu") -> tuple[torch.dtype, str | None]:
    """(the dtype to load the weights in, the quantisation to apply once loaded, or None). int8 is CPU-only: torch's
    dynamic quantisation has no CUDA or MPS kernels, so it is refused there rather than run slowly or not at all."""
    name = dtype.strip().lower() if isinstance(dtype, str) else None
    if name not in QUANTIZED:
        return resolve_dtype(dtype, device), None
    kind = torch.device(device).type
    if kind != "cpu":
        raise DeviceUnavailableError(
            f"dtype {dtype!r} is torch's dynamic int8 quantisation of Linear layers, which runs on the CPU only, but "
            f"the model is on {kind}; pass --device cpu with --dtype int8, or a float dtype (float16, bfloat16) "
            f"on {kind}")
    return torch.float32, QUANTIZED[name]


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
