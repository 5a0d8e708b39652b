"""The word rule, defined once for the wordfreq program, its binding, the task and the LLM prompts.

A word is a maximal run of ASCII letters (A-Z, a-z), lower-cased. Every other character separates words: digits,
punctuation, whitespace and every non-ASCII character (so "café" holds the word "caf"). Text with no letters, the
empty text included, has no words. The register machine sees the UTF-8 bytes of the text; since every byte of a
multi-byte UTF-8 character is >= 128, the rule reads the same on bytes and on characters.
"""
from __future__ import annotations

import re
from collections import Counter

WORD = re.compile(r"[A-Za-z]+")


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def word_counts(text: str) -> list[tuple[str, int]]:
    """Every word once with its count, in order of first appearance."""
    return list(Counter(words(text)).items())  # Counter keeps insertion order


def joined_words(text: str) -> list[str]:
    """The sentiment variant of the word rule: every ASCII apostrophe (') is deleted first, then the word rule above
    applies. A contraction stays one word ("Don't" -> "dont", which VADER's negation list knows) and quotes vanish
    ("'great'" -> "great"); an apostrophe never splits a word nor starts one. Only the ASCII apostrophe is dropped:
    a typographic one (U+2019) is non-ASCII, so it separates words as before."""
    return words(text.replace("'", ""))
