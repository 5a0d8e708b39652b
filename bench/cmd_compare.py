"""`isabench compare RUN_A RUN_B`: did run B (a new model, code version or prompt format) do better or worse than run
A, contestant by contestant, task by task and level by level?

Run A is the baseline: every difference is B - A and every time ratio B / A. A contestant of A is matched with one of
B by task and level and, in turn, by backend + label + variant + setting, by backend + label, or by backend alone
when that is unambiguous (two runs of different models: their LLM contestants match by side); see
bench/comparisons.py. Where the two runs answered the same instances (same task, level and question text) the
comparison is paired (exact McNemar test, Newcombe's paired interval); where they share fewer than half of the
smaller run's instances it is unpaired (two-proportion score test, Newcombe's interval for independent samples), and
the table says which.

Exit status: 0 compared (and, with --fail-if-worse, nothing got worse); 1 with --fail-if-worse, some contestant is
significantly less accurate in B (Holm-corrected over the table) or slower beyond --time-threshold (the whole 95 %
interval of its time ratio above it); 2 a folder is not a run or the two share no comparable contestant.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

DEFAULT_TIME_THRESHOLD = 1.10  # B at least 10 % slower per answer, beyond batch-to-batch noise, fails the gate


def threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a ratio such as 1.10, got {text!r}") from None
    if not value >= 1.0:
        raise argparse.ArgumentTypeError(f"a time threshold is a ratio of at least 1 (1.10: 10 % slower), got {text}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_a", type=Path, metavar="RUN_A", help="the baseline run folder (the --out of `isabench run`)")
    p.add_argument("run_b", type=Path, metavar="RUN_B", help="the run folder compared with it")
    p.add_argument("--fail-if-worse", action="store_true",
                   help="exit 1 when a contestant of RUN_B is significantly less accurate than in RUN_A (exact "
                        "McNemar or two-proportion test, Holm-corrected over the table) or slower beyond "
                        "--time-threshold: for gating CI")
    p.add_argument("--time-threshold", type=threshold, default=DEFAULT_TIME_THRESHOLD, metavar="RATIO",
                   help="with --fail-if-worse: fail when the 95 %% interval of a time ratio B / A lies entirely above "
                        f"RATIO (default: {DEFAULT_TIME_THRESHOLD:.2f}, i.e. 10 %% slower)")
    p.add_argument("--csv", type=Path, default=None, metavar="FILE", help="also write the table as CSV to FILE")
    p.add_argument("--format", choices=("text", "markdown"), default="text", help="how to print the table")


def verdicts(df: pd.DataFrame, time_threshold: float) -> list[str]:
    """Per row: 'worse', 'slower', 'worse, slower', 'better', 'faster' or ''."""
    out = []
    for _, r in df.iterrows():
        words = []
        if r["significant"]:
            words.append("worse" if r["difference"] < 0 else "better")
        if not pd.isna(r["time_ratio_lo"]) and r["time_ratio_lo"] > time_threshold:
            words.append("slower")
        elif not pd.isna(r["time_ratio_hi"]) and r["time_ratio_hi"] < 1 / time_threshold:
            words.append("faster")
        out.append(", ".join(words))
    return out


def text_table(df: pd.DataFrame) -> str:
    from bench.comparisons_table import fmt_difference, fmt_p, fmt_points, fmt_ratio

    head = ["task", "d", "contestant (A → B)", "design", "n", "A %", "B %", "B − A (95 % CI)", "p", "Holm", "MDE",
            "time B ÷ A [95 % CI]", "verdict"]
    rows = [head]
    for _, r in df.iterrows():
        who = r["a"] if r["a"] == r["b"] else f"{r['a']} → {r['b']}"
        rows.append([r["task"], str(r["difficulty"]), who, r["design"], str(int(r["n"])),
                     fmt_points(r["accuracy_a"], False), fmt_points(r["accuracy_b"], False), fmt_difference(r),
                     fmt_p(r["p_value"]), fmt_p(r["p_holm"]), fmt_points(r["mde"], False), fmt_ratio(r),
                     r["verdict"]])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    right = {1, 4, 5, 6, 7, 8, 9, 10, 11}
    return "\n".join(" ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths)))
                     .rstrip() for row in rows)


def describe(run: Path, meta: dict) -> str:
    git = meta.get("git") or {}
    commit = f", commit {str(git['commit'])[:10]}" if git.get("commit") else ""
    return f"{run} ({meta.get('command', 'command not recorded')}{commit})"


def main(args) -> int:
    from bench import run_folder
    from bench.comparisons import between_runs
    from bench.comparisons_table import COMPARISONS_FILE, markdown_section, tests

    loaded = []
    for run in (args.run_a, args.run_b):
        try:
            loaded.append((run_folder.load_records(run), run_folder.read_meta(run)))
        except (FileNotFoundError, ValueError) as e:
            print(f"isabench compare: {e}", file=sys.stderr)
            return 2
    (recs_a, meta_a), (recs_b, meta_b) = loaded
    df, unmatched = between_runs(recs_a, recs_b)
    print(f"A: {describe(args.run_a, meta_a)}\nB: {describe(args.run_b, meta_b)}")
    for line in unmatched:
        print(f"note: {line} (not compared)", file=sys.stderr)
    if df.empty:
        print("isabench compare: the two runs have no task and contestant in common", file=sys.stderr)
        return 2
    df["verdict"] = verdicts(df, args.time_threshold)
    designs = df["design"].value_counts().to_dict()
    print(f"{len(df)} comparisons ({', '.join(f'{n} {d}' for d, n in designs.items())}); B − A in points, time "
          f"B ÷ A; Holm over the {tests(df)}:")
    print(text_table(df) if args.format == "text" else markdown_section(df, "Run B against run A"))
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(args.csv, index=False, float_format="%.6g")
        print(f"wrote {args.csv} (columns as in a run's {COMPARISONS_FILE}, plus verdict)", file=sys.stderr)
    if not args.fail_if_worse:
        return 0
    failing = df[df["verdict"].str.contains("worse|slower")]
    for _, r in failing.iterrows():
        where = "all levels" if r["difficulty"] == "all" else f"d{r['difficulty']}"
        print(f"worse: {r['task']} {where} {r['b']}: {r['verdict']}", file=sys.stderr)
    if failing.empty:
        print(f"gate passed: no contestant significantly less accurate, none slower than "
              f"{args.time_threshold:.2f}× beyond its interval", file=sys.stderr)
    return 1 if len(failing) else 0
