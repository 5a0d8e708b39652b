"""Many texts and one word table in a program's memory, for the programs that read a whole corpus in one run
(sentiment.s, svamp.s): the texts' checks and layout, and the table as an open-addressing hash image.

Layout (both programs): [data section up to `input` | table image | `count` records of `width` words | the texts].
A record starts [address of the text's first byte, its length in bytes]; the program writes the rest. A text's bytes
are one per word (0..255), followed by a spare word where the program writes its end mark.

Word codes and the hash (both programs compute the same): code = code * 27 + letter (a = 1 .. z = 26) in int64,
wrapping; a word of more than 13 letters gets the top bit set, so its code never equals a short word's. The home slot
is the top log2(slots) bits of code * 0x9E3779B97F4A7C15 (mod 2**64); linear probing, wrapping at the table's end.
A table has a power of two of slots, at least twice its entries, so every probe ends at a free slot (code 0: a word
has a letter, so its code is never 0).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np

from isa.machine import BatchResult, Status, run_laid
from isa.program import Program
from isa.spec import INT64_MIN, wrap64

EXACT_LETTERS = 13  # 27**13 < 2**63: codes of words up to 13 letters are exact
FIB = 0x9E3779B97F4A7C15  # 2**64 / golden ratio: the home slot is the top bits of code * FIB
MASK64 = (1 << 64) - 1


def code(word: str) -> int:
    """A word's code as the programs compute it: fold letters a=1..z=26 as code * 27 + letter in int64 (wrapping);
    a word of more than 13 letters gets the top bit set, so its (wrapped) code never equals a short word's."""
    c = 0
    for ch in word:
        c = wrap64(c * 27 + ord(ch) - ord("a") + 1)
    return c | INT64_MIN if len(word) > EXACT_LETTERS else c


def home(word_code: int, slots: int) -> int:
    """The home slot: the top log2(slots) bits of code * FIB (mod 2**64)."""
    return ((word_code & MASK64) * FIB & MASK64) >> (64 - (slots.bit_length() - 1))


def hash_image(rows: dict[int, tuple[int, ...]], width: int) -> tuple[int, np.ndarray, int]:
    """(slots, image, max_probe) of a table {code: the words after the code in its slot}: `width` words a slot, the
    image read-only; max_probe is the most slots one lookup reads."""
    slots = max(2, 1 << (2 * len(rows) - 1).bit_length())
    image = np.zeros((slots, width), np.int64)
    for c, row in rows.items():
        at = home(c, slots)
        while image[at, 0]:  # linear probing; 0 marks a free slot
            at = (at + 1) % slots
        image[at, : 1 + len(row)] = c, *row
    image = image.reshape(-1)
    image.flags.writeable = False
    return slots, image, _max_probe(image[::width])


@dataclass(frozen=True)
class HashedTable:
    """What a word table derives when it is made (sentiment's WeightTable, svamp's KeywordTable extend it; their
    __post_init__ validates, then calls `lay`). A subclass defines its own __hash__ (content_hash's)."""

    content_hash: str = field(init=False, compare=False)  # 12 hex digits of what the table says, but its name
    slots: int = field(init=False, compare=False, repr=False)  # hash slots, a power of two >= 2 * entries
    image: np.ndarray = field(init=False, compare=False, repr=False)  # width * slots words, read-only
    max_probe: int = field(init=False, compare=False, repr=False)  # the most slots one lookup can read
    by_code: dict = field(init=False, compare=False, repr=False)  # code -> the entry the twin reads

    def lay(self, by_code: dict, rows: dict[int, tuple[int, ...]], width: int, identity) -> None:
        """Set the fields above: `rows` ({code: the words after the code in its slot}) laid `width` words a slot,
        and the content hash of `identity` (JSON)."""
        slots, image, max_probe = hash_image(rows, width)
        digest = hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:12]
        for name, value in (("content_hash", digest), ("slots", slots), ("image", image), ("max_probe", max_probe),
                            ("by_code", by_code)):
            object.__setattr__(self, name, value)

    def __len__(self) -> int:
        return len(self.by_code)


def by_code(table_name: str, entries: dict[str, object], error: type[Exception]) -> dict[int, object]:
    """{code: entry} of {word: entry}; two words that share a code raise `error` naming both."""
    out: dict[int, object] = {}
    owner: dict[int, str] = {}
    for word, entry in entries.items():
        c = code(word)
        if c in owner:
            raise error(f"table {table_name!r}: words {owner[c]!r} and {word!r} share the code {c}")
        owner[c], out[c] = word, entry
    return out


