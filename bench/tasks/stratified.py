"""A fixed split of a vendored data set into parts, stratified, decided by a hash of each item's text (not by its
place in the file), so that the split is the same on every machine and for any order of the items.

Within each stratum the items are ordered by sha256("<salt>-split:<text>"); the first share % go to the first part,
the next share % to the next, the last part takes the rest. Each part is then listed in an order of its own,
sha256("<salt>-order:<text>"): the hash that cut the strata puts each part's lowest values in the stratum whose cut
fell lowest, so in that order a part's first items would be nearly all one stratum; in its own order any prefix is a
fair sample. bench/tasks/sentiment_data.py's split is this one with salt "isabench-sentiment" (a test checks it).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

T = TypeVar("T")


def rank(salt: str, text: str, purpose: str = "split") -> bytes:
    return hashlib.sha256(f"{salt}-{purpose}:{text}".encode()).digest()


def stratified_split(items: Iterable[T], *, stratum: Callable[[T], Hashable], text: Callable[[T], str],
                     shares: tuple[tuple[str, int], ...], salt: str) -> dict[str, tuple[T, ...]]:
    """{part name: its items} for `shares` ((name, percent), ...), each stratum cut by the hash of the items' text."""
    out: dict[str, list[T]] = {name: [] for name, _ in shares}
    strata: dict[Hashable, list[T]] = {}
    for item in items:
        strata.setdefault(stratum(item), []).append(item)
    for members in strata.values():
        members = sorted(members, key=lambda item: rank(salt, text(item)))
        start = 0
        for k, (name, share) in enumerate(shares):
            stop = len(members) if k == len(shares) - 1 else start + round(len(members) * share / 100)
            out[name] += members[start:stop]
            start = stop
    return {name: tuple(sorted(rows, key=lambda item: rank(salt, text(item), "order"))) for name, rows in out.items()}
