"""The svamp task's data: the vendored file intact with its attribution, its three departures from the file, a split
that is stable, stratified and disjoint, a reader whose errors name the record, and every train problem's solution
program computing its answer on the machine."""
from __future__ import annotations

import hashlib
import json
import re
from collections import Counter

import pytest

from bench.tasks import TaskInputError, get_task, sentiment_data
from bench.tasks.stratified import stratified_split
from bench.tasks.svamp_data import (DATA_DIR, NEAR_TWINS, SPLIT_SIZES, TYPES, assign_splits, count_ops, evaluate,
                                    parse_equation, read_svamp, splits, vendored)
from bench.tasks.svamp import equation_program
from isa.asm import assemble
from isa.machine import run
from isa.words import words

SHA256 = {"SVAMP.json": "5be77703a6d891ae476d7c082787ad361392aa02453b132516cdd5f4e7934e3e",
          "LICENSE": "07ce3a34de7a865345634f9278bc26ddcacc2d0defd348c28e3f4603448b9ba4"}


def by_id(name: str):
    return next(p for p in vendored() if p.id == name)


def test_vendored_file_is_the_published_one_with_its_licence_and_attribution():
    for name, digest in SHA256.items():
        assert hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest() == digest
    source = (DATA_DIR / "SOURCE.md").read_text()
    assert "MIT" in source and "Patel" in source and "NAACL 2021" in source and SHA256["SVAMP.json"] in source
    assert "Permission is hereby granted" in (DATA_DIR / "LICENSE").read_text()
    assert "arkilpatel/SVAMP" in (DATA_DIR.parents[2] / "CITATION.cff").read_text()


def test_the_file_reads_as_documented():
    problems = vendored()
    assert len(problems) == 1000 and len({p.text for p in problems}) == 1000
    assert Counter(p.type for p in problems) == {"Subtraction": 531, "Addition": 195, "Common-Division": 166,
                                                 "Multiplication": 108}
    assert Counter(p.ops for p in problems) == {1: 762, 2: 237, 0: 1}
    assert all(evaluate(parse_equation(p.equation)) == p.answer > 0 for p in problems)
    assert max(p.answer for p in problems) == 22090603
    assert all("\n" not in p.text and p.text == p.text.strip() for p in problems)


def test_the_three_departures_from_the_file():
    raw = {r["ID"]: r for r in json.loads((DATA_DIR / "SVAMP.json").read_text())}
    assert raw["chal-967"]["Type"] == "Common-Divison" and by_id("chal-967").type == "Common-Division"
    assert raw["chal-680"]["Answer"] == 1.0 and by_id("chal-680").answer == 5
    assert by_id("chal-555").ops == 0 and by_id("chal-555").answer == 8
    assert all(by_id("chal-555") not in rows for rows in splits().values())


def test_split_sizes_are_fixed_and_the_splits_disjoint():
    parts = splits()
    assert {name: len(rows) for name, rows in parts.items()} == SPLIT_SIZES
    texts = [{p.text for p in rows} for rows in parts.values()]
    assert sum(map(len, texts)) == len(set().union(*texts)) == 999


def test_split_is_stratified_by_type_and_operations():
    whole = Counter((p.type, p.ops) for p in vendored() if p.ops)
    for name, share in (("train", 0.6), ("dev", 0.1), ("test", 0.3)):
        counts = Counter((p.type, p.ops) for p in splits()[name])
        for stratum, total in whole.items():
            assert abs(counts[stratum] - share * total) <= 1, (name, stratum)


def test_the_documented_near_twins_across_train_and_test():
    train = [set(words(p.body)) for p in splits()["train"]]
    for share, count in NEAR_TWINS.items():
        near = [p for p in splits()["test"]
                if any(len(w & t) >= share * len(w | t) for w in [set(words(p.body))] for t in train)]
        assert len(near) == count


def test_split_is_decided_by_the_problems_not_their_order():
    shuffled = sorted((p for p in vendored() if p.ops), key=lambda p: p.text[::-1])
    assert assign_splits(shuffled) == splits()


def test_the_split_is_sentiments_split_too():
    # bench/tasks/stratified.py cuts sentiment's data exactly as sentiment_data.py's own code does.
    got = stratified_split(sentiment_data.vendored(), stratum=lambda r: (r.site, r.label), text=lambda r: r.text,
                           shares=sentiment_data.SHARES, salt="isabench-sentiment")
    assert got == sentiment_data.splits()


def test_instances_cover_the_test_split_by_level():
    task = get_task("svamp")
    got = [i for d in task.difficulties for i in task.instances(d, 10**6)]
    assert len(got) == SPLIT_SIZES["test"] and {i.text for i in got} == {p.text for p in splits()["test"]}
    for inst in got:
        assert task.difficulty_of(inst.text) == inst.difficulty
        assert task.answer_of(inst) == inst.label == task.reference(inst.text)
        assert dict(inst.facets)["type"] in TYPES
    assert task.instances(2, 5) == task.instances(2, 5) and len(task.instances(2, 5)) == 5
    assert {i.text for i in task.instances(1, 10**6, split="train")} <= {p.text for p in splits()["train"]}
    with pytest.raises(TaskInputError, match="not in the SVAMP data"):
        task.reference("Tom had 45 apples. He gave 12 to Ann. How many apples does Tom have now?")


