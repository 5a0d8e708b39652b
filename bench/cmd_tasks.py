"""`isabench tasks`: list the registered tasks: levels, an example, its prompt and its answer."""
from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the list as JSON")


def answer_of(task) -> str:
    """The example's answer; a labelled task's answers are a person's labels, not computed from the text (svamp's
    are the data's answers: the example is a problem of the data)."""
    if task.ground_truth == "labels" and task.labels:
        return " | ".join(task.labels) + " (a person's label)"
    return task.reference(task.example)


# How the text listing names a task's ground truth, in the README's words: a computed reference, or people's labels.
GROUND_TRUTH_WORDS = {"reference": "computed", "labels": "labels"}


def main(args: argparse.Namespace) -> int:
    from bench.tasks import TASKS

    rows = [{"name": t.name, "version": t.version, "axis": t.axis, "difficulties": list(t.difficulties),
             "ground_truth": t.ground_truth, "formats": list(t.formats), "example": t.example,
             "prompt": t.prompt(t.example), "answer": answer_of(t)} for t in TASKS.values()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        print(f"{r['name']} v{r['version']}: difficulty = {r['axis']}, levels {','.join(map(str, r['difficulties']))}; "
              f"ground truth: {GROUND_TRUTH_WORDS.get(r['ground_truth'], r['ground_truth'])}")
        print(f"    {r['example']!r} -> prompt {r['prompt']!r} -> {r['answer']!r}")
    return 0
