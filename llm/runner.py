"""Load a model backend: prompts in, completions (or log-likelihoods, or labels) out, whatever serves the model.

`load_backend` picks the backend: an OpenAI-compatible server, a sequence classifier (an encoder with a task head,
or a LoRA adapter over one), or a causal LM through transformers. The interface itself lives in llm.interface;
nothing here knows about tasks: bench/ builds the prompts and parses the replies.
"""
from __future__ import annotations

from llm import models
from llm.interface import (Backend, Classification, Classifier, Completion, LogLikelihood, UnsupportedRequest,
                           check_request, count_parameters)
from llm.locate import ModelNotFoundError

__all__ = ["Backend", "Classification", "Classifier", "Completion", "LogLikelihood", "ModelNotFoundError",
           "UnsupportedRequest", "check_request", "count_parameters", "load_backend"]


def load_backend(model: str | None = None, *, device="auto", dtype="auto", batch_size=32, threads=None, chat=False,
                 trust_remote_code=False, served_url=None, served_model=None, concurrency=8,
                 request_timeout_s=120.0) -> Backend | Classifier:
    """model=None -> the embedded default model; a short name (`isabench models`) -> its files; served_url -> a
    server. A folder holding a sequence-classification model or adapter gives a Classifier, anything else a Backend."""
    if served_url:
        from llm.served import ServedBackend
        return ServedBackend(served_url, served_model or model, chat=chat, concurrency=concurrency,
                             request_timeout_s=request_timeout_s)
    path, source = models.find(model)  # before importing torch: a missing model fails in well under a second
    kind = models.kind_of(source.local_dir) if source.gguf_file is None and source.local_dir is not None else "causal"
    if kind == "encoder":
        raise ValueError(f"{model or path} is a bare encoder with no task head, so it cannot answer: fine-tune it "
                         f"first (`isabench finetune --task sentiment --init {model or path} --out FOLDER`) and pass "
                         "FOLDER as --model, or use the shipped `sentiment-lora`")
    if kind == "classifier":
        from llm.classifier import load_classifier
        return load_classifier(path, source, device=device, dtype=dtype, batch_size=batch_size, threads=threads)
    from llm.hf_backend import load_hf_backend
    return load_hf_backend(path, source, device=device, dtype=dtype, batch_size=batch_size, threads=threads,
                           chat=chat, trust_remote_code=trust_remote_code)
