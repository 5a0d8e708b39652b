"""A validated program's instructions -> an LLVM IR function with exactly the semantics of isa/spec.py (the compiled
tier's front half; isa/llvm_modules.py lays the functions and the batch loop out in modules).

Shape of the generated code (one function per program, or per segment of a large one):
- One basic block `I<pc>` per instruction, and `I<n>` for running off the end. The 16 registers and the fuel in hand
  are allocas, which LLVM's mem2reg turns into SSA values, so a loop of ISA instructions becomes a loop of machine
  instructions.
- Fuel is charged on entering a straight-line run (pc 0, every jump target, every fall-through after a branch, a
  segment's start): block `E<pc>` subtracts the run's length from the fuel in hand at once. At a refill point the
  hand must also keep what the row may run before the next one, and @isa_refill (cold) tops it up from the reserve
  (isa/llvm_modules.py). When the fuel left cannot pay for the run, the fuel runs out inside
  the run and the function returns FUEL_SHORT, with pc at the run's start and the exact steps, registers and memory
  so far; the caller finishes those fewer-than-a-run instructions on the reference interpreter (isa/compiled.py).
  Such a run never reaches its closing control instruction, so what is left is straight-line code, and a checked
  copy of every instruction in native code (twice the compile time, measured) would buy nothing a run can notice.
- A trap inside a run reports steps = committed - (instructions of the run not executed), a compile-time constant
  per pc, so counting stays exact without a per-instruction counter.
- JR and RET go through one `switch` over every valid pc of the function (CONTINUE for a pc in another segment);
  anything else (negative, >= n) is BAD_PC at the JR/RET.
- Arithmetic is plain LLVM `add`/`sub`/`mul` (wrapping: no `nsw`, so no overflow assumption can fold a bounds check
  away). Addresses are compared exactly: `0 <= rb + off < size` as mathematical integers (see `_address`).
  `sdiv`/`srem` never see a zero divisor or INT_MIN / -1 (both are undefined behaviour in LLVM); shift amounts are
  masked to 0..63 and the out-of-range cases selected explicitly (LLVM makes them poison; the ISA defines them).
"""
from __future__ import annotations

import numpy as np

from isa import spec

S = spec
STATUS = {s.name: int(s) for s in spec.Status}
CONTROL = frozenset(op.code for op in spec.OPS if op.group == "control")
BRANCH_CMP = {S.OP_BEQ: "eq", S.OP_BNE: "ne", S.OP_BLT: "slt", S.OP_BGE: "sge",
              S.OP_BEQI: "eq", S.OP_BNEI: "ne", S.OP_BLTI: "slt", S.OP_BGEI: "sge"}
BINARY = {S.OP_ADD: "add", S.OP_SUB: "sub", S.OP_MUL: "mul", S.OP_AND: "and", S.OP_OR: "or", S.OP_XOR: "xor",
          S.OP_ADDI: "add", S.OP_SUBI: "sub", S.OP_MULI: "mul", S.OP_ANDI: "and", S.OP_ORI: "or", S.OP_XORI: "xor"}
IMMEDIATE_FORMS = {S.OP_ADDI, S.OP_SUBI, S.OP_MULI, S.OP_ANDI, S.OP_ORI, S.OP_XORI}
FUEL_SHORT = 255  # internal status: the fuel runs out inside the straight-line run starting at pc
CONTINUE = 254  # between segment functions: go on at out[0], with fuel - out[1] in hand
BROKEN = 253  # a segment was entered at a pc it has no entry for: a generator bug, never a silent wrong answer
STOPPED = 252  # a poll said stop (Ctrl-C): the row stopped at pc, a run start, with its exact state
STOP_REFILL = -(1 << 62)  # what @isa_refill returns for a stop: added to a hand (-SEGMENT..2**25), still negative


def run_lengths(code: np.ndarray, segment: int) -> list[int]:
    """runlen[pc]: instructions from pc through the next control instruction or the end of pc's segment (a multiple of
    `segment`), or to the end of the program (runlen[n] = 0)."""
    n = len(code)
    runlen = [0] * (n + 1)
    for pc in range(n - 1, -1, -1):
        runlen[pc] = 1 if int(code[pc, 0]) in CONTROL or (pc + 1) % segment == 0 else 1 + runlen[pc + 1]
    return runlen


