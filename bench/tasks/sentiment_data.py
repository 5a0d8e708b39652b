"""Labelled review sentences: the vendored UCI data (bench/data/sentiment/, CC BY 4.0) and users' own files.

The vendored data is 1,000 amazon.com and 1,000 yelp.com sentences, 500 per label per site (Kotzias et al., KDD
2015; attribution in bench/data/sentiment/SOURCE.md). Exact duplicates (14 sentences) are kept once. The split is
fixed and belongs to the task version: within each (site, label) stratum the sentences are ordered by a hash of
their text, and the first 70 % are train, the next 10 % dev and the last 20 % test (SPLIT_SIZES below).
"""
from __future__ import annotations

import functools
import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .base import TaskInputError

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "sentiment"
SITES = {"amazon": "amazon_cells_labelled.txt", "yelp": "yelp_labelled.txt"}
LABELS = ("negative", "positive")  # label 0 and 1 of the files
LABEL_NAMES = {"0": "negative", "1": "positive", "negative": "negative", "positive": "positive",
               "neg": "negative", "pos": "positive"}
SHARES = (("train", 70), ("dev", 10), ("test", 20))  # percent of each stratum
SPLIT_NAMES = tuple(name for name, _ in SHARES)
# What the split holds (a test pins these): train 1,390, dev 199, test 397 sentences; 1,986 in all.
SPLIT_SIZES = {"train": 1390, "dev": 199, "test": 397}


@dataclass(frozen=True)
class Review:
    text: str
    label: str  # "negative" or "positive"
    site: str  # "amazon", "yelp", or the name of a user's file
    line: int  # 1-based line in its file


def read_labelled(path: str | Path, site: str | None = None) -> list[Review]:
    """`sentence<TAB>label` per line (label 0/1 or negative/positive); blank lines are skipped. Raises
    TaskInputError naming the file and line of the first bad line, or saying why the whole file is unusable (not a
    regular file, too large, a line too long: bench/tasks/datafile.py read_data)."""
    from .datafile import read_data  # a regular file, bounded, without a BOM (bench/tasks/datafile.py)

    path = Path(path)
    raw = read_data(path, "sentence<TAB>label lines")
    site = site or path.name
    out = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        out += _review(path, number, line.rstrip(b"\r"), site)
    if not out:
        raise TaskInputError(f"{path} holds no labelled sentences (expected sentence<TAB>label lines)")
    seen = Counter(r.label for r in out)
    if len(seen) < 2:
        only = next(iter(seen))
        raise TaskInputError(f"{path}: every one of its {len(out)} sentences is labelled {only}; accuracy on one "
                             "label says nothing about a classifier (add sentences of the other label)")
    return out


def _review(path: Path, number: int, line: bytes, site: str) -> list[Review]:
    where = f"{path}:{number}"
    if not line.strip():
        return []
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TaskInputError(f"{where}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    sentence, tab, label = text.rpartition("\t")
    if not tab:
        raise TaskInputError(f"{where}: no TAB between sentence and label (expected sentence<TAB>label)")
    if not sentence.strip():
        raise TaskInputError(f"{where}: the sentence before the TAB is empty")
    if "\t" in sentence:
        raise TaskInputError(f"{where}: more than one TAB (a sentence may not hold one; expected sentence<TAB>label)")
    name = LABEL_NAMES.get(label.strip().lower())
    if name is None:
        raise TaskInputError(f"{where}: label {label.strip()!r} is not 0, 1, negative or positive")
    return [Review(sentence.strip(), name, site, number)]


@functools.cache
def vendored() -> tuple[Review, ...]:
    """Every vendored sentence once (the first occurrence of a duplicate), amazon then yelp, in file order."""
    out, seen = [], set()
    for site, filename in SITES.items():
        for review in read_labelled(DATA_DIR / filename, site):
            if review.text not in seen:
                seen.add(review.text)
                out.append(review)
    return tuple(out)


def _rank(text: str, purpose: str = "split") -> bytes:
    return hashlib.sha256(f"isabench-sentiment-{purpose}:{text}".encode()).digest()


@functools.cache
def splits() -> dict[str, tuple[Review, ...]]:
    """The vendored data's train / dev / test."""
    return assign_splits(vendored())


def assign_splits(reviews) -> dict[str, tuple[Review, ...]]:
    """train / dev / test, stratified by site and label, decided by a hash of each sentence (not by file order)."""
    out: dict[str, list[Review]] = {name: [] for name in SPLIT_NAMES}
    strata: dict[tuple[str, str], list[Review]] = {}
    for review in reviews:
        strata.setdefault((review.site, review.label), []).append(review)
    for members in strata.values():
        members = sorted(members, key=lambda r: _rank(r.text))
        start = 0
        for k, (name, share) in enumerate(SHARES):
            stop = len(members) if k == len(SHARES) - 1 else start + round(len(members) * share / 100)
            out[name] += members[start:stop]
            start = stop
    # Listed in an order of their own: the hash that cut the strata puts each split's lowest values in the stratum
    # whose cut fell lowest, so its first 20 sentences would be nearly all one label. Any prefix is now a fair sample.
    return {name: tuple(sorted(rows, key=lambda r: _rank(r.text, "order"))) for name, rows in out.items()}


@functools.cache
def split_of_text() -> dict[str, tuple[str, Review]]:
    """sentence -> (split name, review), for looking up a sentence given by hand."""
    return {r.text: (name, r) for name, rows in splits().items() for r in rows}
