"""Stop strings: end a batch's generation early once every row has produced one, and cut the text there.

Why not transformers' `stop_strings`: it needs the tokenizer at every call and builds a token-overlap table per
generate() call; for the stops isabench uses (a newline) a set of token ids that *contain* a stop decides it on the
device, without decoding anything (see the measurement in the commit message and bench tests).
"""
from __future__ import annotations

import torch
from transformers import StoppingCriteria


def token_ids_containing(tokenizer, stops: list[str]) -> list[int]:
    """Every vocabulary id whose own decoded text contains one of the stops (e.g. '\\n', '.\\n', '\\n\\n')."""
    ids = list(range(len(tokenizer)))
    texts = tokenizer.batch_decode([[i] for i in ids], skip_special_tokens=True)
    return [i for i, text in zip(ids, texts) if any(s in text for s in stops)]


def needs_decoding(stops: list[str]) -> bool:
    """A one-character ASCII stop always lies inside one token; longer stops may span tokens and need text."""
    return any(len(s) != 1 or not s.isascii() for s in stops)


class StopOnStrings(StoppingCriteria):
    """Per row: has the newly generated text produced any stop string yet?"""

    def __init__(self, tokenizer, stops: list[str], stop_token_ids: torch.Tensor, prompt_len: int):
        self.tokenizer = tokenizer
        self.stops = stops
        self.stop_token_ids = stop_token_ids
        self.prompt_len = prompt_len
        self.decode = needs_decoding(stops)
        # A stop completed by the latest token starts at most len(stop) tokens back; the margin covers tokens that
        # decode to nothing on their own (byte pieces).
        self.window = max((len(s) for s in stops), default=1) + 3

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        done = torch.isin(input_ids[:, -1], self.stop_token_ids)
        if self.decode:
            tail = input_ids[:, max(self.prompt_len, input_ids.shape[1] - self.window):]
            texts = self.tokenizer.batch_decode(tail.tolist(), skip_special_tokens=True)
            hits = [any(s in t for s in self.stops) for t in texts]
            done = done | torch.tensor(hits, dtype=torch.bool, device=done.device)
        return done


def first_stop(text: str, stops: list[str]) -> int:
    """Index of the earliest stop string in text, or -1."""
    found = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return min(found) if found else -1


def tokens_through_stop(tokenizer, ids: list[int], stops: list[str]) -> int:
    """Fewest leading tokens whose decoded text already contains a stop (binary search: prefixes only grow)."""
    lo, hi = 1, len(ids)
    while lo < hi:
        mid = (lo + hi) // 2
        if first_stop(tokenizer.decode(ids[:mid], skip_special_tokens=True), stops) >= 0:
            hi = mid
        else:
            lo = mid + 1
    return lo
