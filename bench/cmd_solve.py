"""`isabench solve TASK INPUT`: answer one instance with the reference, the register machine or the LLM."""
from __future__ import annotations

import argparse
import json
import sys

BACKENDS = ("reference", "isa", "llm")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("task", help="task name (see `isabench tasks`)")
    parser.add_argument("input", help="the instance as a person writes it, e.g. '98 + 45' or 'the cat saw the cat'")
    parser.add_argument("--backend", choices=BACKENDS, default="isa", help="who answers (default: isa)")
    parser.add_argument("--model", default=None, help="LLM: hub id or local folder (default: the embedded model)")
    parser.add_argument("--device", default="auto", help="LLM: auto|cpu|cuda|mps (default: auto)")
    parser.add_argument("--dtype", default="auto", help="LLM: auto|float32|bfloat16|float16 (default: auto)")
    parser.add_argument("--threads", type=int, default=1,
                        help="LLM: torch CPU threads (default: 1; more threads stall on a busy small machine)")
    parser.add_argument("--chat", action="store_true", help="LLM: apply the tokenizer's chat template")
    parser.add_argument("--served-url", default=None,
                        help="LLM: an OpenAI-compatible server's base URL; --model is then the name it serves")
    parser.add_argument("--json", action="store_true", help="print a JSON record with steps/status or raw text/tokens")


def solve(task, text: str, args: argparse.Namespace) -> dict:
    if args.backend == "reference":
        return {"answer": task.reference(text)}
    if args.backend == "isa":
        out = task.solve_isa(text)
        return {"answer": out.answer, "status": out.status, "steps": out.steps}
    from llm.runner import load_backend

    backend = load_backend(args.model, device=args.device, dtype=args.dtype, threads=args.threads,
                           chat=args.chat, batch_size=1, served_url=args.served_url)
    [c] = backend.generate([task.prompt(text)], max_new_tokens=task.max_new_tokens(text), stop=["\n"])
    answer = task.parse_reply(c.text)
    return {"answer": answer, "raw_text": c.text, "prompt": task.prompt(text), "prompt_tokens": c.prompt_tokens,
            "generated_tokens": c.generated_tokens, "latency_s": c.latency_s, "model": backend.info.get("model"),
            "device": backend.info.get("device"), "dtype": backend.info.get("dtype")}


def main(args: argparse.Namespace) -> int:
    from bench.tasks import get_task

    try:
        task = get_task(args.task)
        task.parse(args.input)
        record = {"task": task.name, "input": args.input, "backend": args.backend, **solve(task, args.input, args)}
    except (KeyError, ValueError, OSError) as e:  # unknown task, bad input, missing model or device, server down
        print(f"isabench solve: {e.args[0] if e.args and isinstance(e, KeyError) else e}", file=sys.stderr)
        return 2
    if args.json:
        record["correct"] = record["answer"] == task.reference(args.input)
        print(json.dumps(record, indent=2))
    else:
        answer = record["answer"]
        print(answer if answer is not None else f"(unparseable reply: {record.get('raw_text')!r})")
    return 0
