"""`isabench finetune --train-size N`: a stratified, seeded subset of the train split, disjoint from dev and test."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from bench.cli import main as cli
from bench.tasks import get_task
from bench.train_data import describe_subset, labelled_rows, labelled_splits, quotas, stratum, train_subset

TASK = get_task("sentiment")


@pytest.fixture(scope="module")
def rows():
    return labelled_rows("sentiment")


@pytest.mark.parametrize("size", [4, 16, 17, 64, 255, 1389, 1390])
def test_the_subset_has_exactly_the_size_asked_and_each_stratum_its_share(rows, size):
    subset = train_subset(TASK, rows["train"], size, seed=0)
    assert len(subset) == size and len({i.text for i in subset}) == size
    whole, drawn = Counter(map(stratum, rows["train"])), Counter(map(stratum, subset))
    assert len(whole) == 4  # sentiment's strata: site x label
    for key, n in whole.items():
        assert abs(drawn[key] - size * n / len(rows["train"])) < 1  # each stratum's share, to within one sentence


def test_the_subset_is_drawn_from_train_alone_in_its_order(rows):
    train = [i.text for i in rows["train"]]
    held = {i.text for split in ("dev", "test") for i in rows[split]}
    for seed in range(3):
        subset = [i.text for i in train_subset(TASK, rows["train"], 64, seed)]
        assert not set(subset) & held and set(subset) <= set(train)
        assert subset == [t for t in train if t in set(subset)]  # the split's training order, kept


def test_the_seed_decides_the_subset_and_a_larger_one_holds_the_smaller(rows):
    draw = lambda n, s: {i.text for i in train_subset(TASK, rows["train"], n, s)}  # noqa: E731
    assert draw(64, 0) == draw(64, 0)
    assert draw(64, 0) != draw(64, 1) and len(draw(64, 0) & draw(64, 1)) < 32
    assert draw(16, 2) < draw(64, 2) < draw(256, 2)
    assert draw(1390, 5) == {i.text for i in rows["train"]}


def test_labelled_splits_with_a_size_changes_train_only(rows):
    labels, whole = labelled_splits("sentiment")
    _, part = labelled_splits("sentiment", 16, seed=1)
    assert part["dev"] == whole["dev"] and part["test"] == whole["test"]
    texts, gold = part["train"]
    assert len(texts) == 16 and sorted(Counter(gold).values()) == [8, 8]
    assert all(labels[g] == TASK.reference(t) for t, g in zip(texts, gold))


def test_the_record_of_a_subset_counts_its_strata_by_name(rows):
    described = describe_subset("sentiment", 17, seed=3)
    drawn = Counter(map(stratum, train_subset(TASK, rows["train"], 17, 3)))
    assert described["strata"] == {f"site={k[1][1]} label={k[0]}": n for k, n in sorted(drawn.items())}
    assert list(described["strata"]) == sorted(described["strata"]) and (described["size"], described["of"]) == (17, 1390)


def test_quotas_are_hamiltons_apportionment():
    assert quotas({("a",): 3, ("b",): 3, ("c",): 4}, 5) == {("a",): 2, ("b",): 1, ("c",): 2}  # a tie: by name
    assert sum(quotas({("a",): 7, ("b",): 11, ("c",): 13}, 10).values()) == 10


def test_a_finetune_on_a_subset_records_it_and_reproduces_with_it(tmp_path):
    from tiny_encoder import make_tiny_encoder

    base = make_tiny_encoder(tmp_path / "base")
    out = tmp_path / "run"
    assert cli(["finetune", "--task", "sentiment", "--init", str(base), "--train-size", "24", "--seed", "3",
                "--epochs", "1", "--lr", "3e-2", "--dev-only", "--out", str(out)]) == 0
    record = json.loads((out / "finetune.json").read_text())
    assert record["splits"] == {"train": 24, "dev": 199, "test": 397} and record["config"]["train_size"] == 24
    assert record["train_subset"] == describe_subset("sentiment", 24, 3)
    assert sum(record["train_subset"]["strata"].values()) == 24 and record["steps"] == 2  # 24 sentences, batch 16
    assert "--train-size 24" in record["reproduce"] and "--seed 3" in record["reproduce"]
    assert "24 of the" in (out / "README.md").read_text()


def test_the_cards_data_lines_say_what_trained_and_whether_test_was_read():
    from llm.card import data_lines

    splits = {"train": 1200, "dev": 199, "test": 397}
    whole = data_lines({"task": "sentiment", "splits": splits, "test": None})
    assert "train 1,200, dev 199, test 397 sentences" in whole and whole.endswith("test was not read.")
    subset = {"size": 24, "of": 1200, "seed": 3, "strata": {"a/positive": 7, "b/negative": 17}, "texts_sha256": "ab",
              "rule": "the rule"}
    part = data_lines({"task": "sentiment", "splits": splits, "test": {"accuracy": 0.9}, "train_subset": subset})
    assert "**24 of the 1,200 train sentences**" in part and "the whole dev split (199 sentences)" in part
    assert "seed 3 (a/positive: 7, b/negative: 17; texts sha256 `ab`): the rule." in part
    assert part.endswith("test was read once, at the end (397 sentences).")
