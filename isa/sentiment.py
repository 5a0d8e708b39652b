"""Sentiment on the register machine: isa/programs/sentiment.s with a word -> weight table, one run for a corpus.

    table = sentiment_tables.lexicon_table()
    classify(["Not bad at all.", "Awful."], table).labels   -> [1, 0], one machine run for both sentences
    classify_one("Not bad at all.", table)                 -> (score, label, steps): the corpus of one
    twin("Not bad at all.", table)                         -> (score, label), the same rules in plain Python

The rules (the program's header states the same; `twin` runs them):
1. Words: the joined word rule (isa/words.py `joined_words`): apostrophes are dropped, then a word is a maximal run
   of ASCII letters, lower-cased ("Don't" -> "dont").
2. Each word's weight is its table weight (0 if the table does not list it).
3. Negation: after a negator word, the next `table.scope` words have their weights' signs flipped (a later negator
   starts the count again; the negator's own weight is flipped only by an earlier negator).
4. Contrast: after a contrast word ("but"), every weight counts `table.contrast_factor` times.
5. score = the sum; label = 1 (positive) if score > 0, 0 (negative) if score < 0, `table.tie` if score == 0.
The tables and how their constants were chosen (on the train and dev splits only; test was looked at once, for the
final figure) are in isa/sentiment_tables.py.

Why one run per corpus: the lexicon table (7,246 words in 16,384 slots: 65,536 memory words) takes longer to copy
into one row of a batch (9.7 us of CPU) than the machine spends on a sentence (595 instructions, 1.7 us of CPU;
tests/benchmarks/test_bench_sentiment.py). So the table is laid once, then `count` records (first byte, length,
score, label) and the sentences' bytes, and the program fills in every record. Limits: MAX_BYTES of text (UTF-8) and MAX_SENTENCES sentences per run; past them, or for input that
is not a list of str, SentimentInputError. A run that does not halt raises SentimentTrapError (a bug: within the
limits the step budget is above the worst case).
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from isa import corpus
from isa.asm import assemble_file
from isa.machine import Status
from isa.program import Program
from isa.sentiment_tables import (CONTRAST, NEGATOR, TableError, WeightTable, code, counted_table,
                                  lexicon_table)
from isa.words import joined_words

__all__ = ["classify", "classify_one", "twin", "CorpusRun", "WeightTable", "lexicon_table", "counted_table",
           "SentimentInputError", "SentimentTrapError", "TableError", "MAX_BYTES", "MAX_SENTENCES"]

PROGRAM = Path(__file__).parent / "programs" / "sentiment.s"
RECORD = 4  # words per sentence record: first byte, length, score, label
MAX_BYTES = 2_000_000  # of UTF-8 text per run: a word of memory each
MAX_SENTENCES = 100_000
LIMITS = corpus.Limits("sentiment", "classify", "classify_one", "sentence", MAX_SENTENCES, MAX_BYTES)


class SentimentInputError(ValueError):
    """Texts or a table the program does not take; the message says which and why."""


class SentimentTrapError(RuntimeError):
    """The program stopped without HALT: a bug, since inputs within the limits never trap."""


@dataclass
class CorpusRun:
    labels: list[int]  # per sentence: 1 positive, 0 negative
    scores: list[int]  # per sentence: the sum of weights the label is read from
    status: str  # "HALTED" (anything else raises)
    steps: int  # instructions of the whole corpus run, HALT included
    lay_s: float  # wall seconds: texts and table -> the initial memory
    machine_s: float  # wall seconds inside the machine's engine call only (not laying or copying memory)
    decode_s: float  # wall seconds: final memory -> labels and scores
    tier: str = ""  # the tier that ran ("auto" resolved by the corpus's step budget)


@functools.cache
def program() -> Program:
    return assemble_file(PROGRAM, name="sentiment")


def twin(text: str, table: WeightTable) -> tuple[int, int]:
    """(score, label) by the rules above, in plain Python; equal to the machine's answer for every text."""
    score, left, factor = 0, 0, 1
    for word in joined_words(text):
        weight, kind = table.by_code.get(code(word), (0, None))
        score += (-weight if left > 0 else weight) * factor
        if kind == NEGATOR:
            left = table.scope
            continue
        if kind == CONTRAST:
            factor = table.contrast_factor
        if left > 0:
            left -= 1
    return score, 1 if score > 0 else 0 if score < 0 else table.tie


def lay(texts, table: WeightTable) -> tuple[np.ndarray, int, int]:
    """(initial memory, address of the first record, step budget); checks the inputs and the limits."""
    if not isinstance(table, WeightTable):
        raise SentimentInputError(f"sentiment: the table must be a WeightTable (see lexicon_table, counted_table), "
                                  f"got {type(table).__name__}")
    encoded, lengths = corpus.encode(texts, LIMITS, SentimentInputError)
    p = program()
    at = p.symbols["input"]
    mem, records, _ = corpus.lay(p.data[:at], table.image, RECORD, encoded, lengths)
    for symbol, value in (("scope", table.scope), ("factor", table.contrast_factor), ("tie", table.tie),
                          ("slots", table.slots), ("count", len(encoded))):
        mem[p.symbols[symbol]] = value
    return mem, records, budget(lengths, table)


def budget(lengths: np.ndarray, table: WeightTable) -> int:
    """Steps well above the worst case: 8 a byte, 50 plus 6 a probe for each of at most (n + 1) // 2 words of an
    n-byte sentence, 30 a sentence, 300 to start (tests/test_sentiment_isa.py runs worst cases against it)."""
    words = int(((lengths + 1) // 2).sum())
    return int(8 * lengths.sum()) + (50 + 6 * table.max_probe) * words + 30 * len(lengths) + 300


def classify(texts, table: WeightTable, *, tier: str = "jit") -> CorpusRun:
    """Every sentence of `texts` in one machine run on `tier` (any of isa.tiers, or "auto")."""
    t0 = time.perf_counter()
    mem, records, fuel = lay(texts, table)
    t1 = time.perf_counter()
    out, result = corpus.execute(program(), mem, records, RECORD, fuel, tier, LIMITS, SentimentInputError,
                                 SentimentTrapError)
    t2 = time.perf_counter()
    scores, labels = out[:, 2].tolist(), out[:, 3].tolist()
    t3 = time.perf_counter()
    return CorpusRun(labels, scores, Status(int(result.status[0])).name, int(result.steps[0]), t1 - t0,
                     result.machine_s, t3 - t2, result.tier)


def classify_one(text: str, table: WeightTable, *, tier: str = "jit") -> tuple[int, int, int]:
    """(score, label, steps) of one sentence: the corpus of one, so `steps` is this sentence's whole run."""
    if not isinstance(text, str):
        raise SentimentInputError(f"sentiment: the text must be a str, got {type(text).__name__}")
    done = classify([text], table, tier=tier)
    return done.scores[0], done.labels[0], done.steps
