"""The narrow interface every model backend implements, and the small data classes that flow through it.

Two kinds of model answer isabench's questions:
- a causal LM (`Backend`): `generate` continues prompts greedily; `loglikelihood` scores given continuations
  (lm-evaluation-harness's notion), which is how a causal LM answers a classification question;
- a sequence classifier (`Classifier`): an encoder with a task head (BERT-family, fine-tuned by `isabench finetune`)
  that maps a text straight to one of its labels.

This module imports nothing heavy; the backends (hf_backend, served, classifier) import it, and llm.runner picks one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass
class Completion:
    text: str               # generated text, cut before the first stop string (the stop itself left out)
    prompt_tokens: int      # tokens of the prompt as the model saw it (after any chat template); -1 if unknown
    generated_tokens: int   # tokens generated through the stop / EOS / max_new_tokens; -1 if unknown
    latency_s: float        # wall time of the batch this completion was in (device synchronised)
    batch_size: int         # prompts that shared that batch: latency_s / batch_size sums to the total wall time
    model_s: float = -1.0   # seconds inside the model's forward passes for that batch; -1 if unknown (a server)


@dataclass
class LogLikelihood:
    logprob: float            # sum of log p(continuation token | context and the tokens before it), natural log
    is_greedy: bool           # every continuation token was the model's argmax at its position
    context_tokens: int       # tokens of the context as the model saw it (after any chat template)
    continuation_tokens: int  # tokens the continuation took (>= 1)
    latency_s: float          # wall time of the batch this request was in
    batch_size: int           # requests that shared that batch
    model_s: float = -1.0     # seconds inside the model's forward passes for that batch; -1 if unknown (a server)
    processed_tokens: int = -1  # tokens the model ran through for this request (a context computed once for
                                # several requests counts on one of them); -1 if unknown


@dataclass
class Classification:
    label: str                # the head's argmax, as the model's id2label names it
    scores: dict[str, float]  # log-softmax of the head's logits, per label
    tokens: int               # input tokens the encoder read
    latency_s: float          # wall time of the batch this text was in
    batch_size: int
    model_s: float = -1.0     # seconds inside the model's forward passes for that batch


class UnsupportedRequest(ValueError):
    """The backend cannot answer this kind of request (e.g. a server that returns no prompt log-probabilities)."""


class Backend(Protocol):
    info: dict  # model id/path, revision or content hash, dtype, device, threads, parameter counts, backend, ...

    def generate(self, prompts: list[str], max_new_tokens: int, stop: list[str] = ("\n",)) -> list[Completion]: ...

    def loglikelihood(self, contexts: list[str], continuations: list[str]) -> list[LogLikelihood]: ...


class Classifier(Protocol):
    info: dict
    labels: tuple[str, ...]  # the head's label names, in id order

    def classify(self, texts: list[str]) -> list[Classification]: ...


def check_request(prompts: list[str], max_new_tokens: int) -> None:
    """The interface's argument rules for generate(), the same for every backend."""
    if isinstance(prompts, str):
        raise TypeError("prompts must be a list of strings, not one string")
    if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be a positive integer, got {max_new_tokens!r}")


def check_pairs(contexts: list[str], continuations: list[str]) -> None:
    """The interface's argument rules for loglikelihood()."""
    if isinstance(contexts, str) or isinstance(continuations, str):
        raise TypeError("contexts and continuations must be lists of strings, not strings")
    if len(contexts) != len(continuations):
        raise ValueError(f"{len(contexts)} contexts but {len(continuations)} continuations; give one of each per request")
    for i, cont in enumerate(continuations):
        if not cont:
            raise ValueError(f"continuation {i} is empty: there is nothing to score")


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


def move_trailing_space(context: str, continuation: str) -> tuple[str, str]:
    """lm-evaluation-harness's rule for a loglikelihood request: the context's trailing whitespace belongs to the
    continuation ("is " + "Paris" is scored as "is" + " Paris"), as BPE vocabularies attach a space to the next word."""
    stripped = context.rstrip()
    return stripped, context[len(stripped):] + continuation
