"""Score given continuations with a transformers causal LM: lm-evaluation-harness's `loglikelihood`, batched.

A request (context, continuation) gets log p(continuation | context) = the sum, over the continuation's tokens, of
log softmax(logits) at the token, and `is_greedy`: every one of those tokens was the argmax at its position.

Tokenisation, the rule lm-eval uses (`_encode_pair`), so that scores compare with its numbers:
1. Plain prompts: trailing whitespace of the context moves to the front of the continuation ("is " + "Paris" is
   scored as "is" + " Paris"): BPE vocabularies attach a space to the word after it. With --chat the context is the
   user's turn and the continuation starts the assistant's reply right after the template's generation prompt; the
   template's own newline stays in the context.
2. The context is encoded exactly as generate() encodes a prompt (the tokenizer's BOS, or the chat template).
3. context + continuation are encoded together. Where the split is clean (the joint encoding starts with the
   context's tokens) the continuation's tokens are the rest of it: the tokens the model would itself see. Where a
   token straddles the boundary, the continuation is encoded on its own (no special tokens) and put after the
   context's tokens, so the scored tokens still spell exactly the continuation's text after exactly the context.
4. An empty context (no tokens, e.g. a tokenizer without BOS) is the BOS token, else EOS, as lm-eval does.

Rows are right-padded (real tokens keep positions 0..n-1; causal attention never looks at the pads after them) in
batches of similar length, longest first so that running out of memory happens on the first batch, not the last.
"""
from __future__ import annotations

import inspect
import time

import torch

from llm.devices import synchronize
from llm.interface import LogLikelihood, move_trailing_space


def encode_pair(backend, context: str, continuation: str) -> tuple[list[int], list[int]]:
    """(context tokens, continuation tokens) by the rule in the module docstring."""
    if not backend.chat:
        context, continuation = move_trailing_space(context, continuation)
    [text] = backend.render([context])
    ctx, whole = backend.tokenize([text, text + continuation])
    if whole[:len(ctx)] == ctx and len(whole) > len(ctx):
        cont = whole[len(ctx):]
    else:
        cont = backend.tokenizer(continuation, add_special_tokens=False)["input_ids"]
    if not cont:
        raise ValueError(f"continuation {continuation!r} encodes to no tokens; nothing to score")
    if not ctx:
        prefix = backend.tokenizer.bos_token_id
        ctx = [prefix if prefix is not None else backend.eos_ids[0]]
    return ctx, cont


def keeps_logits(model) -> bool:
    """Whether forward() can return logits for the last k positions only (transformers >= 4.50: logits_to_keep)."""
    return "logits_to_keep" in inspect.signature(model.forward).parameters


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
