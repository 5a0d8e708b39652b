"""The task-agnostic LLM runner: prompts in, completions out, whatever serves the model.

`load_backend` picks the backend: a local/hub model through transformers, or an OpenAI-compatible server.
Nothing here knows about tasks; bench/ builds the prompts and parses the replies.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import llm
from llm.locate import ModelNotFoundError, resolve_model


@dataclass
class Completion:
    text: str               # generated text, cut before the first stop string (the stop itself left out)
    prompt_tokens: int      # tokens of the prompt as the model saw it (after any chat template); -1 if unknown
    generated_tokens: int   # tokens generated through the stop / EOS / max_new_tokens; -1 if unknown
    latency_s: float        # wall time of the batch this completion was in (device synchronised)
    batch_size: int         # prompts that shared that batch: latency_s / batch_size sums to the total wall time


class Backend(Protocol):
    info: dict  # model id/path, revision or content hash, dtype, device, threads, parameter counts, backend, ...

    def generate(self, prompts: list[str], max_new_tokens: int, stop: list[str] = ("\n",)) -> list[Completion]: ...


def count_parameters(model) -> tuple[int, int]:
    """(total, non-embedding) parameters; shared (tied) tensors are counted once.

    Non-embedding leaves out every nn.Embedding (token and learned-position tables are lookups, not matmuls), as
    Kaplan et al. do, so that 2 x non-embedding x tokens estimates the forward FLOPs. A tied output head shares the
    token table and so is left out too; an untied head is a real matmul and stays in.
    """
    import torch

    total = sum(p.numel() for p in model.parameters())  # parameters() already yields a tied tensor once
    tables = {id(p): p for m in model.modules() if isinstance(m, torch.nn.Embedding) for p in m.parameters()}
    embedding = sum(p.numel() for p in tables.values())
    return total, total - embedding


def check_request(prompts: list[str], max_new_tokens: int) -> None:
    """The interface's argument rules, the same for every backend."""
    if isinstance(prompts, str):
        raise TypeError("prompts must be a list of strings, not one string")
    if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be a positive integer, got {max_new_tokens!r}")


def load_backend(model: str | None = None, *, device="auto", dtype="auto", batch_size=32, threads=None, chat=False,
                 trust_remote_code=False, served_url=None, served_model=None, concurrency=8,
                 timeout_s=120.0) -> Backend:
    """model=None -> the embedded default model (llm.DEFAULT_MODEL_DIR); served_url -> an OpenAI-compatible server."""
    if served_url:
        from llm.served import ServedBackend
        return ServedBackend(served_url, served_model or model, chat=chat, concurrency=concurrency,
                             timeout_s=timeout_s)
    if model is None:
        if not (llm.DEFAULT_MODEL_DIR / "config.json").is_file():
            raise ModelNotFoundError(f"the embedded default model in {llm.DEFAULT_MODEL_DIR} is not trained yet: "
                                     "run `isabench train` first, or pass a model folder with `--model PATH`")
        model = str(llm.DEFAULT_MODEL_DIR)
    source = resolve_model(str(model))  # before importing torch: a missing model fails in well under a second
    from llm.hf_backend import load_hf_backend
    return load_hf_backend(str(model), source, device=device, dtype=dtype, batch_size=batch_size, threads=threads,
                           chat=chat, trust_remote_code=trust_remote_code)
