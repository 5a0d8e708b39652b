"""`isabench run`'s arguments: what each flag takes, its default and why, and the command line that reruns a run.

The parser is shared: `isabench solve` takes the model arguments (add_model_arguments) as they are here.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from bench.gen_kwargs import gen_kwargs_argument
from bench.sides import BACKENDS
from bench.suites import SUITES
from isa.tiers import AUTO, NAMES as TIERS, TIERS as TIER_TABLE

DEFAULT_N = 1000  # per task x difficulty (Wilson CI within ±3 points; small levels hold fewer)
MAX_N = 100_000  # per task x difficulty: more is surely a typo, and generating it would take minutes
# One thread per side by default: on small models and short programs threads buy nothing but barrier stalls (measured:
# the n=100 suite took 81-306 s with torch's 2 threads while another process held a core, 18 s with 1), and one core
# each makes the comparison per core. --threads / --isa-threads N use more.
DEFAULT_THREADS = 1


def comma_list(text: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return items


def task_list(text: str) -> list[str]:
    from bench.tasks import task_names

    names = comma_list(text)
    unknown = [n for n in names if n not in task_names()]
    if unknown:
        known = ", ".join(task_names())
        raise argparse.ArgumentTypeError(f"unknown task(s) {', '.join(unknown)}; known tasks: {known}")
    return names


def backend_list(text: str) -> list[str]:
    names = comma_list(text)
    unknown = [n for n in names if n not in BACKENDS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown backend(s) {', '.join(unknown)}; choose from {', '.join(BACKENDS)}")
    return names


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
        if b - a > 1000:
            raise argparse.ArgumentTypeError(f"difficulty range {part!r} spans more than 1000 levels")
        out.update(range(a, b + 1))
    return sorted(out)


def bounded(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected an integer in {low}..{high:,}, got {value:,}")
        return value
    return parse


positive = bounded(1, 10**6)


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


def add_model_arguments(p: argparse.ArgumentParser, tier: str = "jit") -> None:
    """The LLM (and ISA tier) options `run` and `solve` share."""
    from bench.tasks import FORMATS

    p.add_argument("--model", default=None,
                   help="LLM: a model folder, a .gguf file, a short name (see `isabench models`) or a hub id "
                        "(default: each task's own: the embedded model; the shipped adapter for sentiment)")
    p.add_argument("--device", default="auto", help="LLM device: auto, cpu, cuda, cuda:N, mps (default: auto)")
    p.add_argument("--dtype", default="auto",
                   help="LLM dtype: auto, float32, bfloat16, float16, or int8 (float32 weights with every Linear "
                        "layer quantised to int8, CPU only; keyed apart from float32 in the records) (default: auto)")
    p.add_argument("--threads", type=positive, default=DEFAULT_THREADS,
                   help=f"torch CPU threads for the LLM (default: {DEFAULT_THREADS})")
    p.add_argument("--chat", action="store_true", help="wrap prompts in the model's chat template")
    p.add_argument("--prompt", choices=list(FORMATS), default="compact",
                   help="prompt format: compact (the embedded model's) or gpt3 (the GPT-3 paper's wording) "
                        "(default: compact)")
    p.add_argument("--shots", type=bounded(0, 64), default=0,
                   help="solved examples from the training split before each question (default: 0)")
    p.add_argument("--served-url", default=None,
                   help="LLM: an OpenAI-compatible server's base URL (vLLM, TGI, SGLang, llama.cpp, transformers "
                        "serve); --model is then the name it serves; key from ISABENCH_API_KEY or OPENAI_API_KEY")
    p.add_argument("--request-timeout", type=seconds, default=None,
                   help="LLM: a served request's total deadline in seconds, retries included (default: 120)")
    about = "; ".join(f"{t.name}: {t.about}" for t in TIER_TABLE.values())
    if tier == AUTO:
        p.add_argument("--tier", choices=(AUTO, *TIERS), default=AUTO,
                       help=f"ISA execution tier; {AUTO}: the reference interpreter for small runs (a fast start, "
                            f"identical results), the compiled tier for large ones; {about} (default: {AUTO})")
    else:
        p.add_argument("--tier", choices=TIERS, default=tier, help=f"ISA execution tier: {about} (default: {tier})")


EPILOG = """examples:
  isabench run                                    every task, both sides, each task's default models
  isabench run --tasks add,square --n 200         two tasks, 200 instances per level
  isabench run --tasks sentiment --backends isa   the register machine's sentiment programs on real reviews
  isabench run --suite gpt3-arithmetic --prompt gpt3 --shots 4 --model smollm2
                                                  the GPT-3 paper's cells, asked the paper's way
  isabench run --tasks add --data mine.jsonl      your own instances instead of the built-in split

