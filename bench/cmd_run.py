"""`isabench run`: both sides on identical instances; records, summary, metadata, tables and plots in one folder.

Rerunning the same command resumes: samples already recorded (same instance, contestant and setting) are skipped.
Exit status: 0 done; 1 some task failed (the errors are printed last); 2 bad arguments or a set-up that cannot work
(nothing is written then); 130 interrupted (what finished is on disk; rerun to finish).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bench.gen_kwargs import gen_kwargs_argument
from bench.safe_io import LinkRefused
from bench.sides import BACKENDS, SideOptions
from bench.suites import SUITES
from isa.tiers import AUTO, NAMES as TIERS, TIERS as TIER_TABLE

DEFAULT_N = 1000  # per task x difficulty (Wilson CI within ±3 points; small levels hold fewer)
MAX_N = 100_000  # per task x difficulty: more is surely a typo, and generating it would take minutes
# One thread per side by default: on small models and short programs threads buy nothing but barrier stalls (measured:
# the n=100 suite took 81-306 s with torch's 2 threads while another process held a core, 18 s with 1), and one core
# each makes the comparison per core. --threads / --isa-threads N use more.
DEFAULT_THREADS = 1
# What a run writes into its folder other than by replacing whole files (those replace a link, never follow it).
WRITTEN_IN_PLACE = ("records.jsonl", "records.rejected.jsonl", ".lock", "plots", "lm_eval")


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


def model_part(model: str | None) -> str:
    """A model in a folder name: a short name isabench knows as it is; a folder or file by its name and a hash of
    where it is (two folders of one name are two models: their runs must not share a folder); a hub id as org_name."""
    import hashlib

    from llm.models import KNOWN

    if model is None:
        return "default-model"
    if model in KNOWN:
        return model
    where = Path(model).expanduser()
    if where.exists():
        digest = hashlib.sha256(str(where.resolve()).encode()).hexdigest()[:6]
        return f"{where.resolve().name}-{digest}"
    return model.strip("/").replace("/", "_")


def default_out(args, tasks: list[str], all_tasks: list[str]) -> Path:
    """A name made of the settings, not the time: rerunning the same command finds and resumes the same folder."""
    model = model_part(args.model)
    if getattr(args, "served_url", None):
        model = "served-" + (Path(args.model.rstrip("/")).name if args.model else "model")
    which = "all" if tasks == all_tasks else "+".join(tasks)
    if getattr(args, "suite", None):
        which = args.suite
    asks_a_model = any(b in ("llm", "hybrid") for b in args.backends)
    parts = [model if asks_a_model else "no-llm", which, "+".join(args.backends), n_part(args, tasks),
             f"s{args.seed}"]
    if args.difficulties:
        parts.append("d" + "-".join(map(str, args.difficulties)))
    if args.split != "test":
        parts.append(args.split)
    if getattr(args, "prompt", "compact") != "compact" or getattr(args, "shots", 0):
        parts.append(f"{args.prompt}-{args.shots}shot")  # "gpt3-4shot", not "gpt34shot"
    if getattr(args, "chat", False):
        parts.append("chat")
    if getattr(args, "tier", "jit") != "jit":
        parts.append(args.tier)
    if getattr(args, "data", None):
        parts.append("data-" + Path(args.data).stem)
    if getattr(args, "method", "auto") != "auto":
        parts.append(args.method)
    if getattr(args, "gen_kwargs", None):  # --limit is not here: its records are the full run's first ones
        parts.append(args.gen_kwargs.short())
    return Path("results") / "_".join(parts)


def n_part(args, tasks: list[str]) -> str:
    """The folder name's n: `n100`; `nall` where every task is labelled and --n takes each of its levels whole
    (sentiment and svamp hold as many instances per level as their data has: --n 1000 and --n 5000 ask the same)."""
    from bench.tasks import get_task

    chosen = [get_task(t) for t in tasks]
    if getattr(args, "data", None) is None and chosen and all(t.ground_truth == "labels" for t in chosen):
        levels = [(t, d) for t in chosen for d in (args.difficulties or t.difficulties)]
        try:
            whole = all(len(t.instances(d, args.n + 1, args.seed, args.split)) <= args.n for t, d in levels)
        except ValueError:  # a level the task does not have: the run itself says so
            whole = False
        if whole:
            return "nall"
    return f"n{args.n}"


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


def check_out(out: Path) -> str | None:
    """Why --out cannot be a run folder, or None; checked before any work so a run never fails at its end."""
    if out.exists():
        if not out.is_dir():
            return f"--out {out} exists and is not a folder"
        for name in WRITTEN_IN_PLACE:  # appended to, locked or written into: a link there would be written through
            if (out / name).is_symlink():
                return str(LinkRefused(out / name))
        return None if os.access(out, os.W_OK | os.X_OK) else f"--out {out} is not writable"
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"--out {out}: {parent} is not a folder"
    return None if os.access(parent, os.W_OK | os.X_OK) else f"--out {out}: cannot create it in {parent} (no write " \
                                                              "permission)"


def labelled_overall(out: Path) -> str:
    """Accuracy over all levels and per headline facet (Task.headline_facets: sentiment's site), from breakdown.csv:
    the figure such a task is cited by."""
    import pandas as pd

    path = out / "breakdown.csv"
    if not path.exists():
        return ""
    from bench.tasks import TASKS

    df = pd.read_csv(path, keep_default_na=False)
    lines = []
    for task, rows in df.groupby("task", sort=False):
        facets = getattr(TASKS.get(task), "headline_facets", ())
        if not facets:
            continue
        lines.append(f"\n{task}, overall and per {', '.join(facets)} (exact %, 95 % CI):")
        for _, r in rows[rows["facet"].isin(["all levels", *facets])].iterrows():
            lines.append(f"  {r['contestant']:<22} {r['value']:<16} n={r['n']:<4} {100 * r['accuracy']:.1f} "
                         f"({100 * r['accuracy_lo']:.1f}–{100 * r['accuracy_hi']:.1f})")
    return "\n".join(lines)


def nothing_recorded(result) -> int:
    if result.interrupted:
        print("isabench run: interrupted before anything was recorded", file=sys.stderr)
        return 130
    print("isabench run: nothing was recorded", file=sys.stderr)
    return 1


def main(args) -> int:
    from bench import run_folder
    from bench.lock import FolderBusy
    from bench.meta import data_split_key, run_metadata
    from bench.report import text_table
    from bench.run_facts import facts_of
    from bench.runner import RunConfig, SetupError, run
    from bench.tasks import PromptSpec, TaskInputError, get_task, task_names

    all_tasks = task_names()
    if args.suite and (args.tasks or args.difficulties):
        print("isabench run: --suite sets the tasks and their levels; give it without --tasks/--difficulties",
              file=sys.stderr)
        return 2
    cells = SUITES.get(args.suite)
    tasks = list(cells) if cells else args.tasks or all_tasks
    out = args.out = args.out or default_out(args, tasks, all_tasks)
    problem = check_out(out)
    if problem:
        print(f"isabench run: {problem}", file=sys.stderr)
        return 2
    options = SideOptions(model=args.model, device=args.device, dtype=args.dtype, batch_size=args.batch_size,
                          threads=args.threads, chat=args.chat, prompt=PromptSpec(args.prompt, args.shots, args.seed),
                          isa_threads=args.isa_threads, tier=args.tier, served_url=args.served_url,
                          concurrency=args.concurrency, request_timeout_s=args.request_timeout,
                          method=args.method, gen_kwargs=args.gen_kwargs)
    cfg = RunConfig(out=out, tasks=tasks, backends=args.backends, difficulties=args.difficulties, n=args.n,
                    seed=args.seed, split=args.split, progress=not args.quiet, side=options, data=args.data,
                    levels=cells, suite=args.suite, limit=args.limit)
    try:
        data_key = data_split_key(cfg.data) if cfg.data else None
    except TaskInputError as e:  # not a regular file, too large, a line too long: before any work
        print(f"isabench run: {e}", file=sys.stderr)
        return 2
    versions = {name: get_task(name).version for name in tasks if name in all_tasks}

    def conflict() -> str | None:
        """Why this folder cannot take this run (asked before any work, and again under the folder's lock)."""
        why = run_folder.resume_conflict(out, run_folder.usable_meta(out), cfg.seed, cfg.split, data_key, versions)
        return f"{out}: {why}" if why else None

    if conflict():
        print(f"isabench run: {conflict()}", file=sys.stderr)
        return 2

    def taken() -> str | None:
        """conflict(), under the lock: the folder exists from here on, so it is named here and never for a run that
        fails before it (a model that will not load)."""
        why = conflict()
        if why is None and not args.quiet:
            print(f"isabench run -> {out}", file=sys.stderr)
        return why

    # Written under the lock, after the answers (also after an interruption): metadata, summary, tables, figures.
    written, done = run_folder.Written(), {}

    def finish(result) -> None:
        if not (out / "records.jsonl").exists():
            return
        if not args.quiet:
            print(("interrupted: " if result.interrupted else "") + "writing the summary, tables"
                  + ("" if args.no_plots else " and figures") + " of what finished..."
                  + (" (Ctrl-C again stops now; rerun to finish)" if result.interrupted else ""), file=sys.stderr)
        meta = run_folder.meta_text(run_metadata(cfg, result, canonical_argv(args), run_folder.usable_meta(out)))
        written.file(out / run_folder.META_FILE, meta)
        done["meta"] = json.loads(meta)
        done["summary"] = run_folder.rebuild(out, done["meta"], written, plots=not args.no_plots)

    try:
        result = run(cfg, check=taken, finish=finish)
    except (SetupError, FolderBusy, TaskInputError, LinkRefused) as e:
        print(f"isabench run: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # the folder itself failed (a full disk as the lock was taken): nothing was answered
        print(f"isabench run: {out}: {e}", file=sys.stderr)
        return 1
    # Even when interrupted: what finished is on disk, and the summary and metadata describe exactly that.
    if "summary" not in done:
        return nothing_recorded(result)
    summary = done["summary"]
    if summary.empty:
        for failure in result.failures:
            print(f"error: {failure}", file=sys.stderr)
        written.say("isabench run")
        return nothing_recorded(result)
    print(text_table(summary, facts_of(done["meta"])))  # marks the levels an interruption left short
    overall = labelled_overall(out)
    if overall:
        print(overall)
    from bench.comparisons_table import overall_text

    compared = overall_text(out)
    if compared:
        print(compared)
    from bench.extraction import differences_text

    flexible = differences_text(summary)
    if flexible:
        print(flexible)
    if args.suite:
        from bench.suites import paper_table

        print("\n" + paper_table(summary).replace("## ", ""))
    setup = "; ".join(f"{side}: " + ", ".join(f"{k} {v:.2f}s" for k, v in steps.items())
                      for side, steps in result.setup.items())
    print(f"\n{result.done} answered, {result.skipped} already on disk. Set-up (not in per-answer times): {setup}")
    if args.limit:
        print(f"--limit {args.limit}: at most the first {args.limit} instances of each cell; the same command without "
              "--limit finishes the cells in this folder")
    if not written.failures:
        print(f"results in {out}/ (records.jsonl, summary.csv, breakdown.csv, comparisons.csv, meta.json, report.md "
              "with the full table, report.tex, lm_eval/" + (", plots/" if not args.no_plots else "") + ")")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    for failure in result.failures:  # last, so they are not scrolled away by the table
        print(f"error: {failure}", file=sys.stderr)
    for failure in written.failures:
        print(f"isabench run: {failure}", file=sys.stderr)
    if written.failures:
        print(f"isabench run: the records are kept ({out / 'records.jsonl'}); once the folder can be written again, "
              "rerun the same command to write what is missing", file=sys.stderr)
    if result.interrupted:
        print("interrupted: rerun the same command to finish the remaining samples", file=sys.stderr)
        return 130
    return 1 if result.failures or written.failures else 0
