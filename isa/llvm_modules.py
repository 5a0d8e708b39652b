"""How a program's native code is laid out in LLVM modules (isa/llvm_ir.py writes each function's instructions).

- A program of at most SEGMENT instructions is one module: `@isa_run` (all its code) and the batch loop
  `@isa_run_batch`, as before.
- A larger one is cut into segments of SEGMENT pcs, each a function `@isa_seg<k>` in a module of its own, and a last
  module holds the driver `@isa_run`, which calls the segment holding pc until one returns anything but CONTINUE (a
  jump, a fall-through or a JR/RET to a pc beyond it), and the batch loop. A run also ends at a segment's end, so the
  next segment charges what follows. Why: LLVM's code generation grows faster than linearly in a function's size
  (its register coalescer, machine scheduler and loop passes: 6,400 instructions in one function took 3.3 s, 52,429
  took 214 s and 900 MB), and a module at a time keeps memory to one segment's IR and objects.
- Fuel comes in slices: a row starts with at most SLICE steps of its fuel in hand (the rest, the reserve, in out[2]).
  At a refill point (pc 0, a segment's entries, every backward jump's target, so one in every loop; every pc with
  JR/RET) the hand must hold the most steps the row can take before the next refill point (refill_needs); when it
  does not, the cold `@isa_refill` asks `@isa_stop` (CPython's SIGINT flag, through pointers isa/compiled.py gives)
  and moves up to SLICE over from the reserve. Any other run start can then find the hand short only when the fuel
  itself runs out (FUEL_SHORT, as before). A stop (Ctrl-C) ends the row at the refill point: STOPPED, exact state.
  The batch loop asks @isa_stop too once SLICE steps have run since it last did (many short rows).
  The hot path is what it was (charge the run, compare, branch); only refill points carry a cold call (`coldcc`). With
  the call at every run start, the code was 60% larger and took 60% longer to build (measured on branchy code).
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from isa import llvm_ir
from isa.llvm_ir import CONTINUE
from isa.program import Program

RUN_SYMBOL = "isa_run_batch"
SEGMENT = 512  # instructions per function (compile time ~linear below ~1,000, measured)
SLICE = 1 << 25  # steps between two polls (~10-100 ms): how soon a Ctrl-C stops a run


def run_lengths(code: np.ndarray) -> list[int]:
    return llvm_ir.run_lengths(code, SEGMENT)


def segments(n: int) -> list[range]:
    """The pcs each function holds: SEGMENT at a time, the last one also pc n (running off the end)."""
    return [range(lo, lo + SEGMENT if lo + SEGMENT < n else n + 1) for lo in range(0, max(n, 1), SEGMENT)]


def modules(program: Program) -> Iterator[str]:
    """The program's LLVM modules, one at a time (the last one defines RUN_SYMBOL)."""
    code = program.trusted_code()
    words, runlen, parts = code.tolist(), run_lengths(code), segments(len(code))
    jumps = llvm_ir.indirect(words)
    if len(parts) == 1:
        needs = refill_needs(words, runlen, {0})
        body = llvm_ir.Function(words, runlen, parts[0], "isa_run", None, hand(), needs, jumps).render()
        yield body + _refill() + _batch()
        return
    entries = _segment_entries(words, parts)
    needs = refill_needs(words, runlen, set().union(*entries))
    for k, (part, outside) in enumerate(zip(parts, entries)):
        body = llvm_ir.Function(words, runlen, part, f"isa_seg{k}", outside, hand(), needs, jumps).render()
        yield body + "@isa_poll = external global ptr\n" + _refill()
    yield _driver(len(parts)) + _batch() + _STOP + _INTRINSICS


def hand() -> str:
    """A row's start: at most SLICE of its fuel in hand (%first), the rest kept in out[2]."""
    return f"""  %first = call i64 @llvm.umin.i64(i64 %fuel, i64 {SLICE})
  %reserve = sub i64 %fuel, %first
  %out2 = getelementptr i64, ptr %out, i64 2
  store i64 %reserve, ptr %out2
"""


