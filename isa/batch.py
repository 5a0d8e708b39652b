"""`solve_batch`: a library program over many inputs, with the machine's own time measured apart from the glue.

    out = solve_batch("square", [12, 345, 6789])
    out.values, out.steps, out.lay_s, out.machine_s, out.decode_s

The glue is done for the whole batch at once where the program allows: digits of every input come from one
`"".join(map(str, ...))` and are scattered into one (B, M) memory with array indexing; answers are gathered the same
way and parsed by one `bytes.split` and `map(int, ...)`, so no Python loop runs per input. The arithmetic programs
(square, add, sub, mul), square_mul and expr take this path; wordfreq (whose answer is a list of words per input) and
inputs the fast path cannot vouch for (wrong types, past a limit, numbers past Python's 4300-digit str() limit) take
the per-input bindings of isa/library.py, with the same answers and the same error messages.
"""
from __future__ import annotations

import functools
import itertools
import time
from dataclasses import dataclass, field

import numpy as np

from isa import library as L
from isa.machine import resolve_threads, run_laid
from isa.spec import Status

STR_DIGITS = 4000  # below Python's 4300-digit int <-> str limit: longer numbers take the per-input path
ZERO = ord("0")


@dataclass
class BatchSolve:
    values: list  # per input: the answer, as solve() would give it
    status: list[str]  # per input: the Status name ("HALTED" for every batch that returns)
    steps: np.ndarray  # per input: instructions executed (int64)
    lay_s: float  # wall seconds: inputs -> laid memories and the step budget
    machine_s: float  # wall seconds inside the native call only
    decode_s: float  # wall seconds: final memories -> values
    compile_s: float  # set-up: compiling or loading the native code in this call (0.0 when already loaded)
    tier: str
    threads: int  # threads the rows ran on
    fuel: int  # the step budget every row ran with
    vectorised: bool  # True when lay and decode took the whole-batch path
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def glue_s(self) -> float:
        return self.lay_s + self.decode_s

    @property
    def total_s(self) -> float:
        return self.lay_s + self.machine_s + self.decode_s


def solve_batch(name: str, inputs, *, tier: str = "jit", threads: int | None = None,
                fuel: int | None = None) -> BatchSolve:
    """Every input in one batched run on `tier` ("jit", "compiled", or "auto": compiled); `threads` as in
    isa.machine.run_batch (default 1). Raises LibraryInputError naming the input, ProgramTrapError if a run traps."""
    tier = "compiled" if tier == "auto" else tier
    threads = resolve_threads(threads)
    inputs = list(inputs)
    program = L.load(name)
    if not inputs:
        return BatchSolve([], [], np.zeros(0, np.int64), 0.0, 0.0, 0.0, 0.0, tier, threads, 0, True)
    t0 = time.perf_counter()
    lay = _LAYS.get(name)
    laid = lay(name, program, inputs) if lay is not None else None
    mem, sizes, budget, vectorised = laid if laid is not None else _lay_each(name, program, inputs)
    budget = budget if fuel is None else int(fuel)
    t1 = time.perf_counter()
    result = run_laid(program, mem, sizes, fuel=budget, tier=tier, threads=threads)
    t2 = time.perf_counter()
    bad = np.flatnonzero(result.status != int(Status.HALTED))
    if len(bad):
        i = int(bad[0])
        raise L.ProgramTrapError(f"{name}: inputs[{i}]: the run stopped with {result.row(i).trap_message} after "
                                 f"{int(result.steps[i])} steps on input {L._show(inputs[i])}")
    read = _READS.get(name) if vectorised else None
    values = read(program, inputs, result) if read is not None else _read_each(name, inputs, result)
    t3 = time.perf_counter()
    return BatchSolve(values, ["HALTED"] * len(inputs), result.steps, t1 - t0, result.machine_s, t3 - t2,
                      result.compile_s, tier, result.threads, budget, vectorised, {"call_s": t2 - t1})


# ---- the per-input path (any program, any input) ------------------------------------------------------------------
def _lay_each(name: str, program, inputs):
    binding = L.BINDINGS[name]
    memories = [L._at_index(i, binding.lay, program, x) for i, x in enumerate(inputs)]
    sizes = np.fromiter(map(len, memories), np.int64, len(memories))
    mem = np.zeros((len(memories), int(sizes.max())), np.int64)
    for i, m in enumerate(memories):
        mem[i, : len(m)] = m
    return mem, sizes, max(binding.fuel(program, m) for m in memories), False


