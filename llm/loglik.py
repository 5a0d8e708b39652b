"""Score given continuations with a transformers causal LM: lm-evaluation-harness's `loglikelihood`, batched, each
context computed once.

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

Sharing: the requests whose contexts encode to the same tokens share one row of a forward pass, the context followed
by each distinct continuation's tokens but its last (the last predicts nothing scored). A continuation reads the
context and its own earlier tokens only (a 4-D attention mask, and position ids that restart after the context for
each), so its score is the one a row of its own gives. The context's last position predicts every continuation's
first token, so a single-token continuation adds nothing to the row (lm-eval's reuse for multiple choice, here for
continuations of any length). The tokens that start every row of the call (BOS, a chat template's system turn, a
task's fixed instruction) run once for the whole call, in a pass whose keys and values every row of every batch then
reads (a pass per batch re-read every weight for a few tokens: for "Review:" it cost what it saved). Where no row
holds two continuations, no attention mask is passed: rows are right-padded, so causal attention alone keeps every
real position off the pads, as lm-eval runs them (a padding mask made the attention kernel the masked one).

`processed_tokens` counts what a request added to the forward passes: the call's shared start on the call's first
request, the rest of a context on the first request that shares it, a continuation's tokens on the first request
that asks for it; their sum is every token the model ran through. An attention implementation that ignores a 4-D
mask (flash attention) gets one row per request and no shared start, as `share=False` does (today's pair-by-pair
scoring, kept for comparison).

Rows are right-padded (real tokens keep positions 0..n-1; causal attention never looks at the pads after them) in
batches of `batch_size` rows, sorted by length over the whole call, longest first so that running out of memory
happens on the first batch, not the last.
"""
from __future__ import annotations

import copy
import inspect
import time
from dataclasses import dataclass, field

import torch

from llm.devices import synchronize
from llm.kv_cache import cache_argument
from llm.interface import LogLikelihood, move_trailing_space

MASKABLE = ("sdpa", "eager")  # attention implementations that apply a given 4-D mask as it is
BATCH_COST = 32  # tokens a forward pass costs for running at all (reading every weight once): where to cut batches


@dataclass
class Row:
    """One row of a forward pass: a context and the distinct continuations scored after it."""
    context: list[int]
    asked: dict[tuple[int, ...], list[int]] = field(default_factory=dict)  # continuation -> the requests, in order

    @property
    def width(self) -> int:
        return len(self.context) + sum(len(cont) - 1 for cont in self.asked)

    @property
    def first(self) -> int:
        return min(requests[0] for requests in self.asked.values())


@dataclass
class Layout:
    """A batch of rows as tensors, and where each scored token is read."""
    input_ids: torch.Tensor  # (rows, width), right-padded
    segment: torch.Tensor    # 0: context; k: the k-th continuation with tokens in the row; -1: padding
    positions: torch.Tensor  # position ids: each continuation's restart right after its context
    row: list[int]           # per scored token: its row,
    column: list[int]        # the column whose logits predict it,
    target: list[int]        # the token,
    ask: list[int]           # and which entry of `asks` it belongs to
    asks: list[tuple[Row, tuple[int, ...], list[int]]]  # (row, continuation, requests) in scoring order
    shared: int              # columns at the start that hold the same tokens in every row: computed once


def encode_pairs(backend, contexts: list[str], continuations: list[str]) -> list[tuple[list[int], list[int]]]:
    """(context tokens, continuation tokens) per request by the rule in the module docstring, in one tokenizer call."""
    if not backend.chat:
        moved = [move_trailing_space(c, x) for c, x in zip(contexts, continuations)]
        contexts, continuations = [c for c, _ in moved], [x for _, x in moved]
    distinct = list(dict.fromkeys(contexts))
    rendered = dict(zip(distinct, backend.render(distinct)))
    encoded = backend.tokenize(list(rendered.values()) + [rendered[c] + x for c, x in zip(contexts, continuations)])
    context_ids = dict(zip(distinct, encoded))
    return [split_pair(backend, context_ids[context], whole, continuation)
            for context, continuation, whole in zip(contexts, continuations, encoded[len(distinct):])]


def split_pair(backend, ctx: list[int], whole: list[int], continuation: str) -> tuple[list[int], list[int]]:
    """Rules 3 and 4 of the module docstring: (context tokens, continuation tokens) from the context's encoding and
    the joint one."""
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


def encode_pair(backend, context: str, continuation: str) -> tuple[list[int], list[int]]:
    [pair] = encode_pairs(backend, [context], [continuation])
    return pair


def keeps_logits(model) -> bool:
    """Whether forward() can return logits for the last k positions only (transformers >= 4.50: logits_to_keep)."""
    return "logits_to_keep" in inspect.signature(model.forward).parameters


def can_share(model) -> bool:
    """Whether rows may hold several continuations: the model takes position ids and applies a 4-D mask."""
    takes_positions = "position_ids" in inspect.signature(model.forward).parameters
    return takes_positions and getattr(model.config, "_attn_implementation", None) in MASKABLE


