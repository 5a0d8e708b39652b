"""`isabench asm FILE.s`: print the disassembly, or --run the program and print how it ended.

The run's memory size and fuel come from --mem and --fuel, else from the file's own `; run: mem=N fuel=N` line (the
library programs and golden cases carry one), else the data image's size and DEFAULT_FUEL. A library program
(isa/programs/NAME.s, or any file with the same code) also prints its answer, decoded by the library's binding from
the input its data section holds.

Exit status: 0 assembled (and, with --run, halted); 1 the run trapped (status, trap name and pc are printed);
2 the file is missing, does not assemble, or an option is out of range (the error goes to stderr).
"""
from __future__ import annotations

import argparse
import os
import re
import sys

from isa import spec
from isa.machine import DEFAULT_FUEL, TIERS

TRACE_LIMIT = 1000  # steps shown by --trace unless --trace-limit says otherwise
RUN_LINE = re.compile(r"^\s*;\s*run:\s*(.+?)\s*$", re.M)


def _bounded(name: str, top: int):
    def parse(text: str) -> int:
        try:
            value = int(text) if text.lstrip("+-").isdigit() else int(text, 0)  # 0x.. and 0b.. too
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not 0 <= value <= top:
            raise argparse.ArgumentTypeError(f"{text} is out of range: {name} must be in 0..{top}")
        return value

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE.s", help="assembly source")
    parser.add_argument("--run", action="store_true", help="run it and print status, steps and non-zero registers")
    parser.add_argument("--fuel", type=_bounded("fuel", spec.INT64_MAX), default=None,
                        help=f"step limit, at most 2**63 - 1 (default: the file's '; run: fuel=N', else {DEFAULT_FUEL})")
    parser.add_argument("--mem", type=_bounded("the memory size", spec.MAX_MEMORY_WORDS), default=None,
                        help="memory size in words, at most 2**26 (default: the file's '; run: mem=N', else the data "
                             "image)")
    parser.add_argument("--trace", action="store_true",
                        help="print each executed instruction (always on the reference tier, first --trace-limit "
                             "steps), then the result on --tier")
    parser.add_argument("--trace-limit", type=int, default=TRACE_LIMIT, help="steps traced (default %(default)s)")
    parser.add_argument("--tier", choices=TIERS, default=None, help="tier for --run (default jit)")
    parser.add_argument("--backend", choices=TIERS, default=None, help="the old name of --tier")


def run_options(source: str) -> dict[str, int]:
    """{'mem': N, 'fuel': N} from a file's `; run:` lines (the golden cases' convention)."""
    out = {}
    for line in RUN_LINE.findall(source):
        for item in line.split():
            key, _, value = item.partition("=")
            if key in ("mem", "fuel") and value.lstrip("-").isdigit():
                out[key] = int(value)
    return out


def main(args: argparse.Namespace) -> int:
    try:
        return _main(args)
    except BrokenPipeError:  # `isabench asm x.s --trace | head`: the reader left; not an error of ours
        sys.stdout = open(os.devnull, "w")
        return 0


def _main(args: argparse.Namespace) -> int:
    from isa.asm import AsmError, assemble_file
    from isa.disasm import disassemble

    try:
        program = assemble_file(args.file)
    except (AsmError, FileNotFoundError, IsADirectoryError, PermissionError) as e:
        print(f"isabench asm: {e}", file=sys.stderr)
        return 2
    if not (args.run or args.trace):
        sys.stdout.write(disassemble(program))
        return 0
    if args.tier and args.backend and args.tier != args.backend:
        print(f"isabench asm: --tier {args.tier} and --backend {args.backend} disagree (--backend is the old name)",
              file=sys.stderr)
        return 2
    own = run_options(open(args.file, encoding="utf-8").read())
    mem = args.mem if args.mem is not None else own.get("mem")
    fuel = args.fuel if args.fuel is not None else own.get("fuel", DEFAULT_FUEL)
    where = "" if args.mem is not None else " (from the file's '; run:' line)"
    problem = (f"fuel {fuel} is out of range 0..{spec.INT64_MAX}" if not 0 <= fuel <= spec.INT64_MAX else
               f"memory size {mem}{where} is over the limit of {spec.MAX_MEMORY_WORDS} words"
               if mem is not None and mem > spec.MAX_MEMORY_WORDS else
               f"--mem {mem}{where} is smaller than the data image ({len(program.data)} words)"
               if mem is not None and mem < len(program.data) else "")
    if problem:
        print(f"isabench asm: {problem}", file=sys.stderr)
        return 2
    tier = args.tier or args.backend or "jit"
    if args.trace:
        if tier != "ref":  # the trace needs the interpreter's per-step hook: only the reference tier has one
            print(f"isabench asm: the trace runs on the reference tier (isa/ref.py), the only one that can show each "
                  f"step; the result after it ran on the {tier} tier (the same semantics)", file=sys.stderr)
        trace(program, mem, min(fuel, max(args.trace_limit, 0)))
    return report(program, mem, fuel, tier)


def trace(program, mem_size, steps: int) -> None:
    """Print the first `steps` instructions as the reference tier executes them, with the registers they read."""
    from isa import ref
    from isa.disasm import format_instruction

    def show(pc: int, regs: list[int]) -> None:
        words = program.code[pc]
        op, reads, slot = spec.BY_CODE[int(words[0])], [], 1
        for i, kind in enumerate(op.operands):
            writes = i == 0 and op.semantics.startswith("rd =")  # show what is read, not the old destination
            if kind in "rm" and not writes:
                reads.append(int(words[slot]))
            slot += spec.OPERAND_FIELDS[kind]
        if op.name == "ret":
            reads.append(spec.LINK_REG)
        values = " ".join(f"r{r}={regs[r]}" for r in dict.fromkeys(reads))
        line = program.line_of(pc)
        print(f"{pc:6d}  {format_instruction(words):<32} {values:<28} ; line {line}" if line else
              f"{pc:6d}  {format_instruction(words):<32} {values}".rstrip())

    mem = program.initial_memory(mem_size).tolist()
    status, pc, done = ref.execute(program.trusted_code().tolist(), mem, [0] * spec.NUM_REGS, steps, trace=show)
    if status == spec.Status.OUT_OF_FUEL:
        print(f"... trace stops after {done} steps (--trace-limit); the run continues")


def library_answer(program, result) -> str | None:
    """The answer, when `program` is a library program (same code as isa/programs/NAME.s for its file's stem)."""
    from isa import library

    name = program.name
    if name not in library.PROGRAMS or library.load(name).trusted_code().tobytes() != program.trusted_code().tobytes():
        return None
    try:
        return str(library.image_answer(name, program, result))
    except (library.LibraryInputError, ValueError, KeyError, IndexError) as e:
        return f"unreadable ({e})"


def report(program, mem_size, fuel: int, tier: str) -> int:
    from isa.machine import run

    result = run(program, mem_size, fuel=fuel, tier=tier)
    where = f" (line {result.line})" if result.line is not None else ""
    print(f"status {result.status.name} at pc {result.pc}{where}")
    print(f"steps {result.steps}")
    if result.ok:
        answer = library_answer(program, result)
        if answer is not None:
            print(f"answer {answer}")
    for r, value in enumerate(result.regs.tolist()):
        if value:
            print(f"r{r} = {value}")
    return 0 if result.ok else 1
