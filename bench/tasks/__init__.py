"""The task registry: every task both sides answer, by name."""
from __future__ import annotations

from .arith import Add, Mul, Square, Sub
from .base import STOP, Instance, IsaAnswer, Score, Task, TaskInputError
from .emulate import Emulate
from .expr import Expr
from .prompts import FORMATS, PromptSpec
from .sentiment import Sentiment
from .svamp import Svamp
from .wordfreq import WordFreq

TASKS: dict[str, Task] = {t.name: t for t in (Square(), Add(), Sub(), Mul(), Expr(), WordFreq(), Sentiment(),
                                              Emulate(), Svamp())}


def task_names() -> list[str]:
    return list(TASKS)


def get_task(name: str) -> Task:
    try:
        return TASKS[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r}; known tasks: {', '.join(TASKS)}") from None


__all__ = ["FORMATS", "STOP", "TASKS", "Instance", "IsaAnswer", "PromptSpec", "Score", "Task", "TaskInputError",
           "get_task", "task_names"]