def rows_of(pairs: list[tuple[list[int], list[int]]], share: bool) -> list[Row]:
    """The requests grouped by context tokens (or one row each without `share`), longest row first."""
    rows: dict[object, Row] = {}
    for i, (ctx, cont) in enumerate(pairs):
        row = rows.setdefault(tuple(ctx) if share else i, Row(ctx))
        row.asked.setdefault(tuple(cont), []).append(i)
    return sorted(rows.values(), key=lambda r: -r.width)  # stable: equal widths keep the requests' order


def score_pairs(backend, contexts: list[str], continuations: list[str], share: bool = True) -> list[LogLikelihood]:
    pairs = encode_pairs(backend, contexts, continuations)
    longest = max(len(c) + len(x) for c, x in pairs)
    if backend.max_positions and longest > backend.max_positions:
        raise ValueError(f"a context + continuation of {longest} tokens exceeds the model's "
                         f"{backend.max_positions} positions")
    share = share and can_share(backend.model)
    rows = rows_of(pairs, share)
    shared = common_start(rows) if share and len(rows) > 1 else 0
    start, spent = start_cache(backend, rows[0].context[:shared]) if shared else (None, (0.0, 0.0))
    owner = min(r.first for r in rows)  # the request whose processed_tokens count the shared start
    results: list[LogLikelihood | None] = [None] * len(pairs)
    for k, batch in enumerate(batches_of(rows, backend.batch_size, shared, head_share(backend.model))):
        # The start's pass is the first batch's: its seconds go into that batch's latency and model time.
        for i, scored in score_batch(backend, batch, shared, start, owner, spent if k == 0 else (0.0, 0.0)).items():
            results[i] = scored
    return results


def batches_of(rows: list[Row], size: int, shared: int = 0, head: float = 0.0,
               cost: int | None = None) -> list[list[Row]]:
    """The rows (longest first) cut into runs of at most `size` that cost least in all, in tokens' worth of work: a
    run's rows x its widest row (padding included), plus `head` (the output layer's share of a token's work,
    head_share) x its rows x the positions whose logits it keeps (from its shortest context's last token on), plus
    `cost` for running a pass at all. Fixed runs of `size` padded the short rows after a long one: a few percent of
    every token (dynamic programming, rows x size)."""
    cost = BATCH_COST if cost is None else cost
    best, cut = [0.0] + [float("inf")] * len(rows), [0] * (len(rows) + 1)
    for end in range(1, len(rows) + 1):
        shortest = len(rows[end - 1].context)
        for begin in range(end - 1, max(0, end - size) - 1, -1):
            shortest = min(shortest, len(rows[begin].context))
            n, widest = end - begin, rows[begin].width
            total = best[begin] + n * (widest - shared) + head * n * (widest - shortest + 1) + cost
            if total < best[end]:
                best[end], cut[end] = total, begin
    runs, end = [], len(rows)
    while end:
        runs.append(rows[cut[end]:end])
        end = cut[end]
    return runs[::-1]


def head_share(model) -> float:
    """The output layer's work for one position over the rest of the model's for one token (~ their weights): 0.27
    for SmolLM2-135M, whose 49,152 x 576 output layer is a fifth of its weights."""
    out = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    inp = model.get_input_embeddings() if hasattr(model, "get_input_embeddings") else None
    if not all(isinstance(getattr(m, "weight", None), torch.Tensor) for m in (out, inp)):
        return 0.0  # no output layer found, or a quantized one (its weight packed, not a parameter): no estimate
    total = sum(p.numel() for p in model.parameters())  # a tied output layer is counted once, as the input's
    body = total - inp.weight.numel() - (0 if out.weight is inp.weight else out.weight.numel())
    return out.weight.numel() / body if body > 0 else 0.0


def common_start(rows: list[Row]) -> int:
    """How many tokens start every row's context alike, up to the shortest context's last token (whose logits are
    read in the rows' pass)."""
    most = min(len(r.context) for r in rows) - 1
    first = rows[0].context
    for n in range(most):
        if any(r.context[n] != first[n] for r in rows):
            return n
    return max(most, 0)


def start_cache(backend, tokens: list[int]) -> tuple[object, tuple[float, float]]:
    """The keys and values of the call's shared start, from one pass over it, and (seconds, forward-pass seconds)
    that pass took."""
    model = backend.model
    keep = {"logits_to_keep": 1} if keeps_logits(model) else {}
    synchronize(backend.device)
    started = time.perf_counter()
    backend.forward_clock.lap()
    out = model(input_ids=torch.tensor([tokens], device=backend.device), use_cache=True, **keep)
    synchronize(backend.device)
    return getattr(out, cache_argument(model)), (time.perf_counter() - started, backend.forward_clock.lap())


