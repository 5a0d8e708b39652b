"""Records -> the comparison table: one row per task x level (and per task over all its levels) x pair of contestants.

Within one run (`within_run`), every two contestants of a task that answered the same instances are compared, in
the order they first appear in the records (the ISA's `lexicon` before its `counted`); the `reference` side is left
out (it answers with the reference: a pair with it restates the other's accuracy). Between two runs (`between_runs`,
`isabench compare`), each contestant of run A is compared with its match in run B (`match_contestants`).

Two records answer the same instance when their task, level and question text agree (`by_task` says why the seed
and index do not count, and how a question asked twice is told apart). Where the two contestants share instances
the comparison is paired on those (`design` = paired: McNemar's test, Newcombe's paired interval); between runs that
share fewer than half of the smaller run's instances it is unpaired on all of them (`design` = unpaired: the
two-proportion score test, Newcombe's interval for independent samples). Every
difference is b - a and every time ratio b / a (a: the earlier contestant, or run A). The family for Holm's
correction is every row of one table (all tasks, levels, pairs and the over-all-levels rows). Statistics:
bench/paired.py.
"""
from __future__ import annotations

import math
from collections import defaultdict

import pandas as pd

from bench import paired
from bench.summary import per_answer_times

ALL_LEVELS = "all"
COLUMNS = [
    "task", "difficulty", "a", "b", "backend_a", "backend_b", "setting_a", "setting_b", "design",
    "n", "n_a", "n_b", "accuracy_a", "accuracy_b", "difference", "difference_lo", "difference_hi",
    "both", "a_only", "b_only", "neither", "test", "p_value", "p_holm", "significant", "better", "mde",
    "time_ratio", "time_ratio_lo", "time_ratio_hi", "batches_a", "batches_b",
]
TESTS = {"paired": "exact McNemar", "unpaired": "two-proportion score"}


def question_of(r: dict) -> tuple:
    """What makes two records answers to the same question: the task, the level and the instance's text."""
    return (r["task"], r["difficulty"], r.get("instance"))


def by_task(recs: list[dict]) -> dict[str, dict[tuple, dict[tuple, dict]]]:
    """task -> contestant -> instance -> record, contestants in the order they first appear.

    An instance is its question (`question_of`) and which occurrence of that question it is, counted in (seed,
    index) order: a file that asks one question twice has two instances, and its k-th asking pairs with the other
    run's k-th. The seed and index themselves stay out: they say how an instance was drawn, not what was asked, and
    two runs with different seeds often ask the same questions (sentiment's fixed sentences; add's 20 one-digit
    problems of the test split, drawn in another order)."""
    grouped: dict[str, dict[tuple, list[dict]]] = defaultdict(dict)
    for r in recs:
        grouped[r["task"]].setdefault(contestant_of(r), []).append(r)
    out: dict[str, dict[tuple, dict[tuple, dict]]] = defaultdict(dict)
    for task, contestants in grouped.items():
        for who, rows in contestants.items():
            seen: dict[tuple, int] = defaultdict(int)
            answers = out[task][who] = {}
            for r in sorted(rows, key=lambda r: (str(r.get("split")), r.get("seed") or 0, r.get("index") or 0)):
                q = question_of(r)
                answers[(*q, seen[q])] = r
                seen[q] += 1
    return out


def contestant_of(r: dict) -> tuple[str, str, str, str]:
    """(backend, label, variant, setting): what answered and how it was asked, as the summary groups rows."""
    return (r["backend"], r.get("contestant") or r["backend"], r.get("variant") or "", r.get("setting") or "")


def labels_of(contestants: list[tuple]) -> dict[tuple, str]:
    """A readable name per contestant: its label, with its setting where two of a task share one label."""
    counts = defaultdict(int)
    for c in contestants:
        counts[c[1]] += 1
    return {c: c[1] if counts[c[1]] == 1 else f"{c[1]} [{c[3] or c[2]}]" for c in contestants}


