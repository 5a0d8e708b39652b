"""`isabench asm FILE.s`: print the disassembly, or --run the program and print how it ended.

Exit status: 0 assembled (and, with --run, halted); 1 the run trapped (status, trap name and pc are printed);
2 the file is missing or does not assemble (the located error goes to stderr).
"""
from __future__ import annotations

import argparse
import os
import sys

from isa import spec
from isa.machine import DEFAULT_FUEL

TRACE_LIMIT = 1000  # steps shown by --trace unless --trace-limit says otherwise


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE.s", help="assembly source")
    parser.add_argument("--run", action="store_true", help="run it and print status, steps and non-zero registers")
    parser.add_argument("--fuel", type=int, default=DEFAULT_FUEL, help="step limit (default %(default)s)")
    parser.add_argument("--mem", type=int, default=None, help="memory size in words (default: the data image)")
    parser.add_argument("--trace", action="store_true",
                        help="print each executed instruction (reference tier, first --trace-limit steps)")
    parser.add_argument("--trace-limit", type=int, default=TRACE_LIMIT, help="steps traced (default %(default)s)")
    parser.add_argument("--backend", choices=["jit", "ref"], default="jit", help="tier for --run (default jit)")


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
    if args.fuel < 0 or (args.mem is not None and args.mem < len(program.data)):
        what = f"--fuel {args.fuel} is negative" if args.fuel < 0 else \
            f"--mem {args.mem} is smaller than the data image ({len(program.data)} words)"
        print(f"isabench asm: {what}", file=sys.stderr)
        return 2
    if args.trace:
        trace(program, args.mem, min(args.fuel, max(args.trace_limit, 0)))
    return report(program, args.mem, args.fuel, args.backend)


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
    status, pc, done = ref.execute(program.code.tolist(), mem, [0] * spec.NUM_REGS, steps, trace=show)
    if status == spec.Status.OUT_OF_FUEL:
        print(f"... trace stops after {done} steps (--trace-limit); the run continues")


def report(program, mem_size, fuel: int, backend: str) -> int:
    from isa.machine import run

    result = run(program, mem_size, fuel=fuel, backend=backend)
    where = f" (line {result.line})" if result.line is not None else ""
    print(f"status {result.status.name} at pc {result.pc}{where}")
    print(f"steps {result.steps}")
    for r, value in enumerate(result.regs.tolist()):
        if value:
            print(f"r{r} = {value}")
    return 0 if result.ok else 1