def refill_needs(words: list, runlen: list[int], entries: set[int]) -> dict[int, int]:
    """The refill points (`entries`, where functions are entered; the targets of backward jumps, one in every loop;
    every pc with JR/RET), each with the most steps a row can take from there before it meets the next refill point
    or stops. A row's hand is topped up to that at a refill point, so at any other run start it can be short only
    when the fuel itself runs out: only refill points carry the cold call (fewer calls, fewer registers spilled)."""
    n = len(words)
    if llvm_ir.indirect(words):
        points = set(range(n + 1))
    else:
        points = set(entries) | {t for pc, (op, a, _, c) in enumerate(words)
                                 if (t := llvm_ir.jump_target(op, a, c)) is not None and t <= pc}
    most = [0] * (n + 1)
    for pc in range(n - 1, -1, -1):  # successors that are not refill points lie after the run: already known
        end = pc + runlen[pc] - 1
        op, a, _, c = words[end]
        target = llvm_ir.jump_target(op, a, c)
        falls = op not in llvm_ir.CONTROL or op in llvm_ir.BRANCH_CMP  # JR/RET: every pc is a refill point
        after = ([] if target is None else [target]) + ([end + 1] if falls else [])
        most[pc] = runlen[pc] + max((most[t] for t in after if t not in points), default=0)
    return {pc: most[pc] for pc in points if pc <= n}


