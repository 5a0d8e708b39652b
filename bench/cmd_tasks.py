"""`isabench tasks`: list the registered tasks."""
from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the list as JSON")


def main(args: argparse.Namespace) -> int:
    from bench.tasks import TASKS

    if args.json:
        rows = [
            {"name": t.name, "version": t.version, "axis": t.axis, "difficulties": list(t.difficulties),
             "example": t.example, "prompt": t.prompt(t.example), "answer": t.reference(t.example)}
            for t in TASKS.values()
        ]
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'task':<9} {'ver':<4} {'difficulty':<22} example -> prompt -> answer")
    for t in TASKS.values():
        levels = f"{t.axis} {','.join(map(str, t.difficulties))}"
        print(f"{t.name:<9} {t.version:<4} {levels:<22} {t.example!r} -> {t.prompt(t.example)!r} -> {t.reference(t.example)!r}")
    return 0
