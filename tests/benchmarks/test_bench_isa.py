"""Register-machine speed, engine by engine (`pytest --benchmark tests/benchmarks/test_bench_isa.py`).

Four workloads: two tight arithmetic loops, the schoolbook square of a 1000-digit number (isa/programs/square.s) and
word frequency over 200 KB of text (isa/programs/wordfreq.s), each on five engines, and each (workload, engine) its
own benchmark entry, `test_bench_engine[<workload>-<engine>]`, whose pytest-benchmark statistics time that engine's
call alone, wall clock, its inputs made afresh in pedantic's untimed `setup`:
- ref: the pure-Python reference interpreter (isa/ref.py) on a fuel-limited prefix of at most REF_STEPS instructions
  (a whole run would take minutes), priced per instruction of that prefix;
- jit: the Numba interpreter; compiled: the program through LLVM (isa/compiled.py); both, like ref, one call of
  isa.machine.run_laid on a fresh copy of the laid memory;
- wasmtime: the same algorithm in WebAssembly text on wasmtime with fuel metering (isa/wasm_baselines.py), its
  linear memory written in the setup;
- native: the same algorithm as a Numba @njit function (isa/baselines.py), its zeroed work arrays made in the setup,
  as the machine's memory is laid before its clock (square allocates its result inside, as square.s clears its own).
The unit is ns per ISA instruction executed, so engines compare on equal work. Ratios between engines come from
ROUNDS interleaved rounds (tests/benchmarks/rounds.py): every engine runs once a round, in alternating order, each
ratio is taken within its round, and its median, quartiles and extremes over the rounds go into every entry's
extra_info and into results/benchmarks/isa_summary.md (the table `isabench report` prints from the JSON). Every
engine's answer is checked equal to the jit's (the ref's prefix against the jit on the same fuel), and the jit's to
Python's. Plain `pytest` runs the same checks once on CI-sized inputs, untimed. Nothing here asserts a speed.
Compiling is not timed here: every engine's code is built before its clock.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pytest

from bench.from_benchmark import TIER_KIND, tier_table
from bench.stats import quartiles
from isa import baselines, library, wasm_baselines
from isa.asm import assemble
from isa.machine import RunResult, Status, run_laid
from isa.program import Program

from tests.benchmarks.rounds import Contender, interleave, load_1min, per_round_ratio, write_summary

ROUNDS = 15  # interleaved rounds for the ratios, and pytest-benchmark rounds per engine
REF_STEPS = 300_000  # the reference prices an instruction on a prefix this long (about a quarter of a second)
ENGINES = ("ref", "jit", "compiled", "wasmtime", "native")
FULL = {"loop": 5_000_000, "square": 1000, "wordfreq": 200_000}  # iterations, digits, bytes
CI = {"loop": 20_000, "square": 40, "wordfreq": 4_000}  # plain `pytest`: the same checks in milliseconds

# Two tight loops whose every iteration depends on the previous one and on inputs read from memory, so that LLVM
# cannot skip or vectorise the native baselines. The sum loop is the usual interpreter figure (adds, xor, branch);
# the LCG loop puts a multiply on the dependence chain, which costs the interpreter more than the native code.
SUM_LOOP = """
        ld   r1, [r0 + 0]       ; n iterations
        li   r2, 0
        li   r3, 1
loop:   add  r2, r2, r1
        xor  r3, r3, r2
        addi r1, r1, -1
        bnei r1, 0, loop
        st   r3, [r0 + 2]
        halt
"""
LCG_LOOP = """
        ld   r1, [r0 + 0]       ; n iterations
        ld   r2, [r0 + 1]       ; seed
        li   r4, 0
loop:   muli r3, r2, 6364136223846793005
        addi r2, r3, 1442695040888963407
        xor  r4, r4, r2
        addi r1, r1, -1
        bnei r1, 0, loop
        st   r4, [r0 + 2]
        halt
