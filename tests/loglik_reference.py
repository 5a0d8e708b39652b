"""Log-likelihood scoring as it was before issue 19 (llm/loglik.py at c89efbd), kept as the reference the
shared-context path must equal: every (context, continuation) pair its own row, the context run once per pair, rows
sorted by length within each call. tests/test_llm_loglik.py compares against it; nothing in the project runs it.
Verbatim but for two helpers it reads from llm.loglik, where they are written once and unchanged since: the split of
a pair's tokens (split_pair) and whether the model keeps only the last logits (keeps_logits).
"""
from __future__ import annotations

import time

import torch

from llm.devices import synchronize
from llm.interface import LogLikelihood, move_trailing_space
from llm.loglik import keeps_logits, split_pair


def encode_pair(backend, context: str, continuation: str) -> tuple[list[int], list[int]]:
    """(context tokens, continuation tokens) by the rule in llm/loglik.py's docstring."""
    if not backend.chat:
        context, continuation = move_trailing_space(context, continuation)
    [text] = backend.render([context])
    ctx, whole = backend.tokenize([text, text + continuation])
    return split_pair(backend, ctx, whole, continuation)


def score_pairs(backend, contexts: list[str], continuations: list[str]) -> list[LogLikelihood]:
    pairs = [encode_pair(backend, c, x) for c, x in zip(contexts, continuations)]
    longest = max(len(c) + len(x) for c, x in pairs)
    if backend.max_positions and longest > backend.max_positions:
        raise ValueError(f"a context + continuation of {longest} tokens exceeds the model's "
                         f"{backend.max_positions} positions")
    order = sorted(range(len(pairs)), key=lambda i: -(len(pairs[i][0]) + len(pairs[i][1])))
    results: list[LogLikelihood | None] = [None] * len(pairs)
    for start in range(0, len(order), backend.batch_size):
        batch = order[start:start + backend.batch_size]
        for i, scored in zip(batch, score_batch(backend, [pairs[i] for i in batch])):
            results[i] = scored
    return results


def score_batch(backend, pairs: list[tuple[list[int], list[int]]]) -> list[LogLikelihood]:
    synchronize(backend.device)
    started = time.perf_counter()
    backend.forward_clock.lap()
    # The model reads every token but the last; the logits at position p predict token p + 1.
    rows = [(ctx + cont)[:-1] for ctx, cont in pairs]
    width = max(len(r) for r in rows)
    input_ids = torch.full((len(rows), width), backend.pad_id, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    for j, row in enumerate(rows):
        input_ids[j, :len(row)] = torch.tensor(row)
        attention[j, :len(row)] = 1
    # Only the continuations' positions are needed: the logits of the rest would be (batch x length x vocab) floats.
    first = min(len(ctx) - 1 for ctx, _ in pairs)
    extra = {"logits_to_keep": width - first} if keeps_logits(backend.model) else {}
    skipped = first if extra else 0
    logits = backend.model(input_ids=input_ids.to(backend.device), attention_mask=attention.to(backend.device),
                           use_cache=False, **extra).logits
    scored = []
    for j, (ctx, cont) in enumerate(pairs):
        at = len(ctx) - 1 - skipped
        logprobs = torch.log_softmax(logits[j, at:at + len(cont)].float(), dim=-1)
        target = torch.tensor(cont, device=logprobs.device)
        total = logprobs.gather(1, target[:, None]).sum().item()
        greedy = bool((logprobs.argmax(dim=-1) == target).all().item())
        scored.append((total, greedy, len(ctx), len(cont)))
    synchronize(backend.device)
    latency = time.perf_counter() - started
    model_s = backend.forward_clock.lap()
    # Every pair runs its whole context and continuation through the model (but the last token, which predicts
    # nothing scored: still counted, as the FLOPs of a full row).
    return [LogLikelihood(total, greedy, n_ctx, n_cont, latency, len(pairs), model_s, n_ctx + n_cont)
            for total, greedy, n_ctx, n_cont in scored]