def levels_of(*answers: dict[tuple, dict]) -> list:
    """The levels present, each on its own, then `all` where there are several."""
    found = sorted({inst[1] for a in answers for inst in a})
    return found + ([ALL_LEVELS] if len(found) > 1 else [])


def at_level(answers: dict[tuple, dict], level) -> dict[tuple, dict]:
    return answers if level == ALL_LEVELS else {k: r for k, r in answers.items() if k[1] == level}


def compare_cell(a: dict[tuple, dict], b: dict[tuple, dict], paired_only: bool, timed: bool = True) -> dict | None:
    """One comparison of two contestants' answers (instance -> record) at one level, or None if nothing to compare.

    Paired on the shared instances when there are any and `paired_only` (within a run), or when they make up at
    least half of the smaller side (between runs); otherwise unpaired on every instance of each. Times only where
    `timed`: over all levels the two sides' batches mix levels in different proportions (an LLM batch holds 32
    answers, an ISA batch 250), so a ratio of their medians would compare different mixtures."""
    if not a or not b:
        return None
    shared = [k for k in a if k in b]
    if paired_only or 2 * len(shared) >= min(len(a), len(b)):
        if not shared:
            return None
        row = paired_row([bool(a[k]["exact"]) for k in shared], [bool(b[k]["exact"]) for k in shared])
        row.update(n_a=len(a), n_b=len(b))
    else:
        row = unpaired_row([bool(r["exact"]) for r in a.values()], [bool(r["exact"]) for r in b.values()])
    if not timed:
        return row
    times_a, times_b = per_answer_times(list(a.values())), per_answer_times(list(b.values()))
    ratio, lo, hi = paired.time_ratio(times_a, times_b)
    row.update(time_ratio=ratio, time_ratio_lo=lo, time_ratio_hi=hi, batches_a=len(times_a), batches_b=len(times_b))
    return row


def paired_row(right_a: list[bool], right_b: list[bool]) -> dict:
    both = sum(x and y for x, y in zip(right_a, right_b))
    a_only = sum(x and not y for x, y in zip(right_a, right_b))
    b_only = sum(y and not x for x, y in zip(right_a, right_b))
    n = len(right_a)
    lo, hi = paired.newcombe_paired(both, a_only, b_only, n - both - a_only - b_only)
    return {"design": "paired", "n": n, "accuracy_a": (both + a_only) / n, "accuracy_b": (both + b_only) / n,
            "difference": (b_only - a_only) / n, "difference_lo": lo, "difference_hi": hi, "both": both,
            "a_only": a_only, "b_only": b_only, "neither": n - both - a_only - b_only, "test": TESTS["paired"],
            "p_value": paired.mcnemar_exact(a_only, b_only), "mde": paired.mde_paired(n, a_only + b_only)}


def unpaired_row(right_a: list[bool], right_b: list[bool]) -> dict:
    ka, na, kb, nb = sum(right_a), len(right_a), sum(right_b), len(right_b)
    lo, hi = paired.newcombe_unpaired(ka, na, kb, nb)
    return {"design": "unpaired", "n": min(na, nb), "n_a": na, "n_b": nb, "accuracy_a": ka / na,
            "accuracy_b": kb / nb, "difference": kb / nb - ka / na, "difference_lo": lo, "difference_hi": hi,
            "test": TESTS["unpaired"], "p_value": paired.two_proportion_test(ka, na, kb, nb),
            "mde": paired.mde_unpaired(na, nb, (ka + kb) / (na + nb))}