def _read_each(name: str, inputs, result) -> list:
    return [L._at_index(i, L.decode, name, x, result.row(i)) for i, x in enumerate(inputs)]


# ---- whole-batch lay-outs -------------------------------------------------------------------------------------------
@functools.cache
def _ten_to(k: int) -> int:
    return 10**k


POW10 = 10 ** np.arange(0, 19, dtype=np.int64)  # 1 .. 10**18: digits and digit counts of int64 values


def _natural(values) -> np.ndarray | bool:
    """Whether `values` are plain non-negative ints (not bool, not numpy), checked in C: map/set, then numpy. Returns
    them as an int64 array when they all lie below 10**18 (the fast digit path), True when some are larger, and
    False when one is not a non-negative int (the per-input path then names it)."""
    if not set(map(type, values)) <= {int}:
        return False
    try:
        small = np.array(values, np.int64)
    except OverflowError:
        return min(values) >= 0
    if small.min() < 0:
        return False
    return small if small.max() < POW10[-1] else True


def _digits(values, max_digits: int, small: np.ndarray | None = None):
    """(B, W) digit words, least significant first, zero past each value's length; the lengths. `values` passed
    _natural; `small` is them as an int64 array when they all fit below 10**18. None when some value is past the
    limit (the per-input path then names it)."""
    if small is None and max(values) >= _ten_to(min(max_digits, STR_DIGITS)):
        return None
    if small is not None:  # int64 arithmetic over the whole batch
        v = small
        lengths = np.searchsorted(POW10[1:], v, side="right") + 1
        width = int(lengths.max())
        return (v[:, None] // POW10[:width]) % 10, lengths
    texts = list(map(str, values))  # most significant first; numpy pads the short ones with NUL bytes
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    width = int(lengths.max())
    chars = np.array(texts, dtype=f"S{width}").view(np.uint8).reshape(len(texts), width).astype(np.int64)
    at = lengths[:, None] - 1 - np.arange(width)  # column of digit j in row i's text
    digits = np.take_along_axis(chars, np.maximum(at, 0), axis=1) - ZERO
    return np.where(at >= 0, digits, 0), lengths


def _place(mem: np.ndarray, column, block: np.ndarray) -> None:
    """Row i's block from mem[i, column[i]] on (column a scalar or per row); the block fits every row."""
    if np.isscalar(column):
        mem[:, column : column + block.shape[1]] = block
        return
    flat = (np.arange(len(mem)) * mem.shape[1] + column)[:, None] + np.arange(block.shape[1])
    mem.reshape(-1)[flat] = block


def _header(program, rows: int, width: int) -> np.ndarray:
    at = program.symbols.get("input", len(program.data))
    mem = np.zeros((rows, max(width, at)), np.int64)
    mem[:, :at] = program.data[:at]
    return mem


def _lay_square(name: str, program, inputs):
    small = _natural(inputs)
    if small is False:
        return None
    got = _digits(inputs, L.SQUARE_MAX_DIGITS, small if isinstance(small, np.ndarray) else None)
    if got is None:
        return None
    digits, n = got
    at = program.symbols["input"]
    sizes = at + 3 * n
    mem = _header(program, len(n), max(int(sizes.max()), at + digits.shape[1]))
    mem[:, program.symbols["n"]] = n
    _place(mem, at, digits)  # zeros past a row's digits fall in its workspace or its padding: both zero anyway
    top = int(n.max())
    return mem, sizes, 12 * top * top + 60 * top + 100, True


_EXTRA_WORDS = {"add": lambda na, nb: np.maximum(na, nb) + 1, "sub": np.maximum, "mul": np.add}
_PAIR_BUDGET = {"add": lambda a, b: 25 * np.maximum(a, b) + 100, "sub": lambda a, b: 50 * np.maximum(a, b) + 100,
                "mul": lambda a, b: 12 * a * b + 40 * (a + b) + 100}
_PAIR_LIMIT = {"add": L.ADD_MAX_DIGITS, "sub": L.ADD_MAX_DIGITS, "mul": L.MUL_MAX_DIGITS}


def _lay_pair(name: str, program, inputs):
    if not set(map(type, inputs)) <= {tuple, list} or set(map(len, inputs)) != {2}:
        return None
    flat = list(itertools.chain.from_iterable(inputs))
    small = _natural(flat)
    if small is False:
        return None
    a_vals, b_vals = flat[0::2], flat[1::2]
    small_a, small_b = (small[0::2], small[1::2]) if isinstance(small, np.ndarray) else (None, None)
    got_a, got_b = _digits(a_vals, _PAIR_LIMIT[name], small_a), _digits(b_vals, _PAIR_LIMIT[name], small_b)
    if got_a is None or got_b is None:
        return None
    (da, na), (db, nb) = got_a, got_b
    at = program.symbols["input"]
    sizes = at + na + nb + _EXTRA_WORDS[name](na, nb)
    mem = _header(program, len(na), max(int(sizes.max()), at + da.shape[1] + db.shape[1]))
    mem[:, program.symbols["na"]] = na
    mem[:, program.symbols["nb"]] = nb
    _place(mem, at, da)
    _place(mem, at + na, db)  # b's zeros past its digits land in the result area: zero until the run
    budget = int(_PAIR_BUDGET[name](na, nb).max())  # the binding's budget, row by row, then the largest
    return mem, sizes, budget, True


def _lay_square_mul(name: str, program, inputs):
    if not set(map(type, inputs)) <= {int} or max(map(abs, inputs)) > L.SQUARE_MUL_MAX:
        return None
    mem = _header(program, len(inputs), len(program.data))
    mem[:, program.symbols["x"]] = inputs
    return mem, np.full(len(inputs), mem.shape[1], np.int64), 100, True


def _lay_expr(name: str, program, inputs):
    if not set(map(type, inputs)) <= {str}:
        return None
    n = np.fromiter(map(len, inputs), np.int64, len(inputs))
    if int(n.max()) > L.EXPR_MAX_CHARS:
        return None
    codes = np.frombuffer("".join(inputs).encode("utf-32-le", errors="surrogatepass"), np.uint32).astype(np.int64)
    at = program.symbols["input"]
    sizes = at + 4 * n
    mem = _header(program, len(n), int(sizes.max()))
    mem[:, program.symbols["len"]] = n
    rows = np.repeat(np.arange(len(n)), n)
    starts = np.cumsum(n) - n
    mem[rows, at + np.arange(len(codes)) - np.repeat(starts, n)] = codes
    return mem, sizes, 60 * int(n.max()) + 100, True


_LAYS = {"square": _lay_square, "add": _lay_pair, "sub": _lay_pair, "mul": _lay_pair,
         "square_mul": _lay_square_mul, "expr": _lay_expr}


# ---- whole-batch decoding ------------------------------------------------------------------------------------------
def _read_numbers(program, inputs, result, negative=None) -> list[int] | None:
    """Every row's out_len digits at out_at (least significant first) as ints, negated where `negative`. Up to 18
    digits the values are summed in int64 and handed over by one tolist(); longer ones go through one fixed-width
    text, one bytes.split and map(int). None when the memory holds no well-formed answer (the per-input path then
    reports it)."""
    mem = result.mem
    starts, lengths = mem[:, program.symbols["out_at"]], mem[:, program.symbols["out_len"]]
    if lengths.min() < 1 or lengths.max() > STR_DIGITS or starts.min() < 0 or (starts + lengths).max() > mem.shape[1]:
        return None
    width = int(lengths.max())
    inside = np.arange(width) < lengths[:, None]
    digits = np.take_along_axis(mem, np.where(inside, starts[:, None] + np.arange(width), starts[:, None]), axis=1)
    if digits.min() < 0 or digits.max() > 9:
        return None
    digits = np.where(inside, digits, 0)
    neg = None if negative is None else negative != 0
    if width <= 18:
        values = digits @ POW10[:width]
        return (np.where(neg, -values, values) if neg is not None else values).tolist()
    text = np.full((len(mem), width + 1), ord(" "), np.uint8)  # right-aligned digits, a space between rows
    text[:, :width] = np.where(inside, digits + ZERO, ord(" "))[:, ::-1]
    values = list(map(int, text.tobytes().split()))
    return [-v if n else v for v, n in zip(values, neg.tolist())] if neg is not None and neg.any() else values


def _or_each(name: str):
    def read(program, inputs, result):
        values = _read_numbers(program, inputs, result,
                               result.mem[:, program.symbols["neg"]] if name == "sub" else None)
        return values if values is not None else _read_each(name, inputs, result)

    return read


def _read_expr(program, inputs, result) -> list[int]:
    if result.mem[:, program.symbols["error"]].any():  # the first malformed text raises, with its index
        return _read_each("expr", inputs, result)
    return result.mem[:, program.symbols["value"]].tolist()


_READS = {"square": _or_each("square"), "add": _or_each("add"), "sub": _or_each("sub"), "mul": _or_each("mul"),
          "square_mul": lambda p, i, r: r.mem[:, p.symbols["out"]].tolist(), "expr": _read_expr}
