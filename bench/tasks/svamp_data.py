"""SVAMP word problems: the vendored file (bench/data/svamp/, MIT licence), its reader, its equations and the split.

The vendored file is SVAMP.json (Patel, Bhattamishra, Goyal, NAACL 2021; attribution in bench/data/svamp/SOURCE.md):
1,000 records of Body, Question, Equation, Answer and Type. The reader checks every record (fields, integer numbers,
an equation that is fully parenthesised and gives the record's answer, computed with fractions) and says which
record and field is wrong. Three things are read otherwise than the file has them, and only these:
- Type: one record (chal-967) spells "Common-Divison"; it is read as "Common-Division".
- Answer: one record (chal-680: "Rachel's tree had 4 apples. She picked 2 apples from her tree. Thereafter 3 new
  apples grew on the tree. How many apples are there on the tree now?") says 1.0, while its equation
  `( ( 4.0 - 2.0 ) + 3.0 )` and its text give 5: it is scored against 5 (ERRATA; any other record whose equation
  and answer disagree is refused).
- The problem's text (the instance) is Body + " " + Question, each stripped: one line.
One record (chal-555, "How many planks does John need...", equation `8.0`) has no operation: its answer is a number
of its text. Difficulty is the number of operations (1, 2), so it has no level: it stays in `vendored()` (the
rules program's twin test reads all 1,000) but is left out of the split, which holds 999 problems.

The split is fixed and belongs to the task version: within each (type, operations) stratum the problems are ordered
by a hash of their text, and the first 60 % are train (solved examples for prompts, the counted table), the next
10 % dev (checks while tuning the rules) and the last 30 % test (SPLIT_SIZES below; with 302 test problems a 95 %
interval is at most about +-5.6 points wide). SVAMP's problems are variations of about a hundred seed problems (the
statement kept, the question or the numbers changed), and the split, by problem, puts a seed's variations in
different parts: 164 of the 302 test problems have a train problem whose statement has exactly the same words, 294
one that shares at least half of them (NEAR_TWINS; tests/test_svamp_data.py counts them). The counted table and the
few-shot examples see those train variations: a variation usually asks another question of the same statement, so
they are as likely to mislead as to help, but a reader should know.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from .base import TaskInputError
from .programs import OPS  # an equation's operators, by the machine's instruction
from .stratified import stratified_split

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "svamp"
DATA_FILE = DATA_DIR / "SVAMP.json"
TYPES = ("Addition", "Subtraction", "Multiplication", "Common-Division")
TYPE_NAMES = {t: t for t in TYPES} | {"Common-Divison": "Common-Division"}  # the file's one misspelling
FIELDS = ("ID", "Body", "Question", "Equation", "Answer", "Type")
SHARES = (("train", 60), ("dev", 10), ("test", 30))  # percent of each (type, operations) stratum
SPLIT_NAMES = tuple(name for name, _ in SHARES)
# What the split holds (a test pins these): train 598, dev 99, test 302 problems; 999 in all (chal-555 has no level).
SPLIT_SIZES = {"train": 598, "dev": 99, "test": 302}
# Test problems with a train problem whose statement's word set is the same (Jaccard 1) / shares half (0.5).
NEAR_TWINS = {1.0: 164, 0.5: 294}
# ID -> (the file's answer, the answer its equation and text give): the file's known slips, corrected here.
ERRATA = {"chal-680": (1, 5)}
TOKEN = re.compile(r"\s*(\(|\)|[-+*/]|\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class Problem:
    id: str  # "chal-1"
    body: str
    question: str
    equation: str  # fully parenthesised: "( ( 8.0 * 3.0 ) + 4.0 )"
    answer: int
    type: str  # one of TYPES
    ops: int  # operations in the equation: 0, 1 or 2

    @property
    def text(self) -> str:
        """The instance: the problem as one line."""
        return f"{self.body} {self.question}"


# An equation as a tree: an int, or (op, left, right) with op one of "+-*/".
Tree = int | tuple


def parse_equation(equation: str) -> Tree:
    """`( ( 8.0 * 3.0 ) + 4.0 )` -> ("+", ("*", 8, 3), 4); numbers must be integers (8.0 is read as 8). Raises
    ValueError saying what is wrong at which character."""
    tokens, at = [], 0
    while at < len(equation.rstrip()):
        m = TOKEN.match(equation, at)
        if not m:
            at += len(equation[at:]) - len(equation[at:].lstrip())
            raise ValueError(f"unexpected {equation[at]!r} at character {at}")
        tokens.append((m.group(1), m.start(1)))
        at = m.end()
    tree, rest = _expression(tokens, equation)
    if rest:
        raise ValueError(f"unexpected {rest[0][0]!r} at character {rest[0][1]} after the whole equation")
    return tree


def _expression(tokens, equation: str):
    if not tokens:
        raise ValueError("the equation ends where a number or '(' is expected")
    (tok, at), rest = tokens[0], tokens[1:]
    if tok == "(":
        left, rest = _expression(rest, equation)
        if not rest or rest[0][0] not in OPS:
            raise ValueError(f"an operator is expected at character {rest[0][1] if rest else len(equation)}")
        op, rest = rest[0][0], rest[1:]
        right, rest = _expression(rest, equation)
        if not rest or rest[0][0] != ")":
            raise ValueError(f"')' is expected at character {rest[0][1] if rest else len(equation)}")
        return (op, left, right), rest[1:]
    if tok[0].isdigit():
        value = Fraction(tok)
        if value.denominator != 1:
            raise ValueError(f"the number {tok} at character {at} is not an integer")
        return int(value), rest
    raise ValueError(f"unexpected {tok!r} at character {at}")


def evaluate(tree: Tree) -> Fraction:
    if isinstance(tree, int):
        return Fraction(tree)
    op, left, right = tree
    a, b = evaluate(left), evaluate(right)
    if op == "/" and b == 0:
        raise ValueError("the equation divides by zero")
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else a}[op]


def count_ops(tree: Tree) -> int:
    return 0 if isinstance(tree, int) else 1 + count_ops(tree[1]) + count_ops(tree[2])


def read_svamp(path: str | Path) -> tuple[Problem, ...]:
    """Every record of an SVAMP-format JSON file (a list of objects with FIELDS). Raises TaskInputError naming the
    file and the record (index and ID) of the first bad one, or saying why the whole file is unusable."""
    path = Path(path)
    try:
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise TaskInputError(f"{path}: no such file (expected SVAMP's JSON: a list of problems)") from None
    except IsADirectoryError:
        raise TaskInputError(f"{path} is a folder, not SVAMP's JSON file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise TaskInputError(f"{path}: not JSON ({e})") from None
    if not isinstance(raw, list) or not raw:
        raise TaskInputError(f"{path}: expected a non-empty JSON list of problems, got {type(raw).__name__}")
    out = tuple(_problem(path, i, record) for i, record in enumerate(raw))
    seen: dict[str, str] = {}
    for p in out:
        if p.text in seen:
            raise TaskInputError(f"{path}: records {seen[p.text]} and {p.id} hold the same problem text")
        seen[p.text] = p.id
    return out


def _problem(path: Path, i: int, record) -> Problem:
    where = f"{path}: record {i}"
    if not isinstance(record, dict):
        raise TaskInputError(f"{where}: expected an object with fields {', '.join(FIELDS)}")
    where += f" ({record.get('ID', 'no ID')})"
    if missing := [f for f in FIELDS if f not in record]:
        raise TaskInputError(f"{where}: no field {missing[0]!r}")
    for name in ("ID", "Body", "Question", "Equation", "Type"):
        if not isinstance(record[name], str) or not record[name].strip():
            raise TaskInputError(f"{where}: {name} must be a non-empty string")
        if any(c in record[name] for c in "\n\r\t"):
            raise TaskInputError(f"{where}: {name} holds a line break or tab (the problem must be one line)")
    kind = TYPE_NAMES.get(record["Type"])
    if kind is None:
        raise TaskInputError(f"{where}: Type {record['Type']!r} is not one of {', '.join(TYPES)}")
    answer = record["Answer"]
    if isinstance(answer, bool) or not isinstance(answer, (int, float)) or answer != int(answer):
        raise TaskInputError(f"{where}: Answer {answer!r} is not an integer")
    try:
        tree = parse_equation(record["Equation"])
        value = evaluate(tree)
    except ValueError as e:
        raise TaskInputError(f"{where}: Equation {record['Equation']!r}: {e}") from None
    if ERRATA.get(record["ID"], (None,))[0] == answer and ERRATA[record["ID"]][1] == value:
        answer = value  # a known slip of the file (ERRATA): the equation and the text agree on the answer
    if value != int(answer):
        raise TaskInputError(f"{where}: Equation {record['Equation']!r} gives {value}, but Answer is {answer!r}")
    if count_ops(tree) > 2:
        raise TaskInputError(f"{where}: Equation {record['Equation']!r} has more than two operations")
    return Problem(record["ID"].strip(), record["Body"].strip(), record["Question"].strip(), record["Equation"],
                   int(answer), kind, count_ops(tree))


@functools.cache
def vendored() -> tuple[Problem, ...]:
    """All 1,000 vendored problems, in file order."""
    return read_svamp(DATA_FILE)


@functools.cache
def splits() -> dict[str, tuple[Problem, ...]]:
    """The vendored problems' train / dev / test (the one without an operation is in none)."""
    return assign_splits(p for p in vendored() if p.ops)


def assign_splits(problems) -> dict[str, tuple[Problem, ...]]:
    """train / dev / test, stratified by type and operations, decided by a hash of each problem's text."""
    return stratified_split(problems, stratum=lambda p: (p.type, p.ops), text=lambda p: p.text, shares=SHARES,
                            salt="isabench-svamp")


@functools.cache
def split_of_text() -> dict[str, tuple[str, Problem]]:
    """problem text -> (split name, problem); the problem without an operation is listed as split "none"."""
    found = {p.text: ("none", p) for p in vendored()}
    return found | {p.text: (name, p) for name, rows in splits().items() for p in rows}