"""
SEED = 12345


@baselines.njit(cache=True)
def native_sum_loop(n: int) -> int:
    s, acc = 0, 1
    for i in range(n, 0, -1):
        s += i
        acc ^= s
    return acc


@baselines.njit(cache=True)
def native_lcg_loop(n: int, seed: int) -> int:
    x, acc = np.uint64(seed), np.uint64(0)
    for _ in range(n):
        x = x * np.uint64(6364136223846793005) + np.uint64(1442695040888963407)
        acc ^= x
    return np.int64(acc)


@dataclass(frozen=True)
class Engine(Contender):
    """An engine on a workload: `call(*setup())` timed; `answer(output)`, untimed, is what it computed."""

    answer: Callable[[object], object] = lambda out: out
    steps: int = 0  # ISA instructions one call stands for (the ref: its prefix)


@dataclass
class Workload:
    name: str
    steps: int  # ISA instructions of the whole run
    engines: dict[str, Engine]
    expected: dict[str, object]  # engine -> the answer it must give
    note: dict = field(default_factory=dict)  # engine -> what else its entry must say


class _LazyWasm:
    """One wasmtime instance for the module (compiled once), created on first use."""

    def __getattr__(self, name):
        if name.startswith("_"):  # pytest's collection probes module globals for its own attributes
            raise AttributeError(name)
        global WASM
        WASM = wasm_baselines.load()
        return getattr(WASM, name)


WASM = _LazyWasm()


def state(out) -> tuple:
    """Everything a run leaves (row 0): status, pc, steps, registers, memory."""
    return (int(out.status[0]), int(out.pc[0]), int(out.steps[0]), out.regs[0].tobytes(), out.mem[0].tobytes())


def machine(program: Program, memory: np.ndarray, read: Callable[[np.ndarray], object], wasm: Engine,
            native: Engine, truth: object, name: str) -> Workload:
    """The three tiers on a fresh copy of `memory` each call, beside the two baselines; `read(final memory)` is the
    answer, which must equal `truth` (Python's, where it is quick; None: the jit's) on every engine but the ref, whose
    prefix is compared whole (status, pc, steps, registers, memory) with the jit's on the same fuel."""
    sizes = np.array([memory.size], np.int64)

    def on(tier: str, fuel: int, answer) -> Engine:
        return Engine(lambda mem: run_laid(program, mem, sizes, fuel=fuel, tier=tier),
                      lambda: (memory.reshape(1, -1).copy(),), answer)

    full = run_laid(program, memory.reshape(1, -1).copy(), sizes, tier="jit")
    assert full.ok.all(), full.row(0).trap_message
    steps = int(full.steps[0])
    truth = read(full.mem[0]) if truth is None else truth
    prefix = min(REF_STEPS, steps)
    halted = lambda out: read(out.mem[0]) if out.ok.all() else Status(int(out.status[0])).name  # noqa: E731
    engines = {"ref": on("ref", prefix, state), "jit": on("jit", 10**12, halted),
               "compiled": on("compiled", 10**12, halted), "wasmtime": wasm, "native": native}
    engines = {k: replace(e, steps=prefix if k == "ref" else steps) for k, e in engines.items()}
    expected = {k: truth for k in engines}
    expected["ref"] = state(run_laid(program, memory.reshape(1, -1).copy(), sizes, fuel=prefix, tier="jit"))
    note = {"ref": f"a fuel-limited prefix: the first {prefix:,} of the run's {steps:,} instructions"}
    return Workload(name, steps, engines, expected, note)


def python_lcg_loop(n: int) -> int:
    """The LCG loop in Python's own integers (the native function's body runs on numpy's)."""
    x, acc = SEED, 0
    for _ in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) % 2**64
        acc ^= x
    return int(np.uint64(acc).astype(np.int64))


def sum_loop(size: dict) -> Workload:
    n = size["loop"]
    return machine(assemble(SUM_LOOP, "sum_loop.s"), np.array([n, 0, 0], np.int64), lambda mem: int(mem[2]),
                   Engine(lambda: WASM.call("sum_loop", n), answer=lambda out: out[0]),
                   Engine(native_sum_loop, lambda: (n,), int), native_sum_loop.py_func(n) if n <= CI["loop"] else None,
                   "tight loop (add, xor)")


