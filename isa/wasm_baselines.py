"""The benchmark workloads as WebAssembly text (WAT), run on wasmtime with fuel: a production JIT beside ours.

Each function is the same algorithm as its ISA program in tests/benchmarks/test_bench_isa.py or isa/programs/*.s,
with the same data dependences (so neither compiler can skip work the other does): the add/xor loop, the LCG loop,
square.s's schoolbook square (every digit product into its column, one carry pass, trim the leading zeros) on
64-bit digit words in linear memory, and wordfreq.s instruction for instruction on the very memory the library
lays out for it (word address w at byte 8w), so its final memory equals the register machine's word for word. wasmtime charges fuel per WebAssembly instruction executed, checked at block
boundaries, which is the comparable bound on a run: our compiled tier charges ISA instructions per straight-line run.

wasmtime is a test-only dependency (pyproject's `test` extra); nothing else imports this module.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WAT = r"""
(module
  (memory (export "memory") 1)

  ;; sum loop: s += n; acc ^= s; n -= 1 while n != 0  (ISA: add, xor, addi, bnei)
  (func (export "sum_loop") (param $n i64) (result i64)
    (local $s i64) (local $acc i64)
    (local.set $acc (i64.const 1))
    (loop $loop
      (local.set $s (i64.add (local.get $s) (local.get $n)))
      (local.set $acc (i64.xor (local.get $acc) (local.get $s)))
      (local.set $n (i64.sub (local.get $n) (i64.const 1)))
      (br_if $loop (i64.ne (local.get $n) (i64.const 0))))
    (local.get $acc))

  ;; LCG loop: x = x * A + C; acc ^= x  (ISA: muli, addi, xor, addi, bnei)
  (func (export "lcg_loop") (param $n i64) (param $x i64) (result i64)
    (local $acc i64)
    (loop $loop
      (local.set $x (i64.add (i64.mul (local.get $x) (i64.const 6364136223846793005))
                             (i64.const 1442695040888963407)))
      (local.set $acc (i64.xor (local.get $acc) (local.get $x)))
      (local.set $n (i64.sub (local.get $n) (i64.const 1)))
      (br_if $loop (i64.ne (local.get $n) (i64.const 0))))
    (local.get $acc))

  ;; square.s: x's n digits (i64 words, least significant first) at byte 0, the 2n result columns right after;
  ;; returns the digit count of x*x.
  (func (export "square") (param $n i32) (result i32)
    (local $xend i32) (local $res i32) (local $rend i32) (local $p i32) (local $i i32) (local $j i32)
    (local $r i32) (local $xi i64) (local $carry i64) (local $t i64)
    (local.set $xend (i32.shl (local.get $n) (i32.const 3)))
    (local.set $res (local.get $xend))
    (local.set $rend (i32.add (local.get $res) (i32.shl (local.get $n) (i32.const 4))))
    (local.set $p (local.get $res))
    (loop $clear
      (i64.store (local.get $p) (i64.const 0))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br_if $clear (i32.lt_u (local.get $p) (local.get $rend))))
    (local.set $i (i32.const 0))
    (local.set $r (local.get $res))
    (loop $outer
      (local.set $xi (i64.load (local.get $i)))
      (local.set $j (i32.const 0))
      (local.set $p (local.get $r))
      (loop $inner
        (i64.store (local.get $p)
          (i64.add (i64.load (local.get $p)) (i64.mul (i64.load (local.get $j)) (local.get $xi))))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br_if $inner (i32.lt_u (local.get $j) (local.get $xend))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (local.set $r (i32.add (local.get $r) (i32.const 8)))
      (br_if $outer (i32.lt_u (local.get $i) (local.get $xend))))
    (local.set $carry (i64.const 0))
    (local.set $p (local.get $res))
    (loop $carry_loop
      (local.set $t (i64.add (i64.load (local.get $p)) (local.get $carry)))
      (local.set $carry (i64.div_s (local.get $t) (i64.const 10)))
      (i64.store (local.get $p) (i64.rem_s (local.get $t) (i64.const 10)))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br_if $carry_loop (i32.lt_u (local.get $p) (local.get $rend))))
    (local.set $p (i32.sub (local.get $rend) (i32.const 8)))
    (block $done
      (loop $trim
        (br_if $done (i32.eq (local.get $p) (local.get $res)))
        (br_if $done (i64.ne (i64.load (local.get $p)) (i64.const 0)))
        (local.set $p (i32.sub (local.get $p) (i32.const 8)))
        (br $trim)))
    (i32.add (i32.shr_u (i32.sub (local.get $p) (local.get $res)) (i32.const 3)) (i32.const 1)))

  ;; wordfreq.s on its own memory layout (isa/programs/wordfreq.s: `lower` at word 0, then n, nwords, entries,
  ;; input); pointers are word addresses. The calls of $w (read the word at an address) and $set (write one) are
  ;; expanded inline into i64.load / i64.store before compiling (see _inline_words): Cranelift does not inline
  ;; calls, and the ISA's loads and stores are single instructions. Returns the number of distinct words.
  (func (export "wordfreq") (param $n i32) (param $input i32) (param $nwords_at i32) (param $entries_at i32)
                            (result i32)
    (local $p i32) (local $len i32) (local $e i32) (local $free i32) (local $m i32) (local $table i32)
    (local $tend i32) (local $cap i32) (local $shift i64) (local $c i64) (local $start i32) (local $code i64)
    (local $slot i32) (local $q i32) (local $r i32) (local $entries i32)
    (local.set $p (i32.add (local.get $input) (local.get $n)))
    (call $set (local.get $p) (i64.const 256))
    (local.set $free (i32.add (local.get $p) (i32.const 1)))
    (local.set $entries (local.get $free))
    (call $set (local.get $entries_at) (i64.extend_i32_u (local.get $entries)))
    (local.set $m (i32.shr_u (i32.add (local.get $n) (i32.const 1)) (i32.const 1)))
    (local.set $table (i32.add (local.get $free) (i32.shl (local.get $m) (i32.const 2))))
    (local.set $cap (i32.const 2))
    (local.set $shift (i64.const 63))
    (block $sized
      (loop $size
        (br_if $sized (i32.ge_s (local.get $cap) (i32.shl (local.get $m) (i32.const 1))))
        (local.set $cap (i32.shl (local.get $cap) (i32.const 1)))
        (local.set $shift (i64.sub (local.get $shift) (i64.const 1)))
        (br $size)))
    (local.set $tend (i32.add (local.get $table) (local.get $cap)))
    (local.set $p (i32.sub (local.get $input) (i32.const 1)))
    (block $done
      (loop $sep
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $c (call $w (i32.wrap_i64 (call $w (local.get $p)))))
        (br_if $sep (i64.eqz (local.get $c)))
        (br_if $done (i64.lt_s (local.get $c) (i64.const 0)))
        (local.set $start (local.get $p))
        (local.set $code (i64.const 0))
        (loop $letter
          (local.set $code (i64.add (i64.mul (local.get $code) (i64.const 27)) (local.get $c)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (local.set $c (call $w (i32.wrap_i64 (call $w (local.get $p)))))
          (br_if $letter (i64.ge_s (local.get $c) (i64.const 1))))
        (local.set $len (i32.sub (local.get $p) (local.get $start)))
        (if (i32.ge_s (local.get $len) (i32.const 14))
          (then (local.set $code (i64.or (local.get $code) (i64.const 0x8000000000000000)))))
        (local.set $slot (i32.add (local.get $table) (i32.wrap_i64
          (i64.shr_u (i64.mul (local.get $code) (i64.const 0x9E3779B97F4A7C15)) (local.get $shift)))))
        (loop $probe
          (block $miss
            (local.set $e (i32.wrap_i64 (call $w (local.get $slot))))
            (if (i32.eqz (local.get $e))
              (then
                (call $set (local.get $slot) (i64.extend_i32_u (local.get $free)))
                (call $set (local.get $free) (i64.extend_i32_u (local.get $start)))
                (call $set (i32.add (local.get $free) (i32.const 1)) (i64.extend_i32_u (local.get $len)))
                (call $set (i32.add (local.get $free) (i32.const 2)) (i64.const 1))
                (call $set (i32.add (local.get $free) (i32.const 3)) (local.get $code))
                (local.set $free (i32.add (local.get $free) (i32.const 4)))
                (local.set $q (local.get $start))
                (loop $normalize
                  (call $set (local.get $q) (call $w (i32.wrap_i64 (call $w (local.get $q)))))
                  (local.set $q (i32.add (local.get $q) (i32.const 1)))
                  (br_if $normalize (i32.lt_u (local.get $q) (local.get $p))))
                (br_if $sep (i64.ge_s (local.get $c) (i64.const 0)))
                (br $done)))
            (br_if $miss (i64.ne (call $w (i32.add (local.get $e) (i32.const 3))) (local.get $code)))
            (if (i32.ge_s (local.get $len) (i32.const 14))
              (then
                (br_if $miss (i64.ne (call $w (i32.add (local.get $e) (i32.const 1)))
                                     (i64.extend_i32_u (local.get $len))))
                (local.set $q (i32.wrap_i64 (call $w (local.get $e))))
                (local.set $r (local.get $start))
                (loop $compare
                  (br_if $miss (i64.ne (call $w (i32.wrap_i64 (call $w (local.get $r)))) (call $w (local.get $q))))
                  (local.set $q (i32.add (local.get $q) (i32.const 1)))
                  (local.set $r (i32.add (local.get $r) (i32.const 1)))
                  (br_if $compare (i32.lt_u (local.get $r) (local.get $p))))))
            (call $set (i32.add (local.get $e) (i32.const 2))
                       (i64.add (call $w (i32.add (local.get $e) (i32.const 2))) (i64.const 1)))
            (br_if $sep (i64.ge_s (local.get $c) (i64.const 0)))
            (br $done))
          (local.set $slot (i32.add (local.get $slot) (i32.const 1)))
          (if (i32.ge_u (local.get $slot) (local.get $tend)) (then (local.set $slot (local.get $table))))
          (br $probe))))
    (local.set $m (i32.shr_u (i32.sub (local.get $free) (local.get $entries)) (i32.const 2)))
    (call $set (local.get $nwords_at) (i64.extend_i32_u (local.get $m)))
    (local.get $m))
)
"""

PAGE = 65536  # bytes per WebAssembly memory page


def _inline_words(text: str) -> str:
    """Expand `(call $w A)` to `(i64.load (i32.shl A (i32.const 3)))` and `(call $set A V)` to
    `(i64.store (i32.shl A (i32.const 3)) V)`, innermost first (A and V are parenthesised expressions)."""

    def expression(at: int) -> int:  # index just past the balanced expression starting at text[at] == "("
        depth = 0
        for i in range(at, len(text)):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            if depth == 0:
                return i + 1
        raise ValueError("unbalanced WAT")

    for head in ("(call $w ", "(call $set "):
        while (start := text.rfind(head)) >= 0:
            a_at = start + len(head)
            a_end = expression(a_at)
            if head == "(call $w ":
                close = expression(start)
                text = text[:start] + f"(i64.load (i32.shl {text[a_at:a_end]} (i32.const 3)))" + text[close:]
            else:
                v_at = text.index("(", a_end)
                v_end = expression(v_at)
                close = expression(start)
                text = (text[:start] + f"(i64.store (i32.shl {text[a_at:a_end]} (i32.const 3)) {text[v_at:v_end]})"
                        + text[close:])
    return text


@dataclass
class Wasm:
    """One compiled module on a fuel-metered engine; `compile_s` is wasmtime's compile time for it."""

    store: object
    exports: object
    compile_s: float
    fuel: int
    keep: tuple = ()  # the engine and module, closed with the store

    def close(self) -> None:
        """Free wasmtime's objects now (left to interpreter shutdown, their finalisers can run after wasmtime's)."""
        for thing in (self.store, *reversed(self.keep)):
            thing.close()

    def call(self, name: str, *args):
        """(result, fuel the call consumed)."""
        self.store.set_fuel(self.fuel)
        out = self.exports[name](self.store, *args)
        return out, self.fuel - self.store.get_fuel()

    def write_words(self, words: np.ndarray, at: int = 0) -> None:
        memory = self.exports["memory"]
        need = at + 8 * len(words)
        if memory.data_len(self.store) < need:
            memory.grow(self.store, (need - memory.data_len(self.store) + PAGE - 1) // PAGE)
        memory.write(self.store, np.ascontiguousarray(words, "<i8").tobytes(), at)

    def read_words(self, at: int, count: int) -> np.ndarray:
        return np.frombuffer(self.exports["memory"].read(self.store, at, at + 8 * count), "<i8").copy()


def load(fuel: int = 1 << 62) -> Wasm:
    """Compile WAT with Cranelift (opt level "speed") and fuel metering on."""
    import time

    import wasmtime

    config = wasmtime.Config()
    config.consume_fuel = True
    config.cranelift_opt_level = "speed"
    engine = wasmtime.Engine(config)
    t0 = time.perf_counter()
    module = wasmtime.Module(engine, _inline_words(WAT))
    compile_s = time.perf_counter() - t0
    store = wasmtime.Store(engine)
    instance = wasmtime.Instance(store, module, [])
    return Wasm(store, instance.exports(store), compile_s, fuel, (engine, module))


def wordfreq_memory(wasm: Wasm, memory: np.ndarray, symbols: dict[str, int]):
    """Lay the register machine's memory for wordfreq.s into linear memory (untimed part); returns the call."""
    wasm.write_words(memory)
    args = (int(memory[symbols["n"]]), symbols["input"], symbols["nwords"], symbols["entries"])
    return lambda: wasm.call("wordfreq", *args)


def square_digits(wasm: Wasm, digits: np.ndarray) -> np.ndarray:
    """x*x's digits (least significant first), x given as digits: the square export on wasm's memory."""
    wasm.write_words(np.concatenate([digits, np.zeros(2 * len(digits), np.int64)]))
    count, _ = wasm.call("square", len(digits))
    return wasm.read_words(8 * len(digits), count)
