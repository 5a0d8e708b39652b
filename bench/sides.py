"""The registry of answering sides: one row per side, found by name (as bench/cli.py finds its commands).

A side is a module with a `Side` subclass (bench/side.py says what one does). Modules are imported by name only when
a run uses them, so `isabench run --backends isa` never imports torch, and no side module imports this registry: a
new side (the hybrid composes the other two) is one module and one row here.
"""
from __future__ import annotations

import importlib

from bench.side import Contestant, Side, SideOptions, SideUnavailable

# name -> (module, class, what it is)
SIDES: dict[str, tuple[str, str, str]] = {
    "isa": ("bench.side_isa", "IsaSide", "the register machine: the task's program of the finite instruction set"),
    "llm": ("bench.side_llm", "LlmSide", "a language model: generation, log-likelihood of labels, or a task head"),
    "hybrid": ("bench.side_hybrid", "HybridSide", "a language model writes a program, the register machine runs it"),
    "reference": ("bench.side_reference", "ReferenceSide", "the task's own answer (tests the scoring path)"),
}
BACKENDS = tuple(SIDES)

__all__ = ["BACKENDS", "SIDES", "Contestant", "Side", "SideOptions", "SideUnavailable", "make_side"]


def make_side(name: str, options: SideOptions) -> Side:
    if name not in SIDES:
        raise ValueError(f"unknown backend {name!r}; choose from {', '.join(BACKENDS)}")
    module, cls, _ = SIDES[name]
    return getattr(importlib.import_module(module), cls)(options)