def jump_target(op: int, a: int, c: int) -> int | None:
    """Where a direct jump, call or branch goes (None for any other instruction)."""
    return c if op in BRANCH_CMP else a if op in (S.OP_JMP, S.OP_CALL) else None


def indirect(words: list) -> bool:
    """Whether JR or RET can take the program to any pc."""
    return any(op in (S.OP_JR, S.OP_RET) for op, *_ in words)


def header(name: str, segment: bool) -> str:
    """A function's signature: `(mem, size, regs, fuel, out) -> status`, and a segment's also `rem, pc`."""
    linkage, extra = ("", ", i64 %rem0, i64 %pc0") if segment else ("internal ", "")
    return (f"define {linkage}i64 @{name}(ptr noalias %mem, i64 %size, ptr noalias %regs, i64 %fuel, ptr noalias %out"
            f"{extra}) noinline {{")


class Function:
    """Writes `@<name>(mem, size, regs, fuel, out[, rem, pc]) -> status` for the pcs of `part` (isa/llvm_modules.py
    lays the functions out): the whole program (`outside` None), entered at pc 0 with its fuel; or a segment, entered
    at pc (one of `outside`) with `rem` in hand, returning CONTINUE with out = [pc, fuel in hand] for a pc beyond part.
    out receives [pc, steps + fuel left in out[2]] (the caller subtracts the reserve); out[3..4] are its scratch.
    `indirect`: indirect(code), found once by the caller (scanning the whole program per segment was quadratic)."""

    def __init__(self, code: list, runlen: list[int], part: range, name: str, outside: set[int] | None,
                 hand: str, needs: dict[int, int], indirect: bool):
        self.code, self.runlen, self.part, self.name, self.hand = code, runlen, part, name, hand  # hand: sets %first
        self.needs = needs  # refill points: the hand a row must hold on reaching each (see llvm_modules.refill_needs)
        self.n = len(code)
        self.out: list[str] = []
        self.tmp = 0
        self.whole = outside is None
        self.entries: set[int] = {part.start, *(outside or ())}
        self.exits: set[int] = set()  # pcs beyond this segment that it jumps or falls to
        self.indirect = indirect

    # ---- text helpers ------------------------------------------------------------------------------------------
    def v(self) -> str:
        self.tmp += 1
        return f"%t{self.tmp}"

    def ins(self, text: str) -> None:
        self.out.append("  " + text)

    def block(self, name: str) -> None:
        self.out.append(f"{name}:")

    def op(self, text: str) -> str:
        """Emit `%tN = text` and return %tN."""
        name = self.v()
        self.ins(f"{name} = {text}")
        return name

    def get(self, r: int) -> str:
        return self.op(f"load i64, ptr %r{r}")

    def put(self, r: int, value) -> None:
        self.ins(f"store i64 {value}, ptr %r{r}")

    def leave(self, status: str | int, pc, owed) -> None:
        """Go to the exit with status at pc; steps = fuel - owed (the hand, plus what was charged but not run)."""
        self.ins(f"store i64 {STATUS.get(status, status)}, ptr %xs")
        self.ins(f"store i64 {pc}, ptr %xp")
        self.ins(f"store i64 {owed}, ptr %xk")
        self.ins("br label %exit")

    def entry_label(self, pc: int) -> str:
        if pc not in self.part:
            self.exits.add(pc)
            return f"%C{pc}"
        self.entries.add(pc)
        return f"%E{pc}"

    # ---- the function ------------------------------------------------------------------------------------------
    def render(self) -> str:
        self.out.append(header(self.name, segment=not self.whole))
        self.block("entry")
        for name in [f"r{i}" for i in range(spec.NUM_REGS)] + ["rem", "xs", "xp", "xk", "jt", "jsrc"]:
            self.ins(f"%{name} = alloca i64")
        for i in range(spec.NUM_REGS):
            p = self.op(f"getelementptr i64, ptr %regs, i64 {i}")
            self.put(i, self.op(f"load i64, ptr {p}"))
        self.ins(f"store i64 %fuel, ptr {self.op('getelementptr i64, ptr %out, i64 3')}")
        self.ins(f"store ptr %regs, ptr {self.op('getelementptr i64, ptr %out, i64 4')}")
        if self.whole:
            self.out.append(self.hand.rstrip("\n"))
            self.ins("store i64 %first, ptr %rem")
            self.ins("br label %E0")
        else:
            self.ins("store i64 %rem0, ptr %rem")
            cases = " ".join(f"i64 {pc}, label %E{pc}" for pc in sorted(self.entries))
            self.ins(f"switch i64 %pc0, label %broken [ {cases} ]")
            self.block("broken")
            self.leave(BROKEN, "%pc0", 0)
        for pc in self.part:
            self.fast(pc)
        if self.indirect:  # any pc can be a JR/RET target
            self.entries.update(pc for pc in self.part if pc < self.n)
            self.dispatch()
        for pc in sorted(self.entries):
            self.fuel_entry(pc)
        for pc in sorted(self.exits):  # the segment holding pc charges the run that starts there
            self.block(f"C{pc}")
            self.leave(CONTINUE, pc, self.op("load i64, ptr %rem"))  # the driver takes the hand back from steps
        self.exit()
        self.out.append("}")
        return "\n".join(self.out) + "\n"

    def fuel_entry(self, pc: int) -> None:
        """Charge the whole straight-line run at once, or return FUEL_SHORT when the fuel would run out in it."""
        self.block(f"E{pc}")
        length = self.runlen[pc]
        if length == 0:  # pc == n: nothing to run, BAD_PC comes before the fuel check
            self.ins(f"br label %I{pc}")
            return
        rem = self.op("load i64, ptr %rem")
        left = self.op(f"sub i64 {rem}, {length}")
        extra = self.needs.get(pc, length) - length  # what the hand must still hold after this run (refill points)
        self.ins(f"br i1 {self.op(f'icmp sge i64 {left}, {extra}')}, label %E{pc}.go, label %E{pc}.short")
        self.block(f"E{pc}.short")
        if pc in self.needs:  # refilled from the reserve; else the fuel runs out in this run (or a poll said stop)
            more = self.op(f"call coldcc i64 @isa_refill(ptr %out, i64 {self.op(f'sub i64 {extra}, {left}')})")
            topped = self.op(f"add i64 {left}, {more}")  # < 0 when the reserve was short or `more` is STOP_REFILL
            self.ins(f"br i1 {self.op(f'icmp sge i64 {topped}, 0')}, label %E{pc}.refill, label %E{pc}.out")
            self.block(f"E{pc}.refill")
            self.ins(f"store i64 {topped}, ptr %rem")
            self.ins(f"br label %I{pc}")
            self.block(f"E{pc}.out")  # what was moved over is still the row's (all the fuel it had left)
            stop = self.op(f"icmp eq i64 {more}, {STOP_REFILL}")
            status = self.op(f"select i1 {stop}, i64 {STOPPED}, i64 {FUEL_SHORT}")
            short = self.op(f"add i64 {left}, {self.op(f'select i1 {stop}, i64 0, i64 {more}')}")
        else:  # the last refill point left the hand enough for this run unless the fuel itself runs out in it
            status, short = FUEL_SHORT, left
        self.leave(status, pc, self.op(f"add i64 {short}, {length}"))  # from `left`: rem is dead once charged
        self.block(f"E{pc}.go")
        self.ins(f"store i64 {left}, ptr %rem")
        self.ins(f"br label %I{pc}")

    def fast_steps(self, pc: int, executed: int = 0) -> str:
        """What `leave` owes for steps done before pc (+ executed): the hand, already charged for pc's whole run, plus
        the run's instructions not executed."""
        return self.op(f"add i64 {self.op('load i64, ptr %rem')}, {self.runlen[pc] - executed}")

    def fast(self, pc: int) -> None:
        self.block(f"I{pc}")
        if pc == self.n:
            self.leave("BAD_PC", pc, self.fast_steps(pc))
            return
        op, a, b, c = self.code[pc]
        if op not in CONTROL:
            self.straight(pc, lambda status: self.leave(status, pc, self.fast_steps(pc)))
            self.ins(f"br label {self.entry_label(pc + 1) if pc + 1 == self.part.stop else f'%I{pc + 1}'}")
            return
        if op == S.OP_HALT:
            self.leave("HALTED", pc, self.fast_steps(pc, executed=1))
        elif op == S.OP_JMP:
            self.ins(f"br label {self.entry_label(a)}")
        elif op == S.OP_CALL:
            self.put(spec.LINK_REG, pc + 1)
            self.ins(f"br label {self.entry_label(a)}")
        elif op in BRANCH_CMP:
            right = self.get(b) if op in (S.OP_BEQ, S.OP_BNE, S.OP_BLT, S.OP_BGE) else b
            taken = self.op(f"icmp {BRANCH_CMP[op]} i64 {self.get(a)}, {right}")
            self.ins(f"br i1 {taken}, label {self.entry_label(c)}, label {self.entry_label(pc + 1)}")
        else:  # JR, RET: the dispatch checks the target
            target = self.get(spec.LINK_REG if op == S.OP_RET else a)
            self.ins(f"store i64 {target}, ptr %jt")
            self.ins(f"store i64 {pc}, ptr %jsrc")
            self.ins("br label %dispatch")

    def trap_unless(self, ok: str, status: str, trap, pc: int) -> None:
        """Continue in a fresh block when `ok` holds; trap otherwise."""
        self.tmp += 1
        tag = f"P{pc}.{self.tmp}"
        self.ins(f"br i1 {ok}, label %{tag}.ok, label %{tag}.trap")
        self.block(f"{tag}.trap")
        trap(status)
        self.block(f"{tag}.ok")

    # ---- straight-line instructions ----------------------------------------------------------------
    def straight(self, pc: int, trap) -> None:
        op, a, b, c = self.code[pc]
        if op == S.OP_LI:
            self.put(a, b)
        elif op == S.OP_MOV:
            self.put(a, self.get(b))
        elif op in BINARY:
            right = c if op in IMMEDIATE_FORMS else self.get(c)
            self.put(a, self.op(f"{BINARY[op]} i64 {self.get(b)}, {right}"))
        elif op in (S.OP_DIV, S.OP_MOD):
            d = self.get(c)
            self.trap_unless(self.op(f"icmp ne i64 {d}, 0"), "DIV_ZERO", trap, pc)
            x = self.get(b)
            minus1 = self.op(f"icmp eq i64 {d}, -1")
            safe = self.op(f"select i1 {minus1}, i64 1, i64 {d}")  # no sdiv INT_MIN, -1 (it traps in hardware)
            if op == S.OP_DIV:
                q = self.op(f"sdiv i64 {x}, {safe}")
                self.put(a, self.op(f"select i1 {minus1}, i64 {self.op(f'sub i64 0, {x}')}, i64 {q}"))
            else:
                self.put(a, self.op(f"srem i64 {x}, {safe}"))  # x % 1 == 0 == x % -1
        elif op in (S.OP_DIVI, S.OP_MODI):
            if c == 0:
                trap("DIV_ZERO")
                self.block(f"P{pc}.dead")  # the caller's continuation: unreachable, LLVM drops it
                return
            x = self.get(b)
            if c == -1:
                value = self.op(f"sub i64 0, {x}") if op == S.OP_DIVI else 0
            else:
                value = self.op(f"{'sdiv' if op == S.OP_DIVI else 'srem'} i64 {x}, {c}")
            self.put(a, value)
        elif op in (S.OP_SHL, S.OP_SHR, S.OP_SAR):
            self.put(a, self.shift(op, self.get(b), self.get(c)))
        elif op in (S.OP_SHLI, S.OP_SHRI, S.OP_SARI):
            self.put(a, self.shift_by_constant(op, self.get(b), c))
        elif op in (S.OP_SLT, S.OP_SLTI):
            right = c if op == S.OP_SLTI else self.get(c)
            less = self.op(f"icmp slt i64 {self.get(b)}, {right}")
            self.put(a, self.op(f"zext i1 {less} to i64"))
        elif op in (S.OP_LD, S.OP_ST):
            addr = self._address(pc, b, c, trap)
            ptr = self.op(f"getelementptr i64, ptr %mem, i64 {addr}")
            if op == S.OP_LD:
                self.put(a, self.op(f"load i64, ptr {ptr}"))
            else:
                self.ins(f"store i64 {self.get(a)}, ptr {ptr}")
        else:  # validated code has no other opcode
            raise AssertionError(f"instruction {pc}: opcode {op} is not straight-line")

    def _address(self, pc: int, base_reg: int, off: int, trap) -> str:
        """rb + off, trapping MEM_OOB unless 0 <= rb + off < size exactly. The wrapped sum compared unsigned is exact
        except where rb and off are both negative (the exact sum is < 0, the wrapped one may land in range): so for
        a negative offset the base must also be >= 0."""
        base = self.get(base_reg)
        addr = self.op(f"add i64 {base}, {off}")
        ok = self.op(f"icmp ult i64 {addr}, %size")
        if off < 0:
            ok = self.op(f"and i1 {ok}, {self.op(f'icmp sge i64 {base}, 0')}")
        self.trap_unless(ok, "MEM_OOB", trap, pc)
        return addr

    def shift(self, op: int, x: str, s: str) -> str:
        """Amounts are read unsigned: 64 or more (negatives included) give 0, or the sign fill for SAR."""
        in_range = self.op(f"icmp ult i64 {s}, 64")
        amount = self.op(f"and i64 {s}, 63")
        if op == S.OP_SAR:
            return self.op(f"ashr i64 {x}, {self.op(f'select i1 {in_range}, i64 {amount}, i64 63')}")
        shifted = self.op(f"{'shl' if op == S.OP_SHL else 'lshr'} i64 {x}, {amount}")
        return self.op(f"select i1 {in_range}, i64 {shifted}, i64 0")

    def shift_by_constant(self, op: int, x: str, s: int) -> str | int:
        if 0 <= s < 64:
            return self.op(f"{ {S.OP_SHLI: 'shl', S.OP_SHRI: 'lshr', S.OP_SARI: 'ashr'}[op]} i64 {x}, {s}")
        return self.op(f"ashr i64 {x}, 63") if op == S.OP_SARI else 0

    # ---- indirect jumps and the exit ----------------------------------------------------------------------------
    def dispatch(self) -> None:
        self.block("dispatch")
        target = self.op("load i64, ptr %jt")
        cases = " ".join(f"i64 {pc}, label {self.entry_label(pc)}" for pc in self.part if pc < self.n)
        if self.whole:  # no valid pc lies elsewhere
            self.ins(f"switch i64 {target}, label %badjump [ {cases} ]")
        else:  # a pc in another segment: CONTINUE there
            self.ins(f"switch i64 {target}, label %elsewhere [ {cases} ]")
            self.block("elsewhere")
            self.ins(f"br i1 {self.op(f'icmp ult i64 {target}, {self.n}')}, label %jumpout, label %badjump")
            self.block("jumpout")
            self.leave(CONTINUE, target, self.op("load i64, ptr %rem"))
        self.block("badjump")  # the JR/RET's own step was charged with its run: take it back
        src = self.op("load i64, ptr %jsrc")
        rem = self.op("load i64, ptr %rem")
        self.leave("BAD_PC", src, self.op(f"add i64 {rem}, 1"))

    def exit(self) -> None:
        """Registers back to memory; out = [pc, steps]. `regs` and `fuel` come back from out[3..4], where the entry put
        them: not kept in registers through the whole function, they leave two more for the ISA's registers."""
        self.block("exit")
        regs = self.op(f"load ptr, ptr {self.op('getelementptr i64, ptr %out, i64 4')}")
        for i in range(spec.NUM_REGS):
            p = self.op(f"getelementptr i64, ptr {regs}, i64 {i}")
            self.ins(f"store i64 {self.get(i)}, ptr {p}")
        self.ins(f"store i64 {self.op('load i64, ptr %xp')}, ptr %out")
        fuel = self.op(f"load i64, ptr {self.op('getelementptr i64, ptr %out, i64 3')}")
        steps = self.op(f"sub i64 {fuel}, {self.op('load i64, ptr %xk')}")
        self.ins(f"store i64 {steps}, ptr {self.op('getelementptr i64, ptr %out, i64 1')}")
        self.ins(f"ret i64 {self.op('load i64, ptr %xs')}")
