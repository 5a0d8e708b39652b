"""The instruction set: the one place that defines every opcode, its operand shape and its semantics.

The assembler, the disassembler, both interpreters and the generated reference (isa/ISA.md) read this table.

Machine model
-------------
- 16 general-purpose int64 registers r0..r15; `lr` is another name for r15, the register CALL writes.
- Word-addressed int64 memory of a size chosen per run, at most 2**26 words (MAX_MEMORY_WORDS, 512 MiB); the
  program's data section is laid at address 0.
- Fixed-width instructions: each is four int64 words `[opcode, a, b, c]`; operands fill a, b, c in order and a
  memory operand `[rb + off]` fills two of them (base register, then offset).
- Execution starts at pc 0 and ends at HALT or at a trap.

Arithmetic is 64-bit two's complement with wrap-around in every tier. Division truncates towards zero and the
remainder takes the dividend's sign (as in C); INT_MIN / -1 wraps to INT_MIN and INT_MIN % -1 is 0. A shift amount
is read as unsigned: amounts of 64 or more (and negative ones) give 0 for SHL and SHR, and the sign fill
(0 or -1) for SAR.

Memory addresses are exact sums (no wrap-around): `[rb + off]` traps MEM_OOB unless 0 <= rb + off < mem_size
as mathematical integers, even where the wrapped 64-bit sum would land inside memory.

Steps and traps: `steps` counts executed instructions, HALT included, up to a fuel of at most 2**63 - 1. An instruction that traps is not counted and
changes nothing; the run stops with pc at it. Before each instruction, if steps == fuel the run stops with
OUT_OF_FUEL (pc at the instruction that did not run). Running past the last instruction stops with BAD_PC and
pc == program length (checked before fuel: there is no instruction there to run); a JR or RET to an address outside
the program traps BAD_PC at the JR or RET itself. Invalid opcodes, register numbers and jump targets (and non-zero
unused operand words) are rejected when a program is loaded, so they never reach a run.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

NUM_REGS = 16
LINK_REG = 15
INSTR_WIDTH = 4  # words per instruction: opcode, a, b, c
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
MAX_MEMORY_WORDS = 1 << 26  # per run (512 MiB): a data image or memory size beyond this is refused, not allocated

# Operand kinds, one letter each, in assembly order:
#   r  register r0..r15 (one field)
#   i  immediate: an int64, a named constant (.equ), a label's address or a character literal (one field)
#   l  code label: an instruction index, checked at load time (one field)
#   m  memory operand `[rb]`, `[rb + off]` or `[rb - off]` (two fields: base register, offset)
OPERAND_FIELDS = {"r": 1, "i": 1, "l": 1, "m": 2}


class Status(enum.IntEnum):
    """How a run ended. HALTED is success; everything else is a trap, reported with the pc where it happened."""

    HALTED = 0
    OUT_OF_FUEL = 1  # the step limit given for the run was reached
    DIV_ZERO = 2  # DIV, MOD, DIVI or MODI by zero
    MEM_OOB = 3  # a load or store outside [0, mem_size)
    BAD_PC = 4  # execution ran past the last instruction, or JR/RET to an address outside the program


@dataclass(frozen=True)
class Op:
    code: int
    name: str  # mnemonic as written in assembly (case-insensitive there)
    operands: str  # operand kinds, see OPERAND_FIELDS
    semantics: str  # one line, in terms of the fields: rd/ra/rb registers, imm immediate, L label
    group: str


def _ops() -> tuple[Op, ...]:
    table = [
        ("halt", "", "stop the run with status HALTED", "control"),
        ("li", "ri", "rd = imm", "move"),
        ("mov", "rr", "rd = ra", "move"),
        ("add", "rrr", "rd = ra + rb (wraps)", "arithmetic"),
        ("sub", "rrr", "rd = ra - rb (wraps)", "arithmetic"),
        ("mul", "rrr", "rd = ra * rb (low 64 bits)", "arithmetic"),
        ("div", "rrr", "rd = ra / rb truncated towards zero; rb == 0 traps DIV_ZERO", "arithmetic"),
        ("mod", "rrr", "rd = ra % rb with the sign of ra; rb == 0 traps DIV_ZERO", "arithmetic"),
        ("and", "rrr", "rd = ra & rb", "bitwise"),
        ("or", "rrr", "rd = ra | rb", "bitwise"),
        ("xor", "rrr", "rd = ra ^ rb", "bitwise"),
        ("shl", "rrr", "rd = ra << rb; 0 when rb is not in 0..63", "bitwise"),
        ("shr", "rrr", "rd = ra >> rb, logical (zero fill); 0 when rb is not in 0..63", "bitwise"),
        ("sar", "rrr", "rd = ra >> rb, arithmetic (sign fill); sign fill when rb is not in 0..63", "bitwise"),
        ("addi", "rri", "rd = ra + imm (wraps)", "arithmetic"),
        ("subi", "rri", "rd = ra - imm (wraps)", "arithmetic"),
        ("muli", "rri", "rd = ra * imm (low 64 bits)", "arithmetic"),
        ("divi", "rri", "rd = ra / imm truncated towards zero; imm == 0 traps DIV_ZERO", "arithmetic"),
        ("modi", "rri", "rd = ra % imm with the sign of ra; imm == 0 traps DIV_ZERO", "arithmetic"),
        ("andi", "rri", "rd = ra & imm", "bitwise"),
        ("ori", "rri", "rd = ra | imm", "bitwise"),
        ("xori", "rri", "rd = ra ^ imm", "bitwise"),
        ("shli", "rri", "rd = ra << imm; 0 when imm is not in 0..63", "bitwise"),
        ("shri", "rri", "rd = ra >> imm, logical; 0 when imm is not in 0..63", "bitwise"),
        ("sari", "rri", "rd = ra >> imm, arithmetic; sign fill when imm is not in 0..63", "bitwise"),
        ("slt", "rrr", "rd = 1 if ra < rb (signed) else 0", "compare"),
        ("slti", "rri", "rd = 1 if ra < imm (signed) else 0", "compare"),
        ("ld", "rm", "rd = mem[rb + off]; MEM_OOB unless 0 <= rb + off < mem_size", "memory"),
        ("st", "rm", "mem[rb + off] = ra; MEM_OOB unless 0 <= rb + off < mem_size", "memory"),
        ("jmp", "l", "pc = L", "control"),
        ("beq", "rrl", "if ra == rb: pc = L", "control"),
        ("bne", "rrl", "if ra != rb: pc = L", "control"),
        ("blt", "rrl", "if ra < rb (signed): pc = L", "control"),
        ("bge", "rrl", "if ra >= rb (signed): pc = L", "control"),
        ("beqi", "ril", "if ra == imm: pc = L", "control"),
        ("bnei", "ril", "if ra != imm: pc = L", "control"),
        ("blti", "ril", "if ra < imm (signed): pc = L", "control"),
        ("bgei", "ril", "if ra >= imm (signed): pc = L", "control"),
        ("call", "l", "lr = pc + 1; pc = L (lr is r15)", "control"),
        ("ret", "", "pc = lr; BAD_PC unless 0 <= lr < program length", "control"),
        ("jr", "r", "pc = ra; BAD_PC unless 0 <= ra < program length", "control"),
    ]
    return tuple(Op(code, name, shape, sem, group) for code, (name, shape, sem, group) in enumerate(table))


OPS: tuple[Op, ...] = _ops()
BY_NAME: dict[str, Op] = {op.name: op for op in OPS}
BY_CODE: dict[int, Op] = {op.code: op for op in OPS}
# Integer constants for the interpreters: OP_HALT, OP_LI, ... (Numba folds module-level ints into the code).
globals().update({f"OP_{op.name.upper()}": op.code for op in OPS})
NUM_OPS = len(OPS)


def fields(op: Op) -> int:
    """How many of the three operand words the op uses."""
    return sum(OPERAND_FIELDS[k] for k in op.operands)


def wrap64(x: int) -> int:
    """Python int -> the int64 it wraps to (the reference interpreter's one arithmetic rule)."""
    x &= (1 << 64) - 1
    return x - (1 << 64) if x >> 63 else x


# ---- the generated reference (isa/ISA.md) -------------------------------------------------------------------------

SYNTAX = """\
```
; comment to end of line (also '#')
.equ WIDTH, 10          ; named constant (usable wherever an immediate is)
.data                   ; data section: words laid into memory from address 0 in order
table:  .word 1, -2, 0x10, 'a'     ; initial words; a label here names a memory address
buf:    .zero 16        ; 16 zeroed words
.text                   ; code section (the default at the start of a file); execution starts at the first instruction
loop:   addi r1, r1, -1 ; mnemonics and register names are case-insensitive; labels are case-sensitive
        ld   r2, [r3 + 4]        ; also [r3], [r3 - 2], [r3 + WIDTH]
        st   r2, [r3]
        li   r4, buf    ; a data label as an immediate = its address
        bnei r1, 0, loop
        call func       ; lr = return address
        halt
func:   ret
```

- Immediates: decimal, hex (`0x..`), binary (`0b..`), negative (`-5`, `-0x10`), character literals (`'a'`, `' '`,
  `'\\n'`, `'\\t'`, `'\\r'`, `'\\0'`, `'\\\\'`, `'\\''`), `.equ` names and labels (a code label is its instruction
  index, a data label its address), each optionally negated with `-`. Values must fit int64; hex and binary up to
  `0xFFFFFFFFFFFFFFFF` are read as the two's-complement bit pattern (`0xFFFFFFFFFFFFFFFF` is -1).
- Jump targets (`L` operands) must be code labels. Memory offsets and `.zero` counts may not be code labels;
  `.word` may hold them (a jump table for `jr`). `.equ` and `.zero` values may only use symbols defined above them.
- A label may stand alone on its line or precede an instruction or directive; several may share a line. Labels,
  constants and register names (`r0`..`r15`, `lr`) share one namespace: no symbol may be defined twice or be named
  like a register.
- `.data` and `.text` may alternate; each section continues where it left off. Data starts at memory address 0.
- `program.symbols` maps every label and constant to its value, so Python code can find where to put inputs.
- Every error is an `AsmError` reading `FILE:LINE:COL: error: PROBLEM: got 'TOKEN', expected WHAT`.
"""

RUNNING = """\
- `isa.machine.run(program, mem_size=None, *, memory=None, fuel=100_000_000, tier="jit", regs=None)` runs once on
  one of `isa.machine.TIERS`: `"ref"` the plain-Python reference, `"jit"` the Numba-compiled interpreter (the
  default), `"compiled"` the program itself compiled to native code through LLVM (isa/compiled.py; objects cached
  per code hash in memory and in `$ISABENCH_CACHE_DIR/compiled`, default `~/.cache/isabench/compiled`). All give the
  same status, pc, steps, registers and memory for every program. `backend=` is the old name of `tier`.
- `run_batch(program, memories, *, fuel=..., regs=None, tier="jit", threads=None)` runs one program over many
  memories in one native call (`"jit"` or `"compiled"`) on `threads` threads (default `$ISABENCH_ISA_THREADS`, else
  1); a ragged list of memories is zero-padded in the result, but each row runs with its own size. Results record
  the `tier`, the `threads` used, `machine_s` (seconds inside the native call) and `compile_s` (set-up this call
  spent compiling or loading native code).
- `isabench asm FILE.s` prints the disassembly; `--run` runs it and prints the status (with the trap name, pc and
  source line), the steps, the answer (library programs, decoded from the input in their data section) and the
  non-zero registers; `--trace` prints the first `--trace-limit` executed instructions (reference tier) with the
  registers they read. `--fuel N` (at most 2**63 - 1), `--mem N` (at most 2**26) and `--tier` (`--backend` is its
  old name) set the run; without them the file's own `; run: mem=N fuel=N` line does. Exit status: 0 halted (or
  disassembled), 1 the run trapped, 2 the file is missing or does not assemble (the located error goes to stderr)
  or an option is out of range.
- The assembler refuses a data section of more than 2**26 words in all, and a jump to a label that follows the last
  instruction (it marks no instruction), each at the line that causes it.
"""


def render_reference() -> str:
    """The text of isa/ISA.md, generated from this module (tests assert the committed file equals it)."""
    doc = __doc__.strip().split("\n", 1)[1].strip()  # the module docstring minus its title line
    doc = doc.replace("Machine model\n-------------", "## Machine model")
    out = ["# The isabench instruction set", "",
           "Generated from `isa/spec.py` by `python -m isa.spec`; do not edit by hand.", "", doc, "",
           "## Statuses", "", "| code | status | meaning |", "|---:|---|---|"]
    meanings = {Status.HALTED: "HALT executed: success", Status.OUT_OF_FUEL: "the step limit given for the run",
                Status.DIV_ZERO: "DIV, MOD, DIVI or MODI by zero", Status.MEM_OOB: "a load or store outside [0, mem_size)",
                Status.BAD_PC: "ran past the last instruction, or JR/RET to an address outside the program"}
    out += [f"| {int(s)} | `{s.name}` | {meanings[s]} |" for s in Status]
    out += ["", "## Instructions", "",
            "Operand kinds: `rd`, `ra`, `rb` registers; `imm` an immediate; `L` a code label; `[rb + off]` a memory "
            "operand (base register and offset). Encoding: `[opcode, a, b, c]`, operands in order, unused words 0.",
            "", "| opcode | assembly | semantics | group |", "|---:|---|---|---|"]
    for op in OPS:
        out.append(f"| {op.code} | `{_example(op)}` | {op.semantics.replace('|', chr(92) + '|')} | {op.group} |")
    out += ["", "## Assembly language", "", SYNTAX, "## Running", "", RUNNING]
    return "\n".join(out)


def _example(op: Op) -> str:
    names = {"r": iter(["rd", "ra", "rb"]) if op.semantics.startswith("rd =") else iter(["ra", "rb"])}
    parts = []
    for kind in op.operands:
        if kind == "r":
            parts.append(next(names["r"]))
        elif kind == "i":
            parts.append("imm")
        elif kind == "l":
            parts.append("L")
        else:
            parts.append("[rb + off]")
    return f"{op.name} {', '.join(parts)}" if parts else op.name


if __name__ == "__main__":
    from pathlib import Path

    target = Path(__file__).with_name("ISA.md")
    target.write_text(render_reference())
    print(f"wrote {target}")
