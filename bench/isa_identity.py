"""What an ISA answer depends on, as one hash: the key of every ISA record (`isa@<hash>`).

An answer of the register machine to a task's instance depends on (1) the program as assembled (its code and data
words, not the .s file's comments), (2) the instruction set's semantics (isa/spec.py, isa/ref.py: the tiers agree
with them by test), and (3) the code that turns the instance's text into memory and the final memory into the
answer: the task's own classes (bench/tasks) and the isa modules it names in `Task.isa_modules`. Python code is hashed
as its tokens without comments and docstrings, so an edit to a comment or a docstring keeps every record, and a
change to the code re-keys exactly the tasks that run it.
"""
from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import io
import tokenize
from pathlib import Path

from bench.tasks import Task

SEMANTICS = ("isa.spec", "isa.ref")  # what every ISA answer depends on, whatever the task
SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
        tokenize.ENDMARKER}


def docstring_lines(tree: ast.AST) -> set[int]:
    """The source lines of every docstring (a string literal as the first statement of a module, class or def)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value,
                                                                                                    str):
                lines.update(range(first.lineno, first.end_lineno + 1))
    return lines


def code_tokens(source: str) -> str:
    """The source's tokens, one space apart, without comments, docstrings or layout: stable across Python versions."""
    skip_lines = docstring_lines(ast.parse(source))
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in SKIP or (tok.type == tokenize.STRING and tok.start[0] in skip_lines):
            continue
        out.append(tok.string)
    return " ".join(out)


@functools.cache
def module_digest(name: str) -> str:
    path = Path(importlib.import_module(name).__file__)
    return hashlib.sha256(code_tokens(path.read_text(encoding="utf-8")).encode()).hexdigest()


def program_words(task: Task) -> bytes:
    """The task's program as assembled: code and data words (nothing when the instance is the program)."""
    if not task.program:
        return b""
    from isa.asm import assemble_file
    from isa.layouts import PROGRAM_DIR

    program = assemble_file(PROGRAM_DIR / f"{task.program}.s", name=task.program)
    return program.trusted_code().tobytes() + b"|" + program.data.tobytes()


def task_modules(task: Task) -> list[str]:
    own = [c.__module__ for c in type(task).__mro__ if c.__module__.startswith("bench.tasks")]
    return sorted({*SEMANTICS, *own, *task.isa_modules})


@functools.cache
def code_identity(modules: tuple[str, ...], words: bytes = b"") -> str:
    """12 hex digits over a program's words, the instruction set's semantics and the code of `modules`."""
    digest = hashlib.sha256(words)
    for module in sorted({*SEMANTICS, *modules}):
        digest.update(f"\0{module}\0{module_digest(module)}".encode())
    return digest.hexdigest()[:12]


@functools.cache
def isa_identity(task: Task) -> str:
    """The 12-hex-digit hash that keys the task's ISA records."""
    return code_identity(tuple(task_modules(task)), program_words(task))
