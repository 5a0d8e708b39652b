"""Int8 inference on the CPU: torch's dynamic quantisation of every nn.Linear (`--dtype int8`).

Each Linear's weights are stored as int8 (one scale per tensor) and each batch's activations are quantised on the
fly, so the matmuls run in int8 (fbgemm / oneDNN) and the weights take a quarter of the memory; embeddings, layer
norms and everything that is not a Linear stay float32. Nothing is calibrated or retrained: the same files load, and
the records of an int8 run are keyed apart from float32's (the backend's info says dtype int8).

torch marks torch.ao.quantization deprecated in favour of torchao; torchao's wheels are built against one torch
release each and aim at GPUs, while quantize_dynamic still ships (and is tested here) in this torch. Its deprecation
warnings are silenced: the record says what ran (torch's version and the scheme).
"""
from __future__ import annotations

import warnings

import torch

SCHEME = "torch.ao dynamic quantisation: nn.Linear weights int8 per tensor, activations int8 per batch, on CPU"


def quantize(model, kind: str | None) -> tuple[object, dict]:
    """(the model, what to add to the backend's info): as it is for None, else with `kind` applied (llm.devices'
    resolve_precision names it; int8 is the only one)."""
    return quantize_int8(model) if kind else (model, {})


def quantize_int8(model) -> tuple[object, dict]:
    """(the model with its Linear layers quantised in place, what to add to the backend's info)."""
    from torch.ao.quantization import quantize_dynamic

    n_linear = sum(isinstance(m, torch.nn.Linear) for m in model.modules())
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=UserWarning, message=".*quantize_per_tensor.*")
        model = quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
    engine = torch.backends.quantized.engine
    return model, {"dtype": "int8", "quantization": SCHEME, "quantized_linear_layers": n_linear,
                   "quantized_engine": engine}
