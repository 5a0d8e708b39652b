"""Native (Numba-compiled) versions of the library programs' algorithms, and the inputs the benchmarks feed them.

The interpreter-vs-native benchmark divides a program's run time on the register machine by the time of the SAME
algorithm compiled to machine code: schoolbook columns then one carry pass for square and mul (square.s, mul.s),
the digit-by-digit carry loop for add (add.s), and for word frequency the same letter codes, the same Fibonacci
hash into the same power-of-two open-addressing table, the same insertion-ordered entry list (wordfreq.s). What
remains in the ratio is the cost of interpreting instructions rather than the choice of algorithm.
"""
from __future__ import annotations

import numpy as np
from numba import njit

# lower[c] = the letter number (a = 1 .. z = 26) of byte c, 0 for every other byte: wordfreq.s's table.
LOWER = np.zeros(256, np.int64)
LOWER[ord("A") : ord("Z") + 1] = LOWER[ord("a") : ord("z") + 1] = np.arange(1, 27)
EXACT_LETTERS = 13  # codes of words up to this long are exact: 27**13 < 2**63
LONG = np.uint64(1 << 63)
FIB = np.uint64(0x9E3779B97F4A7C15)


# --- digit arrays, least significant first (the programs' layout) ----------------------------------------------------
@njit(cache=True)
def _carry_and_trim(res: np.ndarray) -> np.ndarray:
    carry = 0
    for k in range(len(res)):
        t = res[k] + carry
        carry, res[k] = t // 10, t % 10
    n = len(res)
    while n > 1 and res[n - 1] == 0:
        n -= 1
    return res[:n]


@njit(cache=True)
def mul_digits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a * b: every digit product into its column, then one carry pass (mul.s)."""
    res = np.zeros(len(a) + len(b), np.int64)
    for i in range(len(a)):
        ai = a[i]
        for j in range(len(b)):
            res[i + j] += ai * b[j]
    return _carry_and_trim(res)


@njit(cache=True)
def square_digits(x: np.ndarray) -> np.ndarray:
    """x * x, the same schoolbook loop with both operands x (square.s)."""
    return mul_digits(x, x)


@njit(cache=True)
def add_digits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b with a carry of 0 or 1, a missing digit read as 0 (add.s)."""
    m = max(len(a), len(b))
    res = np.zeros(m + 1, np.int64)
    carry = 0
    for k in range(m):
        t = carry + (a[k] if k < len(a) else 0) + (b[k] if k < len(b) else 0)
        carry = 1 if t >= 10 else 0
        res[k] = t - 10 * carry
    res[m] = carry
    return _carry_and_trim(res)


# --- word frequency --------------------------------------------------------------------------------------------------
def wordfreq_space(n_bytes: int) -> tuple[np.ndarray, np.ndarray]:
    """The zeroed work arrays wordfreq_count fills for a text of n_bytes: the hash table (a power of two at least
    twice the most words such a text holds: entry index + 1, 0 = empty) and the entry rows. wordfreq.s finds the
    same table and entries zeroed in its laid memory, so a benchmark makes these before the clock as well."""
    m = (n_bytes + 1) // 2  # no text holds more words
    cap = 2
    while cap < 2 * m:
        cap *= 2
    return np.zeros(cap, np.int64), np.zeros((max(m, 1), 4), np.int64)


