"""`--gen-kwargs`: generation settings in lm-evaluation-harness's form, e.g. `max_new_tokens=32,until=["\\n","Q:"]`.

They shape a generated answer, so a run that sets them keys its generated records by them (the LLM contestant's
`setting`), names its folder by them and writes them into meta.json and the report. What isabench knows:

- `max_new_tokens` (lm-eval's `max_gen_toks` too): every answer's budget of new tokens, instead of each task's own
  budget for each instance (generous for its answer's length: bench/tasks/*.py `max_new_tokens`);
- `until`: the stop strings, a JSON list (`until=["\\n","Q:"]`) or one string (`until=Q:`), instead of a newline;
  the reply is cut before the first one, and both answer rules then read its first line (bench/tasks/replies.py);
- `do_sample=false` and `temperature=0` are accepted and change nothing: isabench decodes greedily.

Any other name is refused with the list above, as is a value of the wrong kind.
"""
from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass

MAX_TOKENS = 65_536  # far beyond any answer here: a larger budget is surely a typo
KNOWN = ("max_new_tokens (or max_gen_toks): a positive integer", 'until: stop strings, ["\\n","Q:"] or one string',
         "do_sample=false", "temperature=0")


@dataclass(frozen=True)
class GenKwargs:
    max_new_tokens: int | None = None  # None: each task's own budget per instance
    until: tuple[str, ...] | None = None  # None: a newline (bench.tasks.STOP)

    def __bool__(self) -> bool:
        return self.max_new_tokens is not None or self.until is not None

    def as_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in
                (("max_new_tokens", self.max_new_tokens), ("until", self.until)) if v is not None}

    def key(self) -> str:
        """The settings as they enter record keys: lm-eval's form, names sorted, values as JSON."""
        return ",".join(f"{k}={json.dumps(v, separators=(',', ':'))}" for k, v in sorted(self.as_dict().items()))

    def short(self) -> str:
        """A folder name's part: a hash of the key (the key itself holds quotes and newlines)."""
        return "gen-" + hashlib.sha256(self.key().encode()).hexdigest()[:8]


def split_top_level(text: str) -> list[str]:
    """`a=1,b=["x","y"]` -> ['a=1', 'b=["x","y"]']: commas inside brackets or quotes do not separate."""
    parts, depth, quoted, escaped, start = [], 0, False, False, 0
    for i, c in enumerate(text):
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == '"':
            quoted = not quoted
        elif not quoted and c in "[]":
            depth += 1 if c == "[" else -1
        elif not quoted and depth == 0 and c == ",":
            parts.append(text[start:i])
            start = i + 1
    return parts + [text[start:]]


def stop_strings(name: str, value: str) -> tuple[str, ...]:
    if value.startswith("["):
        try:
            stops = json.loads(value)
        except ValueError:
            raise ValueError(f"{name}={value}: not a JSON list of strings such as [\"\\n\",\"Q:\"]") from None
        if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
            raise ValueError(f"{name}={value}: expected a list of strings such as [\"\\n\",\"Q:\"]")
    else:
        try:  # one string, with JSON's escapes ("\n") read as lm-eval's CLI users write them
            stops = [json.loads(value if value.startswith('"') else f'"{value}"')]
        except ValueError:
            stops = [value]
    if not stops or not all(stops):
        raise ValueError(f"{name}={value}: give at least one stop string, none of them empty")
    return tuple(stops)


def parse_gen_kwargs(text: str) -> GenKwargs:
    """`max_new_tokens=32,until=["\\n"]` -> GenKwargs; a ValueError naming the problem and what isabench knows."""
    seen: dict[str, str] = {}
    for part in split_top_level(text.strip()):
        name, eq, value = part.strip().partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name:
            raise ValueError(f"expected name=value pairs separated by commas, got {part.strip()!r}")
        canonical = "max_new_tokens" if name == "max_gen_toks" else name
        if canonical not in ("max_new_tokens", "until", "do_sample", "temperature"):
            raise ValueError(f"unknown generation setting {name!r}; isabench knows: {'; '.join(KNOWN)}")
        if canonical in seen:
            raise ValueError(f"{canonical} is given twice" + (" (max_gen_toks is its lm-eval name)"
                                                             if canonical == "max_new_tokens" else ""))
        seen[canonical] = value
    if "do_sample" in seen and seen["do_sample"].lower() not in ("false", "0"):
        raise ValueError(f"do_sample={seen['do_sample']}: isabench decodes greedily; only do_sample=false is taken")
    if "temperature" in seen:
        try:
            greedy = float(seen["temperature"]) == 0
        except ValueError:
            greedy = False
        if not greedy:
            raise ValueError(f"temperature={seen['temperature']}: isabench decodes greedily; only temperature=0 is "
                             "taken")
    budget = None
    if "max_new_tokens" in seen:
        try:
            budget = int(seen["max_new_tokens"])
        except ValueError:
            budget = 0
        if not 1 <= budget <= MAX_TOKENS:
            raise ValueError(f"max_new_tokens={seen['max_new_tokens']}: expected an integer in 1..{MAX_TOKENS:,}")
    until = stop_strings("until", seen["until"]) if "until" in seen else None
    return GenKwargs(budget, until)


def gen_kwargs_argument(text: str) -> GenKwargs:
    """--gen-kwargs's argparse type: a bad value is refused before any work, with parse_gen_kwargs's message."""
    try:
        return parse_gen_kwargs(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
