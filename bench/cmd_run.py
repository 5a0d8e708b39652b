"""`isabench run`: both sides on identical instances; records, summary, metadata, tables and plots in one folder.

Rerunning the same command resumes: samples already recorded (same instance, contestant and setting) are skipped.
Exit status: 0 done; 1 some task failed (the errors are printed last); 2 bad arguments or a set-up that cannot work
(nothing is written then); 130 interrupted (what finished is on disk; rerun to finish).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.run_args import add_arguments, canonical_argv  # noqa: F401  (add_arguments: bench.cli reads it here)
from bench.run_out import check_out, default_out
from bench.safe_io import LinkRefused
from bench.sides import SideOptions
from bench.suites import SUITES


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

    why = conflict()
    if why:
        print(f"isabench run: {why}", file=sys.stderr)
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