def lay_out(rows: list[Row], pad_id: int, shared: int = 0) -> Layout:
    width = max(r.width for r in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    segment = torch.full((len(rows), width), -1, dtype=torch.long)
    positions = torch.zeros((len(rows), width), dtype=torch.long)
    lay = Layout(input_ids, segment, positions, [], [], [], [], [], shared)
    for j, row in enumerate(rows):
        n = len(row.context)
        tokens, segments, places, k = list(row.context), [0] * n, list(range(n)), 0
        for cont, requests in row.asked.items():
            fed = len(cont) - 1  # the model reads every token but the last; the logits at column p predict p + 1
            columns = [n - 1] + list(range(len(tokens), len(tokens) + fed))
            k += fed > 0
            segments += [k] * fed
            tokens += cont[:-1]
            places += range(n, n + fed)
            lay.row += [j] * len(cont)
            lay.column += columns
            lay.target += cont
            lay.ask += [len(lay.asks)] * len(cont)
            lay.asks.append((row, cont, requests))
        input_ids[j, :len(tokens)] = torch.tensor(tokens)
        segment[j, :len(tokens)] = torch.tensor(segments)
        positions[j, :len(tokens)] = torch.tensor(places)
    return lay


def attention(lay: Layout, model) -> dict:
    """The mask arguments of the rows' pass: none where no row holds two continuations' tokens (right padding and
    causal attention suffice), else a 4-D mask (a position reads the context and the earlier positions of its own
    segment; boolean for sdpa, additive for eager attention) and positions; the shared start's columns come from the
    cache, read by every position."""
    seg = lay.segment
    if not (seg > 1).any():
        return {}
    width = seg.shape[1]
    causal = torch.ones(width, width, dtype=torch.bool).tril()
    mask = (((seg[:, None, :] == 0) | (seg[:, None, :] == seg[:, :, None])) & causal)[:, None, lay.shared:]
    if model.config._attn_implementation != "sdpa":
        mask = torch.zeros(mask.shape, dtype=model.dtype).masked_fill_(~mask, torch.finfo(model.dtype).min)
    return {"attention_mask": mask, "position_ids": lay.positions[:, lay.shared:]}


def log_probs(backend, lay: Layout, start=None) -> torch.Tensor:
    """(scored tokens x vocabulary) log-probabilities where each scored token is predicted: one pass over the rows,
    after the shared start's keys and values (`start`, a cache of one row, copied to every row)."""
    model, device = backend.model, backend.device
    input_ids = lay.input_ids.to(device)
    extra = {k: v.to(device) for k, v in attention(lay, model).items()}
    keeps = keeps_logits(model)
    if lay.shared:
        cache = copy.deepcopy(start)  # the rows' pass appends its own keys and values to the cache it is given
        cache.batch_repeat_interleave(len(input_ids))
        extra[cache_argument(model)] = cache
    # Only the scored positions are needed: the logits of the rest would be (rows x width x vocab) floats.
    first = min(lay.column)
    if keeps:
        extra["logits_to_keep"] = input_ids.shape[1] - first
    logits = model(input_ids=input_ids[:, lay.shared:], use_cache=bool(lay.shared), **extra).logits
    column = torch.tensor(lay.column, device=device) - (first if keeps else lay.shared)
    return torch.log_softmax(logits[torch.tensor(lay.row, device=device), column].float(), dim=-1)


def score_batch(backend, rows: list[Row], shared: int = 0, start=None, owner: int = -1,
                before: tuple[float, float] = (0.0, 0.0)) -> dict[int, LogLikelihood]:
    """Each request's score, keyed by its index in the call; `shared` tokens start every row, their keys and values
    in `start`, counted on request `owner`; `before`: (seconds, forward-pass seconds) spent for this batch ahead of
    it (the shared start's pass, for the first batch)."""
    synchronize(backend.device)
    started = time.perf_counter()
    backend.forward_clock.lap()
    lay = lay_out(rows, backend.pad_id, shared)
    logprobs = log_probs(backend, lay, start)
    target = torch.tensor(lay.target, device=logprobs.device)
    # Summed per request on the CPU, in float64 (which MPS lacks).
    token_logprobs = logprobs.gather(1, target[:, None])[:, 0].cpu().double()
    token_missed = (logprobs.argmax(dim=-1) != target).cpu().double()
    ask = torch.tensor(lay.ask)
    totals = torch.zeros(len(lay.asks), dtype=torch.float64).index_add_(0, ask, token_logprobs).tolist()
    misses = torch.zeros(len(lay.asks), dtype=torch.float64).index_add_(0, ask, token_missed).tolist()
    synchronize(backend.device)
    latency = time.perf_counter() - started + before[0]
    model_s = backend.forward_clock.lap() + before[1]
    size = sum(len(requests) for _, _, requests in lay.asks)  # requests in this batch
    firsts = {id(row): row.first for row in rows}
    scored = {}
    for (row, cont, requests), total, missed in zip(lay.asks, totals, misses):
        for i in requests:
            processed = (lay.shared if i == owner else 0) + \
                        (len(row.context) - lay.shared if i == firsts[id(row)] else 0) + \
                        (len(cont) - 1 if i == requests[0] else 0)
            scored[i] = LogLikelihood(total, missed == 0, len(row.context), len(cont), latency, size, model_s,
                                      processed)
    return scored
