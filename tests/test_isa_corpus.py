"""What the corpus programs (sentiment.s, svamp.s) share, in isa/corpus.py: the texts' checks and layout, word codes,
and the hash image with its longest probe. `worst_absent_word` is the budget tests' worst case for both programs."""
from __future__ import annotations

import numpy as np
import pytest

from isa import corpus as C

LIMITS = C.Limits("demo", "read", "read_one", "note", max_count=3, max_bytes=10, max_each=6)


def worst_absent_word(table) -> str:
    """A three-letter word not in `table` whose home slot starts its longest run of used slots: every lookup of it
    reads max_probe slots."""
    codes = table.image[:: table.image.size // table.slots]
    start = next(i for i in range(table.slots) if codes[i] and not codes[i - 1]
                 and all(codes[(i + k) % table.slots] for k in range(table.max_probe - 1)))
    letters = "abcdefghijklmnopqrstuvwxyz"
    return next(w for w in (a + b + c for a in letters for b in letters for c in letters)
                if C.home(C.code(w), table.slots) == start and C.code(w) not in table.by_code)


@pytest.mark.parametrize("texts, message", [
    ("abc", "demo: read takes a list of notes; for one, use read_one"),
    (5, "demo: texts must be a list of str, got int"),
    (["a", "b", "c", "d"], "demo: 4 notes in one run; the limit is 3"),
    (["a", b"b"], r"demo: texts\[1\] must be a str, got bytes"),
    (["a", "\u00e9" * 4], r"demo: texts\[1\] has 8 bytes of UTF-8; the limit per note is 6"),
    (["abcdef", "ghijk"], "demo: the texts have 11 bytes of UTF-8 in all; the limit per run is 10"),
])
def test_texts_past_the_limits_are_refused(texts, message):
    with pytest.raises(KeyError, match=message):
        C.encode(texts, LIMITS, KeyError)


def test_texts_are_laid_after_the_table_and_the_records():
    encoded, lengths = C.encode(iter(["ab", "", "\u00e9"]), LIMITS, ValueError)
    assert encoded == [b"ab", b"", b"\xc3\xa9"] and lengths.tolist() == [2, 0, 2]
    data, image = np.array([7, 8]), np.array([1, 2, 3, 4])
    mem, records, end = C.lay(data, image, 3, encoded, lengths, spare=5)
    assert (records, end, len(mem)) == (6, 15 + 7, 27)
    assert mem[:6].tolist() == [7, 8, 1, 2, 3, 4]
    assert mem[6:15].reshape(3, 3).tolist() == [[15, 2, 0], [18, 0, 0], [19, 2, 0]]
    assert mem[15:].tolist() == [97, 98, 0, 0, 0xC3, 0xA9, 0, 0, 0, 0, 0, 0]


def test_codes_and_the_hash_image():
    assert C.code("a") == 1 and C.code("ba") == 2 * 27 + 1 and C.code("z" * 13) > 0 > C.code("z" * 14)
    rows = {C.code(w): (i + 1, -i) for i, w in enumerate(["how", "each", "left", "total", "sum"])}
    slots, image, max_probe = C.hash_image(rows, 4)
    assert slots == 16 and image.shape == (64,) and not image.flags.writeable
    table = image.reshape(slots, 4)
    for c, row in rows.items():
        at = C.home(c, slots)
        while table[at, 0] != c:  # found by probing from its home slot
            at = (at + 1) % slots
        assert table[at, 1:3].tolist() == list(row) and table[at, 3] == 0
    assert (table[:, 0] != 0).sum() == len(rows) and 1 <= max_probe <= len(rows) + 1
    a, b = "fafiababdaebaeab", "abaaaaaaagaabada"  # 16 letters each, codes equal once wrapped (the documented alias)
    assert C.by_code("x", {"ab": 1, a: 2}, LookupError) == {C.code("ab"): 1, C.code(a): 2}
    with pytest.raises(LookupError, match=f"table 'x': words '{a}' and '{b}' share the code {C.code(a)}"):
        C.by_code("x", {a: 1, b: 2}, LookupError)


def test_max_probe_counts_the_longest_run_and_wraps():
    codes = np.array([5, 0, 0, 7, 7, 7, 0, 9])  # runs: 3 in the middle, 2 wrapping (slots 7 and 0)
    assert C._max_probe(codes) == 4
    assert C._max_probe(np.array([0, 1, 0, 0])) == 2 and C._max_probe(np.array([1, 0, 0, 1])) == 3
