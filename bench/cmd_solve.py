"""`isabench solve TASK INPUT`: answer one instance with the reference, the register machine or the LLM.

The ISA answers on every variant the task has (sentiment: both weight tables); the LLM the way `isabench run` asks
it (the same prompt formats, shots, chat template, and the task's default model unless --model says otherwise).
"""
from __future__ import annotations

import argparse
import json
import sys

from bench.run_args import add_model_arguments

BACKENDS = ("reference", "isa", "llm", "hybrid")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("task", help="task name (see `isabench tasks`)")
    parser.add_argument("input", help="the instance as a person writes it, e.g. '98 + 45', 'What is 98 plus 45?' or "
                                      "'the cat saw the cat'")
    parser.add_argument("--backend", choices=BACKENDS, default="isa", help="who answers (default: isa)")
    add_model_arguments(parser, tier="auto")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON record (steps and status, or the prompt, raw text and tokens)")


def solve_isa(task, text: str, args) -> dict:
    answers, ran = {}, []
    for variant in task.isa_variants:
        out = task.solve_isa(text, args.tier, variant)
        answers[variant] = {"answer": out.answer, "status": out.status, "steps": out.steps}
        ran.append(out.tier)
    tier = ran[0] if len(set(ran)) == 1 else ",".join(ran)  # the tier that ran: "auto" resolved by the run's size
    if list(answers) == [""]:
        return {**answers[""], "tier": tier}
    first = next(iter(answers.values()))
    return {"answer": first["answer"], "variants": answers, "tier": tier}


def solve_model(task, text: str, args) -> dict:
    """One instance through the llm side (the model answers) or the hybrid side (the model writes a program that
    the machine runs), asked exactly as `isabench run` asks."""
    from bench.sides import SideOptions, make_side
    from bench.tasks import Instance, PromptSpec

    side = make_side(args.backend, SideOptions(
        model=args.model, device=args.device, dtype=args.dtype, batch_size=1, threads=args.threads, chat=args.chat,
        prompt=PromptSpec(args.prompt, args.shots, 0), served_url=args.served_url,
        request_timeout_s=args.request_timeout, tier="jit" if args.tier == "auto" else args.tier))
    side.start([task])
    [who] = side.contestants(task)
    inst = Instance(task.name, task.difficulty_of(text), 0, 0, text)
    ask = side.write_and_run if args.backend == "hybrid" else side.timed_ask
    [row], span = ask(task, who, [inst])
    row["latency_s"] = span.total_s
    info = who.handle.info
    keep = ("answer", "raw", "program", "status", "detail", "steps", "prompt", "scores", "prompt_tokens",
            "generated_tokens", "flops", "latency_s")
    return {**{k: row[k] for k in keep if k in row}, "method": who.options["method"], "model": info.get("model"),
            "device": info.get("device"), "dtype": info.get("dtype")}


def shown(answer) -> str:
    return "(no words)" if answer == "" else str(answer)


def main(args: argparse.Namespace) -> int:
    from bench.sides import SideUnavailable
    from bench.tasks import get_task

    try:
        task = get_task(args.task)
        task.parse(args.input)  # a bad input fails here, with the task's own message
        text = args.input
        solved = {"reference": lambda: {"answer": task.reference(text)}, "isa": lambda: solve_isa(task, text, args),
                  "llm": lambda: solve_model(task, text, args), "hybrid": lambda: solve_model(task, text, args)}[
                      args.backend]()
    except (KeyError, ValueError, OSError, SideUnavailable) as e:  # unknown task, bad input, missing model, server
        print(f"isabench solve: {e.args[0] if e.args and isinstance(e, KeyError) else e}", file=sys.stderr)
        return 2
    record = {"task": task.name, "input": args.input, "backend": args.backend, **solved}
    if args.json:
        try:
            record["reference"] = task.reference(text)
            record["correct"] = record["answer"] == record["reference"]
        except ValueError:  # a sentence nobody labelled: no reference to compare with
            record["reference"] = record["correct"] = None
        print(json.dumps(record, indent=2))
    elif "variants" in record:
        for variant, out in record["variants"].items():
            print(f"{variant}: {shown(out['answer'])}")
    elif "program" in record:  # the hybrid: what the model wrote, then what the machine made of it
        print("program:\n" + (record["program"] or f"(none in the reply {record.get('raw')!r})\n").rstrip())
        answer = record["answer"]
        print(f"answer: {answer}" if answer is not None else f"no answer: {record['status']}"
              + (f" ({record['detail']})" if record.get("detail") else ""))
    else:
        answer = record["answer"]
        print(shown(answer) if answer is not None else f"(unparseable reply: {record.get('raw')!r})")
    return 0
