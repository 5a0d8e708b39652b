"""The benchmark workloads as WebAssembly text (WAT), run on wasmtime with fuel: a production JIT beside ours.

Each function is the same algorithm as its ISA program in tests/benchmarks/test_bench_isa.py or isa/programs/*.s,
with the same data dependences (so neither compiler can skip work the other does): the add/xor loop, the LCG loop,
and square.s's schoolbook square (every digit product into its column, one carry pass, trim the leading zeros) on
64-bit digit words in linear memory. wasmtime charges fuel per WebAssembly instruction executed, checked at block
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
)
"""

PAGE = 65536  # bytes per WebAssembly memory page


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
    module = wasmtime.Module(engine, WAT)
    compile_s = time.perf_counter() - t0
    store = wasmtime.Store(engine)
    instance = wasmtime.Instance(store, module, [])
    return Wasm(store, instance.exports(store), compile_s, fuel, (engine, module))


def square_digits(wasm: Wasm, digits: np.ndarray) -> np.ndarray:
    """x*x's digits (least significant first), x given as digits: the square export on wasm's memory."""
    wasm.write_words(np.concatenate([digits, np.zeros(2 * len(digits), np.int64)]))
    count, _ = wasm.call("square", len(digits))
    return wasm.read_words(8 * len(digits), count)
