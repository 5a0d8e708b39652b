"""Score a continuation on an OpenAI-compatible server from its prompt log-probabilities (lm-eval's local-completions).

The request: POST /v1/completions {prompt: context + continuation, echo: true, logprobs: 1, max_tokens: 1,
temperature: 0}. A server that supports it (vLLM; OpenAI's legacy models did) echoes the prompt's tokens with
`logprobs: {tokens, token_logprobs, top_logprobs}`, one entry per token, the first None. max_tokens is 1, as in
lm-eval, not 0: `transformers serve` answers max_tokens 0 with HTTP 500 (retried, then an unclear error), while with
1 it answers a plain completion, which is then reported as "cannot score"; vLLM answers both.

Which tokens are the continuation's, with no tokenizer on this side: the token texts are laid end to end and the
prompt found in them (a leading BOS text such as "<s>" may come first); the continuation's tokens are those whose
text reaches past the context's end, so a token across the boundary counts as the continuation's (the local
backend encodes such a continuation on its own instead). The generated token after the prompt is left out. The
context's trailing whitespace moves to the continuation first, as locally.
A continuation token is greedy when no top-1 alternative is likelier than it.
"""
from __future__ import annotations

import json

from llm.interface import UnsupportedRequest, move_trailing_space

REFUSING_STATUS = {400, 404, 405, 422, 501}  # "no such endpoint / field": the server cannot do this at all


def score_request(backend, context: str, continuation: str) -> tuple[float, bool, int, int]:
    """(log-probability, is_greedy, context tokens, continuation tokens) for one pair, from backend.request."""
    context, continuation = move_trailing_space(context, continuation)
    prompt = context + continuation
    payload = {"model": backend.model, "prompt": prompt, "max_tokens": 1, "echo": True, "logprobs": 1,
               "temperature": 0}
    url = backend.root + "/completions"
    try:
        reply = backend.request(url, payload)
    except OSError as err:
        if getattr(err, "status", None) in REFUSING_STATUS:
            raise UnsupportedRequest(f"the server at {backend.root} cannot score continuations: it refused a "
                                     f"/v1/completions request with echo and logprobs ({err})") from None
        raise
    return prompt_scores(reply, prompt, len(context), backend.root)


def unsupported(root: str, why: str, reply: dict) -> UnsupportedRequest:
    return UnsupportedRequest(f"the server at {root} cannot score continuations: {why} (it needs to echo the prompt's "
                              f"log-probabilities, as vLLM does for echo=true, logprobs=1); it sent "
                              f"{json.dumps(reply)[:300]}")


def prompt_scores(reply: dict, prompt: str, boundary: int, root: str) -> tuple[float, bool, int, int]:
    try:
        logprobs = reply["choices"][0]["logprobs"]
        tokens, token_logprobs = logprobs["tokens"], logprobs["token_logprobs"]
    except (KeyError, IndexError, TypeError):
        raise unsupported(root, "its reply has no choices[0].logprobs with tokens and token_logprobs", reply) \
            from None
    tops = logprobs.get("top_logprobs")
    if not tokens or len(tokens) != len(token_logprobs) or not all(isinstance(t, str) for t in tokens):
        raise unsupported(root, "its logprobs list no tokens of the prompt", reply)
    text = "".join(tokens)
    start = text.find(prompt)
    if start < 0:
        raise unsupported(root, "the tokens it lists do not spell the prompt (no echo?)", reply)
    ends, at = [], 0
    for token in tokens:
        at += len(token)
        ends.append(at)
    begins = [e - len(t) for e, t in zip(ends, tokens)]
    context_end, prompt_end = start + boundary, start + len(prompt)
    picked = [i for i, (b, e) in enumerate(zip(begins, ends)) if e > context_end and b < prompt_end]
    values = [token_logprobs[i] for i in picked]
    if not picked or any(not isinstance(v, (int, float)) for v in values):
        raise unsupported(root, "it gives no log-probability for a token of the continuation", reply)
    if not isinstance(tops, list) or len(tops) != len(tokens) or any(not isinstance(tops[i], dict) or not tops[i]
                                                                    for i in picked):
        raise unsupported(root, "its logprobs have no top_logprobs, so greedy cannot be told", reply)
    greedy = all(token_logprobs[i] >= max(tops[i].values()) - 1e-6 for i in picked)
    return float(sum(values)), greedy, picked[0], len(picked)