resuming:
  Rerunning the same command resumes in the same folder (--out, or results/<a name made of the settings>):
  every sample already recorded (same instance, contestant and setting) is skipped, so a run stopped by Ctrl-C,
  a crash or a full disk finishes where it stopped. A folder refuses a run with another --seed, --split, --data
  or task version (give that run its own --out); report.md marks the levels an interruption left short.

exit status:
  0    done
  1    some task failed (its errors are printed last), or a result file could not be written
  2    bad arguments, or a set-up that cannot work (nothing is written)
  130  interrupted (what finished is on disk: rerun the same command to finish)"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog, p.formatter_class = EPILOG, argparse.RawDescriptionHelpFormatter  # keep the examples' lines
    p.add_argument("--tasks", type=task_list, default=None, help="comma-separated task names (default: all)")
    p.add_argument("--backends", type=backend_list, default=["isa", "llm"],
                   help=f"comma-separated sides among {', '.join(BACKENDS)} (default: isa,llm)")
    add_model_arguments(p)
    p.add_argument("--batch-size", type=positive, default=32, help="LLM prompts per call (default: 32)")
    p.add_argument("--isa-threads", type=positive, default=DEFAULT_THREADS,
                   help=f"numba threads for the ISA's batched solve (default: {DEFAULT_THREADS})")
    p.add_argument("--concurrency", type=positive, default=8, help="LLM: requests in flight to a served model (8)")
    p.add_argument("--n", type=bounded(1, MAX_N), default=DEFAULT_N,
                   help=f"instances per task x difficulty (default: {DEFAULT_N}; at most {MAX_N:,}). Choosing n: "
                        "one accuracy's 95 %% interval is at most about ±1/√n wide (±3.1 points at 1000); "
                        "comparing two contestants on the same instances detects a difference d with 80 %% power "
                        "when n ≈ 7.85·s/d², s the share of instances exactly one of them answers rightly (s = 0.2, "
                        "d = 5 points: n ≈ 630); the MDE column of comparisons.csv says what a run's n could detect")
    p.add_argument("--limit", type=bounded(1, MAX_N), default=None, metavar="N",
                   help="a quick run (lm-eval's --limit): only the first N instances of every cell (task x level) "
                        "that the run without it would ask, the very same ones (--n draws them; --limit cuts what "
                        "is asked); the folder is the full run's, which a rerun without --limit finishes")
    p.add_argument("--method", choices=("auto", "generate", "loglikelihood"), default="auto",
                   help="how a causal LM answers: auto generates on computed tasks and scores labels by "
                        "log-likelihood; loglikelihood on a computed task scores the reference answer's "
                        "log-likelihood, right when it is the greedy continuation (lm-eval's arithmetic_* acc); "
                        "generate generates on every task (default: auto)")
    p.add_argument("--gen-kwargs", type=gen_kwargs_argument, default=None, metavar="K=V,...",
                   help="generation settings in lm-eval's form, e.g. 'max_new_tokens=32,until=[\"\\n\"]': "
                        "max_new_tokens (or max_gen_toks), every answer's budget instead of each task's own; until, "
                        "the stop strings instead of a newline; do_sample=false and temperature=0 change nothing "
                        "(decoding is greedy). Part of the generated records' key and the folder's name")
    p.add_argument("--difficulties", type=levels, default=None,
                   help="levels for every chosen task, e.g. 1,2,3 or 1-5 (default: each task's own)")
    p.add_argument("--suite", choices=sorted(SUITES), default=None,
                   help="the cells a paper reports: gpt3-arithmetic = the GPT-3 paper's 2D+ .. 5D-, 2Dx, 1DC "
                        "(sets the tasks and their levels; use with --prompt gpt3 --shots K)")
    p.add_argument("--seed", type=int, default=0, help="instance seed: same seed, same instances, same prompts")
    p.add_argument("--split", choices=("test", "train"), default="test",
                   help="test: instances held out of every training (default)")
    p.add_argument("--data", type=Path, default=None, metavar="FILE",
                   help="your own instances for the one task --tasks names, one a line, replacing the built-in "
                        "split (--n and --difficulties do not apply): plain lines as `isabench solve` takes them; "
                        "JSON lines {\"input\": ..., \"answer\": ...} (answer optional for computed tasks, checked "
                        "against the reference); the GPT-3 paper's / lm-evaluation-harness's arithmetic files "
                        "({\"context\": \"\\n\\nQ: What is 98 plus 45?\\n\\nA:\", \"completion\": \" 143\"}); "
                        "sentiment: sentence<TAB>label lines (label 0/1 or negative/positive)")
    p.add_argument("--out", type=Path, default=None, help="run folder (default: results/<readable name>)")
    p.add_argument("--no-plots", action="store_true", help="skip the figures (tables and CSV are still written)")
    p.add_argument("--quiet", action="store_true", help="no progress output")


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
        elif hasattr(value, "key"):  # --gen-kwargs: as lm-eval writes them
            out += [flag, value.key()]
        else:
            out += [flag, str(value)]
    return out
