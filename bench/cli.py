"""The `isabench` command: one subcommand per module, imported only when used.

Each subcommand module exposes `add_arguments(parser)` and `main(args) -> int`. Importing lazily keeps
`isabench asm` and `isabench solve --backend isa` free of torch's multi-second import.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import threading

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("bench.cmd_run", "run tasks on the ISA and the LLM side, score, save results and plots"),
    "tasks": ("bench.cmd_tasks", "list the registered tasks"),
    "solve": ("bench.cmd_solve", "answer one task instance with the reference, the ISA or the LLM"),
    "asm": ("isa.cli", "assemble, disassemble or run a register-machine program"),
    "train": ("bench.cmd_train", "train (or fine-tune) the embedded default model"),
    "finetune": ("bench.cmd_finetune", "fine-tune a pretrained encoder with a new head on a labelled task"),
    "curve": ("bench.cmd_curve", "learning curve: accuracy against labelled examples, fine-tuning vs the ISA's tables"),
    "models": ("llm.cmd_models", "list the models isabench knows by a short name, and where each is"),
    "report": ("bench.cmd_report", "regenerate tables (Markdown, LaTeX) from a saved run"),
    "compare": ("bench.cmd_compare", "compare two runs contestant by contestant: paired tests, time ratios, a CI gate"),
    "plot": ("bench.cmd_plot", "regenerate the figures of a saved run"),
}


SUMMARY = """isabench compares a fixed instruction set (a tiny register machine) with a language model's unbounded one
on the same task instances: both answer, both are timed and scored, and every figure is recorded with its seed,
versions, hardware and model."""
EXAMPLES = """examples:
  isabench run                                  every task, both sides, the embedded models (about 2.5 min on 2 cores)
  isabench run --tasks sentiment --backends isa the register machine's two sentiment programs on real reviews
  isabench solve add 'What is 98 plus 45?'      one instance (--backend isa|llm|reference)
  isabench report results/<run>                 tables again, from a run's records alone
  isabench compare RUN_A RUN_B --fail-if-worse  did run B get less accurate or slower than run A? (exit 1 if so)
  isabench COMMAND --help                       the options of one command"""


def version() -> str:
    from importlib import metadata

    try:
        return metadata.version("isabench")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def build_parser(argv: list[str]) -> tuple[argparse.ArgumentParser, object | None]:
    parser = argparse.ArgumentParser(prog="isabench", description=SUMMARY, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"isabench {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = None
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        # Only the chosen subcommand's module is imported; the others need just their help line.
        if argv and argv[0] == name:
            chosen = importlib.import_module(module_name)
            chosen.add_arguments(p)
            p.set_defaults(_module=chosen)
    return parser, chosen


def main(argv: list[str] | None = None) -> int:
    """`isabench ARGS`; without argv, the process's own command line, with its signals held from first to last."""
    if argv is None and threading.current_thread() is threading.main_thread():
        from bench.interrupts import whole_process

        return whole_process(lambda: command(sys.argv[1:]))
    return command(list(sys.argv[1:] if argv is None else argv))


def command(argv: list[str]) -> int:
    parser, _ = build_parser(argv)
    args = parser.parse_args(argv)
    if getattr(args, "_module", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args._module.main(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)  # a second signal here ends whole_process's command with 130 too
        return 130
    except BrokenPipeError:  # `isabench ... | head`: the reader left early; not an error of ours
        import os

        sys.stdout = open(os.devnull, "w")
        return 0


if __name__ == "__main__":
    sys.exit(main())