# --- the reader ------------------------------------------------------------------------------------------------------
GOOD = {"ID": "x-1", "Body": "Tom had 45 apples. He gave 12 to Ann.", "Question": "How many are left?",
        "Equation": "( 45.0 - 12.0 )", "Answer": 33.0, "Type": "Subtraction"}


@pytest.mark.parametrize("content, message", [
    ("[", r"mine.json: not JSON"),
    ("{}", r"expected a non-empty JSON list of problems, got dict"),
    ("[]", r"expected a non-empty JSON list"),
    ([5], r"record 0: expected an object"),
    ([{k: v for k, v in GOOD.items() if k != "Equation"}], r"record 0 \(x-1\): no field 'Equation'"),
    ([GOOD, {**GOOD, "ID": "x-2", "Body": " "}], r"record 1 \(x-2\): Body must be a non-empty string"),
    ([{**GOOD, "Question": "How many\nare left?"}], r"Question holds a line break"),
    ([{**GOOD, "Type": "Sum"}], r"Type 'Sum' is not one of Addition"),
    ([{**GOOD, "Answer": 33.5}], r"Answer 33.5 is not an integer"),
    ([{**GOOD, "Answer": "33"}], r"Answer '33' is not an integer"),
    ([{**GOOD, "Answer": 34.0}], r"Equation '\( 45.0 - 12.0 \)' gives 33, but Answer is 34.0"),
    ([{**GOOD, "Equation": "( 45.0 - 12.0"}], r"'\)' is expected at character 13"),
    ([{**GOOD, "Equation": "( 45.0 ^ 12.0 )"}], r"unexpected '\^' at character 7"),
    ([{**GOOD, "Equation": "( 4.5 * 2.0 )"}], r"the number 4.5 at character 2 is not an integer"),
    ([{**GOOD, "Equation": "( 45.0 / 0.0 )"}], r"divides by zero"),
    ([{**GOOD, "Equation": "( ( ( 1.0 + 2.0 ) + 3.0 ) + 27.0 )"}], r"more than two operations"),
    ([GOOD, {**GOOD, "ID": "x-2"}], r"records x-1 and x-2 hold the same problem text"),
])
def test_bad_files_are_refused_with_the_record(tmp_path, content, message):
    path = tmp_path / "mine.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(TaskInputError, match=message):
        read_svamp(path)


def test_missing_files_and_a_good_file(tmp_path):
    with pytest.raises(TaskInputError, match="no such file"):
        read_svamp(tmp_path / "absent.json")
    with pytest.raises(TaskInputError, match="is a folder"):
        read_svamp(tmp_path)
    path = tmp_path / "mine.json"
    path.write_text(json.dumps([GOOD]))
    [p] = read_svamp(path)
    assert (p.text, p.answer, p.ops) == ("Tom had 45 apples. He gave 12 to Ann. How many are left?", 33, 1)


def test_equations_parse_as_trees():
    assert parse_equation("( ( 8.0 * 3.0 ) + 4.0 )") == ("+", ("*", 8, 3), 4)
    assert parse_equation("( 92.0 - ( 15.0 + 20.0 ) )") == ("-", 92, ("+", 15, 20))
    assert parse_equation("8.0") == 8 and count_ops(parse_equation("8.0")) == 0
    with pytest.raises(ValueError, match="after the whole equation"):
        parse_equation("( 1.0 + 2.0 ) )")


# --- solution programs -----------------------------------------------------------------------------------------------
def test_the_documented_solution_program():
    task = get_task("svamp")
    assert equation_program("( ( 8.0 * 3.0 ) + 4.0 )").splitlines() == [
        "li r2, 8", "li r3, 3", "mul r2, r2, r3", "li r3, 4", "add r1, r2, r3", "halt"]
    assert task.solution_program(by_id("chal-1").text) == "li r2, 76\nli r3, 25\nsub r1, r2, r3\nhalt\n"
    # The machine divides integers: 28 * (24 / 16) = 42 is computed as (28 * 24) / 16, the numbers in their order.
    assert task.solution_program(by_id("chal-516").text).splitlines()[:-1] == [
        "li r2, 28", "li r3, 24", "mul r2, r2, r3", "li r3, 16", "div r1, r2, r3"]
    exact = next(p for p in vendored() if p.equation == "( 35.0 * ( 4.0 / 2.0 ) )")
    assert task.solution_program(exact.text).splitlines()[-2] == "mul r1, r2, r3"  # an exact division stays
    right = next(p for p in vendored() if re.fullmatch(r"\( [\d.]+ - \( [\d.]+ \+ [\d.]+ \) \)", p.equation))
    assert task.solution_program(right.text).splitlines()[-3:] == ["add r3, r3, r4", "sub r1, r2, r3", "halt"]
    assert task.solution_program(by_id("chal-555").text) == "li r1, 8\nhalt\n"
    with pytest.raises(TaskInputError, match="no equation to write a program from"):
        task.solution_program("Tom had 45 apples. How many apples does Tom have?")


def test_every_train_problems_program_computes_its_answer():
    task = get_task("svamp")
    ops = Counter()
    for p in splits()["train"]:
        source = task.solution_program(p.text)
        result = run(assemble(source, p.id), tier="ref")
        assert result.ok and int(result.regs[1]) == p.answer, (p.id, source)
        assert result.steps == len(source.splitlines()) == 2 * p.ops + 2  # straight-line: n + 1 loads, n ops, halt
        ops.update(line.split()[0] for line in source.splitlines())
    assert set(ops) == {"li", "add", "sub", "mul", "div", "halt"}