def within_run(recs: list[dict]) -> pd.DataFrame:
    """Every pair of a run's contestants (the reference side aside) per task x level, paired on shared instances."""
    rows = []
    for task, answers in by_task(recs).items():
        who = [c for c in answers if c[0] != "reference"]
        names = labels_of(who)
        for level in levels_of(*(answers[c] for c in who)):
            for i, ca in enumerate(who):
                for cb in who[i + 1:]:
                    row = compare_cell(at_level(answers[ca], level), at_level(answers[cb], level), paired_only=True,
                                       timed=level != ALL_LEVELS)
                    if row is not None:
                        rows.append(described(row, task, level, ca, cb, names[ca], names[cb]))
    return finish(rows)


def match_contestants(a: list[tuple], b: list[tuple]) -> list[tuple[tuple, tuple]]:
    """Pairs (contestant of run A, contestant of run B) of one task, matched in three passes, each only where the
    match is unambiguous: the same backend, label, variant and setting; then the same backend and label (a new
    program version, another prompt format or shot count); then the same backend alone (two runs of different
    models: their LLM contestants are named after the models, so they match by side)."""
    pairs: list[tuple[tuple, tuple]] = []
    for key in (lambda c: c, lambda c: c[:2], lambda c: c[:1]):
        left = [c for c in a if c not in {p[0] for p in pairs}]
        right = [c for c in b if c not in {p[1] for p in pairs}]
        for ca in left:
            mine = [c for c in left if key(c) == key(ca)]
            theirs = [c for c in right if key(c) == key(ca)]
            if len(mine) == 1 and len(theirs) == 1:
                pairs.append((ca, theirs[0]))
    order = {c: i for i, c in enumerate(a)}
    return sorted(pairs, key=lambda p: order[p[0]])


def between_runs(recs_a: list[dict], recs_b: list[dict]) -> tuple[pd.DataFrame, list[str]]:
    """Each contestant of run A against its match in run B, per task x level; and what could not be matched."""
    rows, unmatched = [], []
    tasks_a, tasks_b = by_task(recs_a), by_task(recs_b)
    for task in [*tasks_a, *(t for t in tasks_b if t not in tasks_a)]:
        answers_a, answers_b = tasks_a.get(task, {}), tasks_b.get(task, {})
        pairs = match_contestants(list(answers_a), list(answers_b))
        unmatched += [f"{task}: {c[1]} only in run A" for c in answers_a if c not in {p[0] for p in pairs}]
        unmatched += [f"{task}: {c[1]} only in run B" for c in answers_b if c not in {p[1] for p in pairs}]
        for ca, cb in pairs:
            for level in levels_of(answers_a[ca], answers_b[cb]):
                row = compare_cell(at_level(answers_a[ca], level), at_level(answers_b[cb], level), paired_only=False,
                                   timed=level != ALL_LEVELS)
                if row is not None:
                    rows.append(described(row, task, level, ca, cb, ca[1], cb[1]))
    return finish(rows), unmatched


def described(row: dict, task: str, level, ca: tuple, cb: tuple, name_a: str, name_b: str) -> dict:
    return {**row, "task": task, "difficulty": level, "a": name_a, "b": name_b, "backend_a": ca[0],
            "backend_b": cb[0], "setting_a": ca[3], "setting_b": cb[3]}


def finish(rows: list[dict]) -> pd.DataFrame:
    """The table with Holm's correction over all its rows, each row's verdict, and the columns in order."""
    df = pd.DataFrame(rows, columns=COLUMNS)
    if df.empty:
        return df
    df["difficulty"] = df["difficulty"].astype(str)
    df["p_holm"] = paired.holm(df["p_value"].astype(float).tolist())
    df["significant"] = df["p_holm"] < paired.ALPHA
    df["better"] = [better_of(r) for _, r in df.iterrows()]
    for name in ("both", "a_only", "b_only", "neither"):
        df[name] = df[name].astype("Int64")  # empty (not 0) on unpaired rows
    return df


def better_of(row) -> str:
    """The more accurate contestant's name where the corrected test says they differ, else ''."""
    if not row["significant"] or math.isnan(row["difference"]) or row["difference"] == 0:
        return ""
    return row["b"] if row["difference"] > 0 else row["a"]
