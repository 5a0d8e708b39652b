"""Word frequency: every word with its count, in order of first appearance (word rule: isa/words.py)."""
from __future__ import annotations

import random
import re
from collections import Counter

from isa.words import word_counts, words

from .base import Score, Task, TaskInputError, first_line
from .replies import word_counts_in

# Short, common words: a small model can copy them and the generator can repeat them often enough to count.
VOCABULARY = (
    "the cat dog saw a big red sun sky sea map pen cup box hat bed run sat ran hot one two"
).split()
PAIR = re.compile(r"([a-z]+) (\d+)")


def format_counts(counts) -> str:
    return " ".join(f"{w} {c}" for w, c in counts)


class WordFreq(Task):
    name, version, axis, program = "wordfreq", "2", "words", "wordfreq"
    difficulties = (2, 4, 6, 8)
    example = "the cat saw the cat"
    # isabench train's weights: short counts are the model card's target; a word count is ~5x longer than a sum,
    # so it costs more than its weight.
    training_mix = {2: 1.5, 4: 3.0, 6: 2.0, 8: 1.5}

    def parse(self, text: str) -> str:
        if "\n" in text:
            raise TaskInputError("wordfreq: the text must be one line (the prompt ends at a newline)")
        return text

    def generate(self, rng: random.Random, difficulty: int) -> str:
        # Few distinct words so that counts above 1 are common.
        distinct = rng.sample(VOCABULARY, rng.randint(max(1, difficulty // 4), min(difficulty, 4)))
        return " ".join(rng.choice(distinct) for _ in range(difficulty))

    def space_size(self, difficulty: int) -> int:
        return len(VOCABULARY) ** difficulty

    def canonical(self, text: str) -> str:
        return "count:" + " ".join(words(self.parse(text)))  # the answer depends on the words alone

    def difficulty_of(self, text: str) -> int:
        return max(1, len(words(self.parse(text))))

    def reference(self, text: str) -> str:
        return format_counts(word_counts(self.parse(text)))

    def question(self, text: str, fmt: str) -> str:
        text = self.parse(text)
        if fmt == "gpt3":
            return (f'Q: Count the words in "{text}". Give each word once, in order of first appearance, '
                    "followed by how many times it occurs.\n\nA:")
        return f"count words: {text} ="

    def parse_reply(self, reply: str) -> str | None:
        """`word count word count ...` on the first line, or None; the empty reply is the empty answer."""
        tokens = first_line(reply).split()
        pairs = list(zip(tokens[::2], tokens[1::2]))
        if len(tokens) % 2 or not all(PAIR.fullmatch(f"{w} {c}") for w, c in pairs):
            return None
        return format_counts((w, int(c)) for w, c in pairs)

    flexible_rule = ("the strict answer where the first line is one; else every word followed by a count in the first "
                     "non-blank line, in order ('the: 2, cat: 1.' -> 'the 2 cat 1')")

    def parse_reply_flexible(self, reply: str) -> str | None:
        strict = self.parse_reply(reply)
        if strict is not None:
            return strict
        pairs = word_counts_in(reply)
        return format_counts(pairs) if pairs else None

    def score(self, predicted: str | None, reference: str) -> Score:
        if predicted is None:
            return Score(False, 0.0)
        pred, ref = Counter(PAIR.findall(predicted)), Counter(PAIR.findall(reference))
        if not pred and not ref:
            return Score(predicted == reference, 1.0)
        hits = sum((pred & ref).values())
        f1 = 2 * hits / (sum(pred.values()) + sum(ref.values()))
        return Score(predicted == reference, f1)

    def max_new_tokens(self, text: str) -> int:
        return len(text) + 4 * len(text.split()) + 4

    def isa_input(self, value: str) -> str:
        return value

    def isa_inputs(self, texts: list[str]) -> list:
        """The texts themselves: the program reads bytes, and one look at the joined texts checks every one."""
        if "\n" in "".join(texts):
            return super().isa_inputs(texts)  # the one that is not one line is named
        return texts

    def format_isa(self, value) -> str:
        return format_counts(value)