def _max_probe(codes: np.ndarray) -> int:
    """The most slots a lookup reads: from a home slot up to and including the first free one (wrapping)."""
    used = (codes != 0).tolist()
    n, best, run = len(used), 0, 0
    start = used.index(False)  # a table is at most half full
    for k in range(n, 0, -1):  # walk backwards from the free slot: run = occupied slots ahead of this one
        run = run + 1 if used[(start + k) % n] else 0
        best = max(best, run)
    return best + 1


@dataclass(frozen=True)
class Limits:
    """What one run takes, and the words its errors use."""

    name: str  # "sentiment": the errors' prefix
    call: str  # "classify": the function that takes a list
    single: str  # "classify_one": the function for one text
    unit: str  # "sentence"
    max_count: int  # texts per run
    max_bytes: int  # UTF-8 bytes per run, in all
    max_each: int | None = None  # UTF-8 bytes per text


def encode(texts, limits: Limits, error: type[Exception]) -> tuple[list[bytes], np.ndarray]:
    """(each text's UTF-8 bytes, their lengths); raises `error` saying which text or limit is wrong."""
    name, unit = limits.name, limits.unit
    if isinstance(texts, (str, bytes)):
        raise error(f"{name}: {limits.call} takes a list of {unit}s; for one, use {limits.single}")
    try:
        texts = list(texts)
    except TypeError:
        raise error(f"{name}: texts must be a list of str, got {type(texts).__name__}") from None
    if len(texts) > limits.max_count:
        raise error(f"{name}: {len(texts)} {unit}s in one run; the limit is {limits.max_count}")
    encoded = []
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise error(f"{name}: texts[{i}] must be a str, got {type(text).__name__}")
        encoded.append(text.encode("utf-8", errors="surrogatepass"))  # a lone surrogate is laid as its bytes
        if limits.max_each is not None and len(encoded[-1]) > limits.max_each:
            raise error(f"{name}: texts[{i}] has {len(encoded[-1])} bytes of UTF-8; the limit per {unit} is "
                        f"{limits.max_each}")
    lengths = np.array([len(b) for b in encoded], np.int64)
    if lengths.sum() > limits.max_bytes:
        raise error(f"{name}: the texts have {int(lengths.sum())} bytes of UTF-8 in all; the limit per run is "
                    f"{limits.max_bytes} (split the corpus)")
    return encoded, lengths


def lay(data: np.ndarray, image: np.ndarray, width: int, encoded: list[bytes], lengths: np.ndarray,
        spare: int = 0) -> tuple[np.ndarray, int, int]:
    """(memory, address of the first record, address after the texts): `data` (the program's data section up to its
    input), the table image, the records (first byte and length filled in), the texts, then `spare` zero words."""
    records = len(data) + image.size
    text_at = records + width * len(encoded)
    end = text_at + int(lengths.sum()) + len(encoded)
    mem = np.zeros(end + spare, np.int64)
    mem[: len(data)] = data
    mem[len(data) : records] = image
    rec = mem[records:text_at].reshape(-1, width)
    rec[:, 0] = text_at + np.cumsum(lengths + 1) - (lengths + 1)
    rec[:, 1] = lengths
    if encoded:  # each text's bytes, then the spare word where the program writes the end mark
        mem[text_at:end] = np.frombuffer(b"\0".join(encoded) + b"\0", np.uint8)
    return mem, records, end


def execute(program: Program, mem: np.ndarray, records: int, width: int, fuel: int, tier: str, limits: Limits,
            input_error: type[Exception], trap_error: type[Exception]) -> tuple[np.ndarray, BatchResult]:
    """Run a laid corpus of `count` texts on `tier`, in place on `mem` (no copy: the table is large): (the records as
    a (count, width) array, the run as a batch of one row, whose machine_s is the engine's call alone). An unknown
    tier raises `input_error`; a run that does not halt, `trap_error` (within the limits, a bug)."""
    n = int(mem[program.symbols["count"]])
    try:
        result = run_laid(program, mem.reshape(1, -1), np.array([len(mem)], np.int64), fuel=fuel, tier=tier)
    except ValueError as e:  # an unknown tier, said by the machine
        raise input_error(f"{limits.name}: {e}") from None
    if result.status[0] != Status.HALTED:
        stopped = result.row(0)
        stopped.line = program.line_of(stopped.pc)
        raise trap_error(f"{limits.name}: the run stopped with {stopped.trap_message} after {stopped.steps} steps "
                         f"(of {fuel}) on {n} {limits.unit}s")
    return result.mem[0, records : records + width * n].reshape(n, width), result