def lcg_loop(size: dict) -> Workload:
    n = size["loop"]
    return machine(assemble(LCG_LOOP, "lcg_loop.s"), np.array([n, SEED, 0], np.int64), lambda mem: int(mem[2]),
                   Engine(lambda: WASM.call("lcg_loop", n, SEED), answer=lambda out: out[0]),
                   Engine(native_lcg_loop, lambda: (n, SEED), int), python_lcg_loop(n) if n <= CI["loop"] else None,
                   "tight loop (LCG, multiply)")


def square(size: dict) -> Workload:
    x = baselines.make_number(size["square"], seed=1)
    program, memory = library.prepare("square", x)
    digits = library.to_digits(x)
    result = lambda mem: library.from_digits(mem[int(mem[2]) : int(mem[2]) + int(mem[1])])  # noqa: E731
    wasm = Engine(lambda: WASM.call("square", len(digits)),
                  lambda: WASM.write_words(np.concatenate([digits, np.zeros(2 * len(digits), np.int64)])) or (),
                  lambda out: library.from_digits(WASM.read_words(8 * len(digits), out[0])))
    native = Engine(baselines.square_digits, lambda: (digits,), library.from_digits)
    return machine(program, memory, result, wasm, native, x * x, f"square, {size['square']} digits")


def wordfreq(size: dict) -> Workload:
    text = baselines.make_text(size["wordfreq"], seed=2)
    program, memory = library.prepare("wordfreq", text)
    data = np.frombuffer(text.encode(), np.uint8)

    def words_in(mem):  # wasmtime runs wordfreq.s on the same laid memory: its memory decodes with the same binding
        return library.decode("wordfreq", text, RunResult(Status.HALTED, 0, 0, np.zeros(16, np.int64), mem))

    wasm = Engine(lambda call: call(), lambda: (wasm_baselines.wordfreq_memory(WASM, memory, program.symbols),),
                  lambda out: words_in(WASM.read_words(0, len(memory))))
    native = Engine(lambda d, table, entries: entries[: baselines.wordfreq_count(d, table, entries)],
                    lambda: (data, *baselines.wordfreq_space(len(data))),
                    lambda e: [(bytes(data[s : s + n]).decode().lower(), c) for s, n, c, _ in e.tolist()])
    return machine(program, memory, words_in, wasm, native, library.word_counts(text),
                   f"wordfreq, {size['wordfreq'] // 1000} KB")


WORKLOADS = {"sum_loop": sum_loop, "lcg_loop": lcg_loop, "square": square, "wordfreq": wordfreq}
_BUILT: dict[tuple[str, bool], Workload] = {}
_ROUNDS: dict[str, dict] = {}  # workload -> the interleaved rounds' figures, measured once
_ENTRIES: list[dict] = []  # the timed entries' extra_info, for the summary


def workload(key: str, small: bool) -> Workload:
    if (key, small) not in _BUILT:
        _BUILT[key, small] = WORKLOADS[key](CI if small else FULL)
    return _BUILT[key, small]


def interleaved(key: str, w: Workload) -> dict:
    """Per engine: its ns per instruction over ROUNDS interleaved rounds, and its per-round ratio to every other
    engine (time per instruction over time per instruction), each as a median with its spread."""
    if key not in _ROUNDS:
        load = load_1min()
        times = interleave(w.engines, ROUNDS)
        _ROUNDS[key] = {
            "load_1min": [load, load_1min()],
            "ns_per_instr": {k: [t / e.steps * 1e9 for t in times[k]] for k, e in w.engines.items()},
            "ratios": {a: {b: per_round_ratio(times[a], times[b], w.engines[b].steps / w.engines[a].steps).as_dict()
                           for b in w.engines if b != a} for a in w.engines}}
    return _ROUNDS[key]


