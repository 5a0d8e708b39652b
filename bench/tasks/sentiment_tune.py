"""How the sentiment rules' constants were chosen: a small grid scored on the train and dev splits only.

    python -m bench.tasks.sentiment_tune           # the grid (train / dev), then the shipped tables on dev
    python -m bench.tasks.sentiment_tune --test    # the shipped tables on test: the final figure, looked at once

The lexicon learns nothing from the data, so its grid is scored on train and dev together (1,589 sentences). The
counted table is fit on train, so its grid is scored by 5-fold cross-validation on train (each fold's table counted
on the other four) and, for a second look, on dev with the table counted on all of train. Scores come from the
plain-Python twin (isa.sentiment.twin), which tests/test_sentiment_isa.py holds equal to the machine.
"""
from __future__ import annotations

import argparse
import itertools

from bench.stats import wilson
from bench.tasks.sentiment import table
from bench.tasks.sentiment_data import LABELS, splits
from isa.sentiment import classify, twin
from isa.sentiment_tables import NEGATORS, WeightTable, counted_table, lexicon_table

FOLDS = 5
SCOPES, FACTORS, TIES = (0, 1, 2, 3, 4), (1, 2, 3, 4), (0, 1)


def correct(tab: WeightTable, rows) -> int:
    return sum(twin(r.text, tab)[1] == LABELS.index(r.label) for r in rows)


def _counted(rows, **rules) -> WeightTable:
    return counted_table([r.text for r in rows], [LABELS.index(r.label) for r in rows], **rules)


def lexicon_grid():
    """(accuracy on train + dev, negators, scope, factor, tie) for every setting, best first."""
    rows = splits()["train"] + splits()["dev"]
    base = lexicon_table()
    out = []
    for (negs, negators), scope, factor, tie in itertools.product(
            (("vader+no", NEGATORS), ("vader", NEGATORS - {"no"})), SCOPES, FACTORS, TIES):
        tab = WeightTable("lexicon", base.weights, scope, factor, tie, negators=negators)
        out.append((correct(tab, rows) / len(rows), negs, scope, factor, tie))
    return sorted(out, reverse=True)


def counted_grid():
    """(5-fold accuracy on train, accuracy on dev, scope, factor, tie) for every setting, best first."""
    train, dev = splits()["train"], splits()["dev"]
    folds = [[r for i, r in enumerate(train) if i % FOLDS == k] for k in range(FOLDS)]
    out = []
    for scope, factor, tie in itertools.product(SCOPES, FACTORS[:3], TIES):
        rules = dict(scope=scope, contrast_factor=factor, tie=tie)
        cv = sum(correct(_counted([r for j, f in enumerate(folds) if j != k for r in f], **rules), folds[k])
                 for k in range(FOLDS)) / len(train)
        out.append((cv, correct(_counted(train, **rules), dev) / len(dev), scope, factor, tie))
    return sorted(out, reverse=True)


def shipped(split: str) -> list[str]:
    """One line per shipped table: its accuracy on `split` on the machine (jit tier), with the Wilson 95 % CI."""
    rows = splits()[split]
    lines = []
    for name in ("lexicon", "counted"):
        done = classify([r.text for r in rows], table(name))
        k = sum(label == LABELS.index(r.label) for label, r in zip(done.labels, rows))
        lo, hi = wilson(k, len(rows))
        lines.append(f"{name:8s} {split}: {k}/{len(rows)} = {100 * k / len(rows):.1f} % "
                     f"(Wilson 95 % CI {100 * lo:.1f}-{100 * hi:.1f} %), {done.steps / len(rows):.0f} steps a sentence")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--test", action="store_true", help="score the shipped tables on the test split only")
    parser.add_argument("--top", type=int, default=8, help="grid rows to print per table")
    args = parser.parse_args(argv)
    if args.test:
        print("\n".join(shipped("test")))
        return 0
    print("lexicon: train+dev accuracy, negators, scope, factor, tie")
    for acc, negs, scope, factor, tie in lexicon_grid()[: args.top]:
        print(f"  {100 * acc:.1f} %  {negs:8s} scope={scope} factor={factor} tie={tie}")
    print(f"counted: {FOLDS}-fold train accuracy, dev accuracy, scope, factor, tie")
    for cv, dv, scope, factor, tie in counted_grid()[: args.top]:
        print(f"  {100 * cv:.1f} %  {100 * dv:.1f} %  scope={scope} factor={factor} tie={tie}")
    print("\n".join(shipped("dev")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
