"""How the svamp rules' constants were chosen: a small grid scored on the train and dev parts only.

    python -m bench.tasks.svamp_tune           # the grids (train / dev), then the shipped tables on dev
    python -m bench.tasks.svamp_tune --test    # the shipped tables on test: the final figure, looked at once

The operand rule (isa/svamp.py rule 4) was chosen first, on train's one-operation problems with their true operation
given, so that a table's choice of operation does not blur it (`operand_grid`). The people table learns nothing from
the data, so its grid (how much a question keyword weighs against a statement keyword, and which operation answers
when no keyword does) is scored on train and dev together (697 problems). The counted table is fit on train, so its
grid (the smoothing) is scored by 5-fold cross-validation on train (each fold's table counted on the other four)
and, for a second look, on dev with the table counted on all of train.
Scores come from the plain-Python twin (isa.svamp.twin), which tests/test_svamp_isa.py holds equal to the machine.
"""
from __future__ import annotations

import argparse
import itertools

from bench.stats import wilson
from bench.tasks.svamp import table
from bench.tasks.svamp_data import TYPES, splits
from isa.corpus import code
from isa.svamp import compute, operands, solve, tokens, twin
from isa.svamp_tables import OPS, QUESTION_WORDS, TYPE_OPS, KeywordTable, counted_table, people_table

FOLDS = 5
QUESTION_WEIGHTS = (2, 4, 6, 8)  # a statement keyword weighs 2
SMOOTHINGS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


def correct(tab: KeywordTable, rows) -> int:
    return sum(twin(p.text, tab).answer == p.answer for p in rows)


def _counted(rows, smoothing: float) -> KeywordTable:
    return counted_table([p.text for p in rows], [TYPE_OPS[p.type] for p in rows], smoothing=smoothing)


OPERAND_RULES = {
    "relevant (shipped)": operands,
    "the last two": lambda toks, q: [i for i, (number, _) in enumerate(toks) if number][-2:],
    "the first two": lambda toks, q: [i for i, (number, _) in enumerate(toks) if number][:2],
    "the two largest": lambda toks, q: sorted(sorted((i for i, (number, _) in enumerate(toks) if number),
                                                     key=lambda i: toks[i][1])[-2:]),
}


def operand_grid():
    """(accuracy, rule) on train's one-operation problems with the true operation, best first."""
    rows = [p for p in splits()["train"] if p.ops == 1]
    starts = {code(w) for w in QUESTION_WORDS}
    out = []
    for name, rule in OPERAND_RULES.items():
        right = 0
        for p in rows:
            toks = tokens(p.text.encode())
            q = max([i for i, (number, value) in enumerate(toks) if not number and value in starts],
                    default=len(toks))
            a, b = (toks[i][1] for i in rule(toks, q))
            right += compute(TYPE_OPS[p.type], a, b) == p.answer
        out.append((right / len(rows), name))
    return sorted(out, reverse=True)


def people_grid():
    """(accuracy on train + dev, question weight, default operation) for every setting, best first."""
    rows = splits()["train"] + splits()["dev"]
    out = [(correct(people_table(question_weight=w, default=d), rows) / len(rows), w, d)
           for w, d in itertools.product(QUESTION_WEIGHTS, OPS)]
    return sorted(out, key=lambda r: -r[0])


def counted_grid():
    """(5-fold accuracy on train, accuracy on dev, smoothing) for every setting, best first."""
    train, dev = splits()["train"], splits()["dev"]
    folds = [[p for i, p in enumerate(train) if i % FOLDS == k] for k in range(FOLDS)]
    out = []
    for smoothing in SMOOTHINGS:
        cv = sum(correct(_counted([p for j, f in enumerate(folds) if j != k for p in f], smoothing), folds[k])
                 for k in range(FOLDS)) / len(train)
        out.append((cv, correct(_counted(train, smoothing), dev) / len(dev), smoothing))
    return sorted(out, key=lambda r: -r[0])


def shipped(split: str) -> list[str]:
    """Per shipped table: its accuracy on `split` on the machine (jit tier) with the Wilson 95 % CI, overall, per
    level and per type."""
    rows = splits()[split]
    lines = []
    for name in ("people", "counted"):
        done = solve([p.text for p in rows], table(name))
        hits = [s.answer == p.answer for s, p in zip(done.solved, rows)]
        groups = [("all", rows)] + [(f"{d} op", [p for p in rows if p.ops == d]) for d in (1, 2)] + \
                 [(t, [p for p in rows if p.type == t]) for t in TYPES]
        lines.append(f"{name} {split}: {done.steps / len(rows):.0f} steps a problem")
        for label, members in groups:
            k = sum(h for h, p in zip(hits, rows) if p in members)
            lo, hi = wilson(k, len(members))
            lines.append(f"  {label:16s} {k}/{len(members)} = {100 * k / len(members):.1f} % "
                         f"(Wilson 95 % CI {100 * lo:.1f}-{100 * hi:.1f} %)")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--test", action="store_true", help="score the shipped tables on the test part only")
    parser.add_argument("--top", type=int, default=8, help="grid rows to print per table")
    args = parser.parse_args(argv)
    if args.test:
        print("\n".join(shipped("test")))
        return 0
    print("operands: accuracy on train's one-operation problems given the true operation, rule")
    for acc, name in operand_grid():
        print(f"  {100 * acc:.1f} %  {name}")
    print("people: train+dev accuracy, question weight (a statement keyword weighs 2), default operation")
    for acc, weight, default in people_grid()[: args.top]:
        print(f"  {100 * acc:.1f} %  question_weight={weight} default={default}")
    print(f"counted: {FOLDS}-fold train accuracy, dev accuracy, smoothing")
    for cv, dv, smoothing in counted_grid()[: args.top]:
        print(f"  {100 * cv:.1f} %  {100 * dv:.1f} %  smoothing={smoothing}")
    print("\n".join(shipped("dev")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
