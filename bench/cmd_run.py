"""`isabench run`: both sides on identical instances; records, summary, metadata, tables and plots in one folder.

Rerunning the same command resumes: samples already recorded (same instance, side and model identity) are skipped.
"""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from bench.sides import BACKENDS, SideOptions

DEFAULT_N = 1000  # per task x difficulty (Wilson CI within ±3 points; small levels hold fewer): ~65 s on 2 busy cores
# One thread per side by default: on small models and short programs threads buy nothing but barrier stalls (measured:
# the n=100 suite took 81-306 s with torch's 2 threads while another process held a core, 18 s with 1), and one core
# each makes the comparison per core. --threads / --isa-threads N use more.
DEFAULT_THREADS = 1


def comma_list(text: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return items


def levels(text: str) -> list[int]:
    """'1,2,5' or '1-3' or '1-3,5' -> sorted distinct positive integers."""
    out: set[int] = set()
    for part in comma_list(text):
        lo, _, hi = part.partition("-")
        try:
            a, b = int(lo), int(hi or lo)
        except ValueError:
            raise argparse.ArgumentTypeError(f"difficulty {part!r} is not an integer or a range like 1-3") from None
        if a < 1 or b < a:
            raise argparse.ArgumentTypeError(f"difficulty {part!r}: need positive integers, low-high ascending")
        out.update(range(a, b + 1))
    return sorted(out)


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tasks", type=comma_list, default=None, help="comma-separated task names (default: all)")
    p.add_argument("--backends", type=comma_list, default=["isa", "llm"],
                   help=f"comma-separated sides among {', '.join(BACKENDS)} (default: isa,llm)")
    p.add_argument("--model", default=None, help="LLM: a model folder or hub id (default: the embedded model)")
    p.add_argument("--device", default="auto", help="LLM device: auto, cpu, cuda, cuda:N, mps (default: auto)")
    p.add_argument("--dtype", default="auto", help="LLM dtype: auto, float32, bfloat16, float16 (default: auto)")
    p.add_argument("--batch-size", type=positive, default=32, help="LLM prompts per generate call (default: 32)")
    p.add_argument("--threads", type=positive, default=DEFAULT_THREADS,
                   help=f"torch CPU threads for the LLM (default: {DEFAULT_THREADS})")
    p.add_argument("--isa-threads", type=positive, default=DEFAULT_THREADS,
                   help=f"numba threads for the ISA's batched solve (default: {DEFAULT_THREADS})")
    p.add_argument("--chat", action="store_true", help="wrap prompts in the model's chat template")
    p.add_argument("--served-url", default=None,
                   help="LLM: an OpenAI-compatible server's base URL (vLLM, TGI, SGLang, llama.cpp, transformers "
                        "serve); --model is then the name it serves; key from ISABENCH_API_KEY or OPENAI_API_KEY")
    p.add_argument("--concurrency", type=positive, default=8, help="LLM: requests in flight to a served model (8)")
    p.add_argument("--n", type=positive, default=DEFAULT_N, help=f"instances per task x difficulty ({DEFAULT_N})")
    p.add_argument("--difficulties", type=levels, default=None,
                   help="levels for every chosen task, e.g. 1,2,3 or 1-5 (default: each task's own)")
    p.add_argument("--seed", type=int, default=0, help="instance seed: same seed, same instances, same prompts")
    p.add_argument("--split", choices=("test", "train"), default="test",
                   help="test: instances held out of the embedded model's training (default)")
    p.add_argument("--out", type=Path, default=None, help="run folder (default: results/<readable name>)")
    p.add_argument("--no-plots", action="store_true", help="skip the figures (tables and CSV are still written)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def default_out(args, tasks: list[str], all_tasks: list[str]) -> Path:
    """A name made of the settings, not the time: rerunning the same command finds and resumes the same folder."""
    model = "default-model" if args.model is None else Path(args.model.rstrip("/")).name.replace("/", "_")
    if getattr(args, "served_url", None):
        model = "served-" + (Path(args.model.rstrip("/")).name if args.model else "model")
    which = "all" if tasks == all_tasks else "+".join(tasks)
    parts = [model if "llm" in args.backends else "no-llm", which, "+".join(args.backends), f"n{args.n}",
             f"s{args.seed}"]
    if args.difficulties:
        parts.append("d" + "-".join(map(str, args.difficulties)))
    if args.split != "test":
        parts.append(args.split)
    return Path("results") / "_".join(parts)


def canonical_argv(args) -> list[str]:
    """The parsed options as a command line, defaults spelled out: what reruns this exactly, however it was typed."""
    out = ["run"]
    for name, value in sorted(vars(args).items()):
        if name.startswith("_") or name == "command" or value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        if value is True:
            out.append(flag)
        elif isinstance(value, list):
            out += [flag, ",".join(map(str, value))]
        else:
            out += [flag, str(value)]
    return out


def terminate_as_interrupt(signum, frame):
    raise KeyboardInterrupt  # `kill` then ends like Ctrl-C: finished samples are on disk and the summary is written


def main(args) -> int:
    from bench import run_folder
    from bench.meta import run_metadata
    from bench.report import text_table
    from bench.runner import RunConfig, run
    from bench.tasks import task_names, get_task

    all_tasks = task_names()
    tasks = args.tasks or all_tasks
    for name in tasks:
        get_task(name)  # unknown names fail here, listing the known ones
    for b in args.backends:
        if b not in BACKENDS:
            raise SystemExit(f"isabench run: unknown backend {b!r}; choose from {', '.join(BACKENDS)}")
    out = args.out = args.out or default_out(args, tasks, all_tasks)
    cfg = RunConfig(out=out, tasks=tasks, backends=args.backends, difficulties=args.difficulties, n=args.n,
                    seed=args.seed, split=args.split, progress=not args.quiet,
                    side=SideOptions(model=args.model, device=args.device, dtype=args.dtype,
                                     batch_size=args.batch_size, threads=args.threads, chat=args.chat,
                                     isa_threads=args.isa_threads, served_url=args.served_url,
                                     concurrency=args.concurrency))
    print(f"isabench run -> {out}", file=sys.stderr)
    previous = signal.signal(signal.SIGTERM, terminate_as_interrupt)
    try:
        result = run(cfg)
    finally:
        signal.signal(signal.SIGTERM, previous)
    # Even when interrupted: what finished is on disk, and the summary and metadata describe exactly that.
    argv = canonical_argv(args)
    run_folder.write_meta(out, run_metadata(cfg, result, argv, run_folder.read_meta(out)))
    try:
        summary = run_folder.load_summary(out)
    except FileNotFoundError:
        print("nothing was recorded", file=sys.stderr)
        return 1
    if summary.empty:
        print("nothing was recorded", file=sys.stderr)
        return 1
    run_folder.write_summary(out, summary)
    meta = run_folder.read_meta(out)
    written = run_folder.write_tables(out, summary, meta)
    if not args.no_plots:
        written += run_folder.write_plots(out, summary, meta)
    print(text_table(summary))
    setup = "; ".join(f"{side}: " + ", ".join(f"{k} {v:.2f}s" for k, v in steps.items())
                      for side, steps in result.setup.items())
    print(f"\n{result.done} answered, {result.skipped} already on disk. Set-up (not in per-answer times): {setup}")
    print(f"results in {out}/ (records.jsonl, summary.csv, meta.json, report.md, report.tex"
          + (", plots/" if not args.no_plots else "") + ")")
    for failure in result.failures:  # last, so they are not scrolled away by the table
        print(f"error: {failure}", file=sys.stderr)
    if result.interrupted:
        print("interrupted: rerun the same command to finish the remaining samples", file=sys.stderr)
        return 130
    return 1 if result.failures else 0
