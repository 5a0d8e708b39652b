"""Named prompt formats: how a question is put to a language model, and how solved examples (shots) precede it.

- `compact`: the embedded model's training format, e.g. `98+45=` with the answer right after it; shots are earlier
  lines (`12+5=17\n98+45=`).
- `gpt3`: the wording of the GPT-3 paper (Brown et al. 2020, section 3.9.1, Table 3.9), e.g.
  `Q: What is 98 plus 45?\n\nA:` with the answer after one space; shots are solved questions before it, separated by
  a blank line, as in the paper.

A run's format, shot count and shot seed shape every prompt, so all three are part of every record's key, the run
folder's name and its metadata.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PromptFormat:
    name: str
    answer_prefix: str  # between a question and its answer in a solved example
    separator: str  # between solved examples, and before the question
    description: str


FORMATS: dict[str, PromptFormat] = {f.name: f for f in (
    PromptFormat("compact", "", "\n", "the embedded model's training format: 98+45="),
    PromptFormat("gpt3", " ", "\n\n", "the GPT-3 paper's wording: Q: What is 98 plus 45?\\n\\nA:"),
)}


@dataclass(frozen=True)
class PromptSpec:
    format: str = "compact"
    shots: int = 0  # solved examples from the training split before each question
    seed: int = 0  # which examples: drawn per instance from this seed

    def key(self) -> str:
        """The prompt options as they enter record keys: the shot seed only matters when there are shots."""
        return f"{self.format}/{self.shots}shot" + (f"/s{self.seed}" if self.shots else "")


def check_format(task, fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown prompt format {fmt!r}; known formats: {', '.join(FORMATS)}")
    if fmt not in task.formats:
        raise ValueError(f"task {task.name} has no {fmt!r} prompt format; it has: {', '.join(task.formats)}")
