"""The disassembler: Program -> assembly text that assembles back to the same code and data.

Jump targets get synthetic labels `L<index>`; every instruction carries its index as a comment so traces and
trap messages (which speak in pcs) can be read against the listing.
"""
from __future__ import annotations

from isa import spec
from isa.program import Program

WORDS_PER_LINE = 8


def format_instruction(words, label_of=lambda target: f"L{target}") -> str:
    """One instruction `[opcode, a, b, c]` as assembly, e.g. 'ld r1, [r2 + 3]'."""
    op = spec.BY_CODE[int(words[0])]
    parts, slot = [], 1
    for kind in op.operands:
        value = int(words[slot])
        if kind == "r":
            parts.append(f"r{value}")
        elif kind == "i":
            parts.append(str(value))
        elif kind == "l":
            parts.append(label_of(value))
        else:
            off = int(words[slot + 1])
            if off == 0:
                parts.append(f"[r{value}]")
            elif off < 0 and off != spec.INT64_MIN:
                parts.append(f"[r{value} - {-off}]")
            else:
                parts.append(f"[r{value} + {off}]")
        slot += spec.OPERAND_FIELDS[kind]
    return f"{op.name} {', '.join(parts)}" if parts else op.name


def jump_targets(program: Program) -> set[int]:
    targets = set()
    for words in program.code:
        op = spec.BY_CODE[int(words[0])]
        slot = 1
        for kind in op.operands:
            if kind == "l":
                targets.add(int(words[slot]))
            slot += spec.OPERAND_FIELDS[kind]
    return targets


def disassemble(program: Program) -> str:
    targets = jump_targets(program)
    out = [f"; {program.name}: {len(program.code)} instructions, {len(program.data)} data words"]
    if len(program.data):
        out.append(".data")
        out += _data_lines(program.data.tolist())
        out.append(".text")
    for pc, words in enumerate(program.code):
        if pc in targets:
            out.append(f"L{pc}:")
        out.append(f"    {format_instruction(words):<36} ; {pc}")
    return "\n".join(out) + "\n"


def _data_lines(words: list[int]) -> list[str]:
    lines, i = [], 0
    while i < len(words):
        j = i
        while j < len(words) and words[j] == 0:
            j += 1
        if j - i >= 2:  # runs of zeros (the usual buffers) as .zero
            lines.append(f"    .zero {j - i:<30} ; {i}")
            i = j
            continue
        chunk = []
        while i < len(words) and len(chunk) < WORDS_PER_LINE and not (words[i] == 0 and i + 1 < len(words) and words[i + 1] == 0):
            chunk.append(words[i])
            i += 1
        lines.append(f"    .word {', '.join(map(str, chunk)):<30} ; {i - len(chunk)}")
    return lines
