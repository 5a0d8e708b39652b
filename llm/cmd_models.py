"""`isabench models`: the short model names isabench knows, their kind, and where each is (or how to get it)."""
from __future__ import annotations

import argparse
import json

OTHER_MODELS = ("Any other --model is a transformers folder (config.json + weights + tokenizer), a .gguf file (or a "
                "folder holding one), or a Hugging Face hub id already in the local cache.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the list as JSON")


def rows() -> list[dict]:
    from llm.locate import ModelNotFoundError
    from llm.models import KNOWN

    found = []
    for m in KNOWN.values():
        try:
            where, available = str(m.locate()), True
        except ModelNotFoundError as err:  # not trained / not installed: the message says how to get it
            where, available = str(err), False
        found.append({"name": m.name, "kind": m.kind, "available": available, "where": where,
                      "description": m.description})
    return found


def main(args: argparse.Namespace) -> int:
    listed = rows()
    if args.json:
        print(json.dumps(listed, indent=2))
        return 0
    width = max(len(r["name"]) for r in listed)
    for r in listed:
        state = r["where"] if r["available"] else f"MISSING: {r['where']}"
        print(f"{r['name']:<{width}}  {r['kind']:<10}  {r['description']}\n{'':<{width}}  {'':<10}  {state}")
    print(f"\n{OTHER_MODELS}")
    return 0