def _segment_entries(words: list, parts: list[range]) -> list[set[int]]:
    """The pcs at which each segment can be entered from another: its first pc and the direct targets from elsewhere;
    with JR/RET, every pc."""
    if llvm_ir.indirect(words):
        return [set(part) - {len(words)} | {part.start} for part in parts]
    entries = [{part.start} for part in parts]
    for pc, (op, a, _, c) in enumerate(words):
        target = llvm_ir.jump_target(op, a, c)
        if target is not None and target // SEGMENT != pc // SEGMENT:
            entries[min(target // SEGMENT, len(parts) - 1)].add(target)
    return entries


def _driver(count: int) -> str:
    """`@isa_run` of a segmented program: call the segment holding pc until one returns anything but CONTINUE."""
    args = "ptr %mem, i64 %size, ptr %regs, i64 %fuel, ptr %out, i64 %rem, i64 %pc"
    calls = "".join(f"S{k}:\n  %s{k} = call i64 @isa_seg{k}({args})\n  br label %join\n" for k in range(count))
    declares = "".join(f"declare i64 @isa_seg{k}(ptr, i64, ptr, i64, ptr, i64, i64)\n" for k in range(count))
    return declares + llvm_ir.header("isa_run", segment=False) + f"""
entry:
{hand()}  %out1 = getelementptr i64, ptr %out, i64 1
  br label %loop
loop:
  %pc = phi i64 [0, %entry], [%npc, %next]
  %rem = phi i64 [%first, %entry], [%nrem, %next]
  %q = udiv i64 %pc, {SEGMENT}
  switch i64 %q, label %S{count - 1} [ {" ".join(f"i64 {k}, label %S{k}" for k in range(count - 1))} ]
{calls}join:
  %s = phi i64 {", ".join(f"[%s{k}, %S{k}]" for k in range(count))}
  %more = icmp eq i64 %s, {CONTINUE}
  br i1 %more, label %next, label %done
next:
  %npc = load i64, ptr %out
  %spent = load i64, ptr %out1
  %nrem = sub i64 %fuel, %spent
  br label %loop
done:
  ret i64 %s
}}
"""


def _batch() -> str:
    """`@isa_run_batch(mem, stride, sizes, regs, fuel, rows, status, pcs, steps, poll)`: row i runs on
    mem[i*stride : i*stride + sizes[i]] and regs[16 i : 16 i + 16] (the caller guarantees the sizes). When @isa_stop
    says so between rows, the rows from there on are left unrun (the caller starts them all STOPPED)."""
    return f"""
@isa_poll = global ptr null

define void @{RUN_SYMBOL}(ptr noalias %mem, i64 %stride, ptr noalias %sizes, ptr noalias %regs, i64 %fuel,
                           i64 %rows, ptr noalias %status, ptr noalias %pcs, ptr noalias %steps, ptr %poll) {{
entry:
  store ptr %poll, ptr @isa_poll
  %out = alloca [5 x i64]
  %out1 = getelementptr i64, ptr %out, i64 1
  %out2 = getelementptr i64, ptr %out, i64 2
  %any = icmp sgt i64 %rows, 0
  br i1 %any, label %loop, label %done
loop:
  %i = phi i64 [0, %entry], [%next, %tally]
  %since = phi i64 [0, %entry], [%since2, %tally]
  %moff = mul i64 %i, %stride
  %m = getelementptr i64, ptr %mem, i64 %moff
  %szp = getelementptr i64, ptr %sizes, i64 %i
  %sz = load i64, ptr %szp
  %roff = mul i64 %i, 16
  %r = getelementptr i64, ptr %regs, i64 %roff
  %s = call i64 @isa_run(ptr %m, i64 %sz, ptr %r, i64 %fuel, ptr %out)
  %sp = getelementptr i64, ptr %status, i64 %i
  store i64 %s, ptr %sp
  %pcv = load i64, ptr %out
  %pp = getelementptr i64, ptr %pcs, i64 %i
  store i64 %pcv, ptr %pp
  %kv = load i64, ptr %out1
  %unused = load i64, ptr %out2
  %k = sub i64 %kv, %unused
  %kp = getelementptr i64, ptr %steps, i64 %i
  store i64 %k, ptr %kp
  %ran = add i64 %since, %k
  %due = icmp uge i64 %ran, {SLICE}
  br i1 %due, label %ask, label %tally
ask:
  %stop = call i1 @isa_stop()
  br i1 %stop, label %done, label %tally
tally:
  %since2 = select i1 %due, i64 0, i64 %ran
  %next = add i64 %i, 1
  %more = icmp slt i64 %next, %rows
  br i1 %more, label %loop, label %done
done:
  ret void
}}
"""


_INTRINSICS = """
declare i64 @llvm.umin.i64(i64, i64)
declare i64 @llvm.umax.i64(i64, i64)
"""


def _refill() -> str:
    """`@isa_refill(out, need)`: fuel moved from the reserve to a hand `need` short of what it must hold at a refill
    point: the need or SLICE, whichever is more, as far as the reserve goes (0 when it is empty); STOP_REFILL when
    @isa_stop says stop (asked only when the reserve is not empty: else the row ends within a segment's steps)."""
    return f"""
define internal coldcc i64 @isa_refill(ptr %out, i64 %need) noinline cold {{
entry:
  %rp = getelementptr i64, ptr %out, i64 2
  %reserve = load i64, ptr %rp
  %empty = icmp eq i64 %reserve, 0
  br i1 %empty, label %none, label %poll
poll:
  %stop = call i1 @isa_stop()
  br i1 %stop, label %stopped, label %take
take:
  %want = call i64 @llvm.umax.i64(i64 %need, i64 {SLICE})
  %t = call i64 @llvm.umin.i64(i64 %reserve, i64 %want)
  %rest = sub i64 %reserve, %t
  store i64 %rest, ptr %rp
  ret i64 %t
none:
  ret i64 0
stopped:
  ret i64 {llvm_ir.STOP_REFILL}
}}
""" + _STOP + _INTRINSICS


# @isa_poll points at [stop word, PyGILState_Ensure, PyOS_InterruptOccurred, PyGILState_Release] (isa/compiled.py).
# The stop word stops every row of every thread; a SIGINT is taken from Python here (only the main thread can) and
# turned into the stop word, and the caller hands it on to Python's handler.
_STOP = """
define internal i1 @isa_stop() noinline cold {
entry:
  %ctx = load ptr, ptr @isa_poll
  %word = load ptr, ptr %ctx
  %set = load volatile i64, ptr %word
  %already = icmp ne i64 %set, 0
  br i1 %already, label %yes, label %ask
ask:
  %p1 = getelementptr ptr, ptr %ctx, i64 1
  %ensure = load ptr, ptr %p1
  %p2 = getelementptr ptr, ptr %ctx, i64 2
  %occurred = load ptr, ptr %p2
  %p3 = getelementptr ptr, ptr %ctx, i64 3
  %release = load ptr, ptr %p3
  %gil = call i32 %ensure()
  %hit = call i32 %occurred()
  call void %release(i32 %gil)
  %sigint = icmp ne i32 %hit, 0
  br i1 %sigint, label %tell, label %no
tell:
  store volatile i64 1, ptr %word
  br label %yes
yes:
  ret i1 true
no:
  ret i1 false
}
"""
