"""The task registry: every task both sides answer, by name."""
from __future__ import annotations

from .arith import Add, Mul, Square, Sub
from .base import STOP, Instance, IsaAnswer, Score, Task, TaskInputError
from .expr import Expr
from .wordfreq import WordFreq

TASKS: dict[str, Task] = {t.name: t for t in (Square(), Add(), Sub(), Mul(), Expr(), WordFreq())}


def task_names() -> list[str]:
    return list(TASKS)


def get_task(name: str) -> Task:
    try:
        return TASKS[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r}; known tasks: {', '.join(TASKS)}") from None


__all__ = ["STOP", "TASKS", "Instance", "IsaAnswer", "Score", "Task", "TaskInputError", "get_task", "task_names"]
