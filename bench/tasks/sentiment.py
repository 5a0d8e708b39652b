"""Sentiment of review sentences: the language task, where the ground truth is a person's label.

An instance is one sentence; the answer is `positive` or `negative`. The register machine is a contestant here: it
runs isa/programs/sentiment.s with one of two weight tables (`lexicon`: VADER's published word valences, written by
people; `counted`: log-odds counted on the train split), and is scored against the labels like the language model.

Difficulty is the sentence's length in words (the project's word rule, isa/words.py): 1 short (up to 8 words),
2 medium (9 to 16), 3 long (17 or more). Reports also break results down by site (amazon, yelp).
Split sizes (bench/tasks/sentiment_data.py): train 1,390, dev 199, test 397 sentences.
"""
from __future__ import annotations

import functools
import random
from pathlib import Path

from isa.words import words

from .base import Instance, IsaAnswer, IsaBatch, Score, Task, TaskInputError, first_line
from .replies import last_word_of
from .sentiment_data import LABELS, SPLIT_NAMES, read_labelled, split_of_text, splits

BUCKETS = ((1, 8), (2, 16), (3, 10**9))  # (difficulty, most words)


class Sentiment(Task):
    name, version, program = "sentiment", "1", "sentiment"
    axis = "length (1: <= 8 words, 2: 9-16, 3: >= 17)"
    difficulties = (1, 2, 3)
    example = "The food was awful and the waiter rude."
    ground_truth = "labels"
    labels = LABELS
    isa_variants = ("lexicon", "counted")
    default_model = "sentiment-lora"  # the LoRA adapter over MiniLM that `isabench finetune` made (llm/models.py)
    headline_facets = ("site",)
    isa_modules = ("isa.sentiment", "isa.sentiment_tables", "isa.corpus", "isa.words")

    def parse(self, text: str) -> str:
        if "\n" in text or "\t" in text:
            raise TaskInputError("sentiment: the sentence must be one line without tabs")
        if not text.strip():
            raise TaskInputError("sentiment: the sentence is empty")
        return text.strip()

    def difficulty_of(self, text: str) -> int:
        n = len(words(self.parse(text)))
        return next(d for d, most in BUCKETS if n <= most)

    def space_size(self, difficulty: int) -> int:
        return sum(self.difficulty_of(r.text) == difficulty for rows in splits().values() for r in rows)

    def canonical(self, text: str) -> str:
        return "review:" + " ".join(self.parse(text).split())

    def in_split(self, text: str, split: str, generated: bool = False) -> bool:
        if split not in SPLIT_NAMES:
            raise ValueError(f"split must be one of {SPLIT_NAMES}, got {split!r}")
        found = split_of_text().get(self.parse(text))
        return found is not None and found[0] == split

    def reference(self, text: str) -> str:
        found = split_of_text().get(self.parse(text))
        if found is None:
            raise TaskInputError("sentiment: this sentence is not in the labelled data, so there is no reference "
                                 "label for it (the ISA and LLM sides still answer it)")
        return found[1].label

    def instances(self, difficulty: int, n: int, seed: int = 0, split: str = "test") -> list[Instance]:
        """The split's sentences of this length, in the split's (hash) order; the data fixes them, not the seed."""
        self.check_difficulty(difficulty)
        if split not in SPLIT_NAMES:
            raise ValueError(f"split must be one of {SPLIT_NAMES}, got {split!r}")
        rows = [r for r in splits()[split] if self.difficulty_of(r.text) == difficulty][:n]
        return [Instance(self.name, difficulty, i, seed, r.text, r.label, (("site", r.site),))
                for i, r in enumerate(rows)]

    def training_overlap(self, instances: list[Instance]) -> int:
        """How many of these sentences are in the vendored train or dev split: what the shipped adapter and the
        counted table learnt from, and the rule constants were tuned on."""
        seen = split_of_text()
        return sum(seen.get(i.text, ("test",))[0] != "test" for i in instances)

    def instances_from_file(self, path: str | Path, seed: int = 0) -> list[Instance]:
        """Every line of a user's `sentence<TAB>label` file, one instance each; index = line number. A JSON lines
        file (`{"input": sentence, "answer": "positive"}`) is read by bench/tasks/datafile.py; its site is its name
        too."""
        from . import datafile

        if datafile.is_json_lines(datafile.read_data(path, 'sentence<TAB>label lines or {"input": ..., "answer": '
                                                           '...} lines')):
            return datafile.instances_from_file(self, path, seed, (("site", Path(path).name),))
        return [Instance(self.name, self.difficulty_of(r.text), r.line, seed, r.text, r.label, (("site", r.site),))
                for r in read_labelled(path)]

    def shots(self, inst: Instance, k: int, seed: int) -> list[tuple[str, str]]:
        if k <= 0:
            return []
        train = [r for r in splits()["train"] if r.text != inst.text]
        chosen = random.Random(f"{self.name}:shots:{seed}:{self.canonical(inst.text)}").sample(train, k)
        return [(r.text, r.label) for r in chosen]

    def answer_prefix(self, fmt: str) -> str:
        return " "  # "Sentiment: positive": the space belongs to the answer, as lm-evaluation-harness scores it

    def question(self, text: str, fmt: str) -> str:
        text = self.parse(text)
        if fmt == "gpt3":
            return f"Q: Is the sentiment of this review positive or negative?\n{text}\n\nA:"
        return f"Review: {text}\nSentiment:"

    def parse_reply(self, reply: str) -> str | None:
        head = first_line(reply).lower().strip(" .!")
        return head if head in LABELS else None

    flexible_rule = ("the strict answer where the first line is a label; else the last label word in the first "
                     "non-blank line ('The sentiment is positive.' -> positive)")

    def parse_reply_flexible(self, reply: str) -> str | None:
        strict = self.parse_reply(reply)
        return strict if strict is not None else last_word_of(reply, LABELS)

    def score(self, predicted: str | None, reference: str) -> Score:
        right = predicted == reference
        return Score(right, float(right))

    def max_new_tokens(self, text: str) -> int:
        return 3

    # --- the ISA side: sentiment.s with a weight table --------------------------------------------------------
    def isa_variant_id(self, variant: str) -> str:
        return f"{variant}@{table(variant).content_hash}"  # a new lexicon release or rule is a new contestant

    def solve_isa(self, text: str, tier: str = "jit", variant: str = "lexicon") -> IsaAnswer:
        from isa import sentiment

        done = sentiment.classify([self.parse(text)], table(variant), tier=tier)
        return IsaAnswer(LABELS[done.labels[0]], done.status, done.steps, done.tier)

    def solve_isa_batch(self, texts: list[str], tier: str = "jit", variant: str = "lexicon",
                        threads: int | None = None) -> IsaBatch:
        """The whole corpus in one run (the weight table laid once): its steps are the corpus's, not per sentence."""
        from isa import sentiment

        done = sentiment.classify([self.parse(t) for t in texts], table(variant), tier=tier)
        return IsaBatch([LABELS[label] for label in done.labels], [done.status] * len(texts), [-1] * len(texts),
                        done.machine_s, corpus_steps=done.steps, tier=done.tier)


@functools.cache
def table(variant: str):
    """The weight table of an ISA variant; `counted` is counted on the train split only."""
    from isa import sentiment

    if variant == "lexicon":
        return sentiment.lexicon_table()
    if variant == "counted":
        train = splits()["train"]
        return sentiment.counted_table([r.text for r in train], [LABELS.index(r.label) for r in train])
    raise ValueError(f"unknown sentiment weight table {variant!r}; known: lexicon, counted")