def entry(w: Workload, engine: str, figures: dict, median_s: float) -> dict:
    """An engine's benchmark entry (extra_info, a row of the summary): pytest-benchmark's median call of `median_s`
    seconds per instruction, and the interleaved rounds' figures."""
    e = w.engines[engine]
    q1, median, q3 = quartiles(figures["ns_per_instr"][engine])
    info = {"kind": TIER_KIND, "workload": w.name, "engine": engine, "instructions": e.steps,
            "run_instructions": w.steps, "ns_per_instr": median_s / e.steps * 1e9,
            "rounds_ns_per_instr": {"median": median, "q1": q1, "q3": q3}, "ratios": figures["ratios"][engine],
            "rounds": ROUNDS, "clock": "time.perf_counter", "threads": 1, "load_1min": figures["load_1min"]}
    if engine in w.note:
        info["note"] = w.note[engine]
    return info


@pytest.fixture(scope="module", autouse=True)
def summary():
    yield
    if isinstance(WASM, wasm_baselines.Wasm):
        WASM.close()
    if _ENTRIES:
        write_summary("isa_summary.md", tier_table(_ENTRIES))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("key", list(WORKLOADS))
def test_bench_engine(benchmark, key, engine):
    w = workload(key, small=benchmark.disabled)
    e = w.engines[engine]
    benchmark.group = w.name
    out = benchmark.pedantic(e.call, setup=lambda: (e.setup(), {}), rounds=ROUNDS, warmup_rounds=1)
    assert e.answer(out) == w.expected[engine], f"{engine} disagrees on {w.name}"
    if benchmark.disabled:
        return
    info = entry(w, engine, interleaved(key, w), benchmark.stats.stats.median)
    if engine == "wasmtime":
        info["wasm_compile_s"] = WASM.compile_s  # the whole WAT module, once, before any clock
    benchmark.extra_info.update(info)
    _ENTRIES.append(info)


def test_interleaved_figures_are_per_instruction(monkeypatch):
    """The summary's figures on a counter for a clock: engine a spends 2 µs a call for 1000 instructions (2 ns each),
    b 4 µs for 500 (8 ns each), so a's time per instruction over b's is 0.25 in every round (b over a: 4)."""
    from tests.benchmarks import rounds

    clock = [0.0]
    monkeypatch.setattr(rounds, "now", lambda: clock[0])
    monkeypatch.setattr(f"{__name__}._ROUNDS", {})  # measured afresh, and forgotten after

    def spend(seconds: float) -> Callable[[], None]:
        return lambda: clock.__setitem__(0, clock[0] + seconds)

    w = Workload("fake", 1000, {"a": Engine(spend(2e-6), steps=1000), "b": Engine(spend(4e-6), steps=500)}, {})
    figures = interleaved("fake", w)
    assert figures["ns_per_instr"]["a"] == pytest.approx([2.0] * ROUNDS)
    assert figures["ns_per_instr"]["b"] == pytest.approx([8.0] * ROUNDS)
    a_b, b_a = figures["ratios"]["a"]["b"], figures["ratios"]["b"]["a"]
    assert (a_b["median"], a_b["q1"], a_b["q3"], a_b["rounds"]) == (pytest.approx(0.25),) * 3 + (ROUNDS,)
    assert b_a["median"] == pytest.approx(4.0)
    assert {a: list(to) for a, to in figures["ratios"].items()} == {"a": ["b"], "b": ["a"]}  # no engine over itself
    info = entry(w, "b", figures, 3e-6)  # pytest-benchmark's median: 6 ns an instruction
    assert info["ns_per_instr"] == pytest.approx(6.0) and info["instructions"] == 500 and info["ratios"] == {"a": b_a}
    assert info["rounds_ns_per_instr"] == pytest.approx({"median": 8.0, "q1": 8.0, "q3": 8.0})
    spread_out = entry(w, "b", dict(figures, ns_per_instr={"b": [5.0, 1.0, 4.0, 2.0, 3.0]}), 3e-6)
    assert spread_out["rounds_ns_per_instr"] == {"median": 3.0, "q1": 2.0, "q3": 4.0}
