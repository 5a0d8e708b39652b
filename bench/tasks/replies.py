"""Reading an answer out of a model's reply, two ways, as lm-evaluation-harness's GSM8K does with two named filters.

- `strict-match` (`Task.parse_reply`, the headline `exact`): the reply's first line must be the answer in its form
  ("27", "the 2 cat 1", "positive"); anything else is unparsed.
- `flexible-extract` (`Task.parse_reply_flexible`, `exact_flexible`): the strict answer where there is one, else an
  answer found inside the first non-blank line ("12 + 15 = 27" -> 27); each task's `flexible_rule` says how.

Both read one line: a reply is cut at the stop string (a newline unless --gen-kwargs until= says otherwise), and an
answer found further on would be the model's next question, not its answer. This module holds the pieces the tasks'
rules share.
"""
from __future__ import annotations

import re

from isa.numtext import to_decimal

STRICT, FLEXIBLE = "strict-match", "flexible-extract"  # lm-evaluation-harness's filter names (GSM8K)
# A number as people write it: thousands grouped by commas ("1,200") or not, a fraction after a point ("27.5").
WRITTEN_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?")
WORD_COUNT = re.compile(r"([A-Za-z]+)[^A-Za-z0-9\n]*?(\d+)")  # "the: 2", "cat = 1", "saw 1"


def first_nonblank_line(reply: str) -> str:
    return next((line.strip() for line in reply.split("\n") if line.strip()), "")


def canonical_number(written: str) -> str:
    """A written number as an answer: commas dropped, an integer's decimal ("1,200" -> "1200", "33.0" -> "33",
    "-0" -> "0"); a number with a fraction is kept as written (it is never an integer answer)."""
    whole, _, fraction = written.replace(",", "").partition(".")
    return to_decimal(int(whole)) if not fraction.strip("0") else f"{int(whole)}.{fraction}"


def numbers_in(line: str) -> list[str]:
    """Every number written in the line, in order, each as `canonical_number` gives it."""
    return [canonical_number(m.group()) for m in WRITTEN_NUMBER.finditer(line)]


def last_number(reply: str) -> str | None:
    """The last number of the reply's first non-blank line ("12 + 15 = 27" -> "27"), or None."""
    found = numbers_in(first_nonblank_line(reply))
    return found[-1] if found else None


def word_counts_in(reply: str) -> list[tuple[str, int]]:
    """Every word followed by a count in the first non-blank line, in order ("the: 2, cat: 1"), words lower-cased."""
    return [(w.lower(), int(c)) for w, c in WORD_COUNT.findall(first_nonblank_line(reply))]


def last_word_of(reply: str, words: tuple[str, ...]) -> str | None:
    """The last of `words` standing as a word of its own in the first non-blank line, any case, or None."""
    found = [w for w in re.findall(r"[a-z]+", first_nonblank_line(reply).lower()) if w in words]
    return found[-1] if found else None
