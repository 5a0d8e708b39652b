"""The sentiment task's data: vendored files intact, a split that is stable, stratified and disjoint, and users' own
labelled files read with errors that name the line."""
from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from bench.tasks import PromptSpec, TaskInputError, get_task
from bench.tasks.sentiment_data import (DATA_DIR, SITES, SPLIT_SIZES, assign_splits, read_labelled, splits,
                                        vendored)

SHA256 = {"amazon_cells_labelled.txt": "47003fc0a0d4840b00e96e715b6189bad09e7443a3da41c4cbe12ffc79f86ae3",
          "yelp_labelled.txt": "b565b1eeb864d76842588c3a256731b08bcdd9faf6de507bfe211a96f8b81912"}


def test_vendored_files_are_the_published_ones_with_their_attribution():
    for name, digest in SHA256.items():
        assert hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest() == digest
    source = (DATA_DIR / "SOURCE.md").read_text()
    assert "CC BY 4.0" in source and "Kotzias" in source
    assert len(vendored()) == 1986  # 2,000 lines, 14 exact duplicates kept once


def test_split_sizes_are_fixed_and_the_splits_disjoint():
    parts = splits()
    assert {name: len(rows) for name, rows in parts.items()} == SPLIT_SIZES
    texts = [set(r.text for r in rows) for rows in parts.values()]
    assert sum(map(len, texts)) == len(set().union(*texts)) == len(vendored())


def test_split_is_stratified_by_site_and_label():
    for name, rows in splits().items():
        counts = Counter((r.site, r.label) for r in rows)
        assert set(counts) == {(s, lab) for s in SITES for lab in ("negative", "positive")}
        assert max(counts.values()) - min(counts.values()) <= 4, (name, counts)


def test_split_is_decided_by_the_sentences_not_their_order():
    shuffled = sorted(vendored(), key=lambda r: r.text[::-1])
    assert assign_splits(shuffled) == splits()


def test_instances_cover_the_test_split_by_length():
    task = get_task("sentiment")
    got = [i for d in task.difficulties for i in task.instances(d, 10**6)]
    assert len(got) == SPLIT_SIZES["test"]
    assert {i.text for i in got} == {r.text for r in splits()["test"]}
    for inst in got:
        assert task.difficulty_of(inst.text) == inst.difficulty and task.answer_of(inst) == inst.label
        assert dict(inst.facets)["site"] in SITES
    assert task.reference(got[0].text) == got[0].label
    with pytest.raises(TaskInputError, match="not in the labelled data"):
        task.reference("A sentence nobody labelled.")


def test_shots_are_labelled_training_sentences():
    task = get_task("sentiment")
    inst = task.instances(1, 1)[0]
    train = {r.text: r.label for r in splits()["train"]}
    shots = task.shots(inst, 3, seed=0)
    assert len(shots) == 3 and all(train[t] == label for t, label in shots)
    prompt = task.prompt(inst, PromptSpec("compact", 1))
    assert prompt == f"Review: {shots[0][0]}\nSentiment: {shots[0][1]}\nReview: {inst.text}\nSentiment:"


def test_a_users_file_becomes_instances(tmp_path):
    path = tmp_path / "mine.tsv"
    path.write_text("Loved it.\t1\n\nThe soup was cold and the staff rude, never again, what a waste.\tnegative\n")
    task = get_task("sentiment")
    got = task.instances_from_file(path)
    assert [(i.index, i.label, i.difficulty) for i in got] == [(1, "positive", 1), (3, "negative", 2)]
    assert dict(got[0].facets)["site"] == "mine.tsv"


@pytest.mark.parametrize("content, message", [
    ("Good.\t1\nBad\n", r"mine.tsv:2: no TAB"),
    ("Good.\t1\nBad.\tmeh\n", r"mine.tsv:2: label 'meh' is not 0, 1, negative or positive"),
    ("Good.\t1\n\t0\n", r"mine.tsv:2: the sentence before the TAB is empty"),
    ("Good.\t1\nbad\tvery bad\t0\n", r"mine.tsv:2: more than one TAB"),
    ("", r"holds no labelled sentences"),
    ("Good.\t1\nFine.\tpositive\n", r"every one of its 2 sentences is labelled positive"),
])
def test_bad_files_are_refused_with_the_line(tmp_path, content, message):
    path = tmp_path / "mine.tsv"
    path.write_text(content)
    with pytest.raises(TaskInputError, match=message):
        read_labelled(path)


def test_missing_and_undecodable_files(tmp_path):
    with pytest.raises(TaskInputError, match="no such file"):
        read_labelled(tmp_path / "absent.tsv")
    bad = tmp_path / "latin.tsv"
    bad.write_bytes(b"Good.\t1\nCaf\xe9 awful.\t0\n")
    with pytest.raises(TaskInputError, match=r"latin.tsv:2: not UTF-8"):
        read_labelled(bad)


def test_a_short_prefix_of_a_split_is_a_fair_sample():
    """--n 40 must not score one label: the order within a split is its own hash, not the one that cut it."""
    task = get_task("sentiment")
    for d in task.difficulties:
        labels = Counter(i.label for i in task.instances(d, 40))
        assert 0.25 <= labels["positive"] / 40 <= 0.75, (d, labels)