@njit(cache=True)
def wordfreq_count(text: np.ndarray, table: np.ndarray, entries: np.ndarray) -> int:
    """Fill `entries` ((k, 4) int64 rows in order of first appearance: start offset, length, count, code, as
    wordfreq.s's entries) using `table`, both zeroed and sized by wordfreq_space; return k."""
    n = len(text)
    cap, shift = len(table), 64
    while (1 << (64 - shift)) < cap:
        shift -= 1
    count = 0
    i = 0
    while i < n:
        c = LOWER[text[i]]
        if c == 0:
            i += 1
            continue
        start, code = i, np.uint64(0)
        while c:
            code = code * np.uint64(27) + np.uint64(c)
            i += 1
            c = LOWER[text[i]] if i < n else 0
        length = i - start
        if length > EXACT_LETTERS:
            code |= LONG
        slot = np.int64((code * FIB) >> np.uint64(shift))
        while True:
            e = table[slot] - 1
            if e < 0:
                entries[count, 0], entries[count, 1], entries[count, 2] = start, length, 1
                entries[count, 3] = np.int64(code)
                count += 1
                table[slot] = count
                break
            if np.uint64(entries[e, 3]) == code:
                same = length <= EXACT_LETTERS
                if not same and entries[e, 1] == length:
                    same = True
                    for k in range(length):
                        if LOWER[text[entries[e, 0] + k]] != LOWER[text[start + k]]:
                            same = False
                            break
                if same:
                    entries[e, 2] += 1
                    break
            slot = slot + 1 if slot + 1 < cap else 0
    return count


def wordfreq_entries(text: np.ndarray) -> np.ndarray:
    """(k, 4) int64 rows in order of first appearance: start offset, length, count, code (wordfreq.s's entries)."""
    table, entries = wordfreq_space(len(text))
    return entries[: wordfreq_count(text, table, entries)]


def wordfreq(text) -> list[tuple[str, int]]:
    """The native run as the binding's value: [(word, count)] in order of first appearance."""
    data = text.encode("utf-8", errors="surrogatepass") if isinstance(text, str) else bytes(text)
    arr = np.frombuffer(data, np.uint8)
    return [(data[s : s + n].decode("ascii").lower(), int(c)) for s, n, c, _ in wordfreq_entries(arr).tolist()]


# --- inputs for the benchmarks ---------------------------------------------------------------------------------------
def make_digits(n: int, seed: int = 0) -> np.ndarray:
    """n random digits, least significant first, the top one non-zero (an n-digit number)."""
    if n < 1:
        raise ValueError(f"make_digits: n must be >= 1, got {n}")
    d = np.random.default_rng(seed).integers(0, 10, n, dtype=np.int64)
    d[-1] = max(d[-1], 1) if n > 1 else d[-1]
    return d


def make_number(n: int, seed: int = 0) -> int:
    """An n-digit random int (for the bindings, which take ints)."""
    from isa.library import from_digits

    return from_digits(make_digits(n, seed))


def make_text(n_bytes: int, seed: int = 0) -> str:
    """English-like text of exactly n_bytes UTF-8 bytes: Zipf-distributed words from a 5000-word vocabulary (lengths
    1-15, a few longer than 13 letters), capitals after full stops, commas, line breaks, digits, some accented words."""
    if n_bytes < 0:
        raise ValueError(f"make_text: n_bytes must be >= 0, got {n_bytes}")
    rng = np.random.default_rng(seed)
    letters = np.array(list("etaoinshrdlcumwfgypbvkjxqz"))
    freq = 1.0 / np.arange(1, 27) ** 0.9
    lengths = np.clip(rng.geometric(0.2, 5000), 1, 15)
    vocab = ["".join(rng.choice(letters, k, p=freq / freq.sum())) for k in lengths]
    for rank_at, word in zip((7, 31, 97, 211), ("café", "naïve", "1999", "internationalization")):
        vocab[rank_at] = word
    rank = 1.0 / np.arange(1, len(vocab) + 1)
    parts, size = [], 0
    capital = True
    while size <= n_bytes:
        picks = rng.choice(len(vocab), 4096, p=rank / rank.sum())
        seps = rng.choice([" ", " ", " ", " ", " ", " ", ", ", ". ", "\n", "; "], 4096)
        for w, s in zip(picks, seps):
            word = vocab[w].capitalize() if capital else vocab[w]
            capital = s == ". "
            parts.append(word + s)
            size += len(parts[-1].encode())
    data = "".join(parts).encode()[:n_bytes]
    text = data.decode("utf-8", errors="ignore")  # a character cut in two at the end is dropped ...
    return text + " " * (n_bytes - len(text.encode()))  # ... and made up with spaces
