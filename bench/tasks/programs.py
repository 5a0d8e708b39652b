"""The program a solved example shows, for every task that opts in to the hybrid contestant, in one place.

A hybrid prompt shows questions each followed by `Program:` and a straight-line program in the project's assembly
(isa/ISA.md) that leaves the answer in r1 and halts; the model writes one for the last question and the register
machine runs it. One format for every task: the numbers are loaded in the expression's order into r2, r3, ...; each
operation writes its left operand's register, and the last one writes r1.

    task     instance                 program
    add      98 + 45                  li r2, 98 / li r3, 45 / add r1, r2, r3 / halt
    sub      3 - 98765                li r2, 3 / li r3, 98765 / sub r1, r2, r3 / halt
    mul      99 * 99                  li r2, 99 / li r3, 99 / mul r1, r2, r3 / halt
    square   12345                    li r2, 12345 / li r3, 12345 / mul r1, r2, r3 / halt
    expr     (6 + 7) * 3              li r2, 6 / li r3, 7 / add r2, r2, r3 / li r3, 3 / mul r1, r2, r3 / halt
    svamp    its equation             the same, from the problem's equation (div for a division)
    emulate  a listing                the listing itself (the instance is a program already)

The machine's words are 64-bit: a level whose answers can leave int64 (square past 9 digits, say) is beyond what
a program's r1 can hold, and the hybrid says so for each such instance.
"""
from __future__ import annotations

OPS = {"+": "add", "-": "sub", "*": "mul", "/": "div"}

Tree = "int | tuple[str, Tree, Tree]"  # an expression: a number, or (operator, left, right)


def straight_line(tree) -> str:
    """The program of an expression tree, in the format above."""
    return "\n".join([*_lines(tree, 2, 1), "halt"]) + "\n"


def _lines(tree, free: int, target: int | None = None) -> list[str]:
    """Lines that leave `tree`'s value in r<target> (default r<free>), using registers from r<free> up."""
    into = free if target is None else target
    if isinstance(tree, int):
        return [f"li r{into}, {tree}"]
    op, left, right = tree
    return [*_lines(left, free), *_lines(right, free + 1), f"{OPS[op]} r{into}, r{free}, r{free + 1}"]


def tree_of_rpn(rpn: list[str]):
    """An expression tree from postfix tokens (numbers and + - * /)."""
    stack: list = []
    for tok in rpn:
        if tok in OPS:
            right, left = stack.pop(), stack.pop()
            stack.append((tok, left, right))
        else:
            stack.append(int(tok))
    [tree] = stack
    return tree
