"""results/README.md, the reference for what a run folder holds, says exactly what the code writes: every summary.csv
column and every record field it documents exists, and every one the code writes is documented.

The folders come from `isabench run` with a scripted model (no torch work): the ISA, a model generating (with
--gen-kwargs) and the hybrid on add; a model scoring by log-likelihood on add (the reference as continuation) and on
sentiment (each label). A documented name is a backticked name at the head of a bullet (`- `a`, `b`: ...`) in the
section it belongs to."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from bench import cli, records
from llm.interface import Completion, LogLikelihood

README = Path(__file__).resolve().parent.parent / "results" / "README.md"
HEAD = re.compile(r"- ((?:`[a-z0-9_]+`[ ,/]*)+)")


class Scripted:
    """A model that writes "7" to a question and a halting program to a hybrid prompt, and scores every
    continuation -1 and greedy."""

    info = {"model": "scripted", "path": None, "content_hash": "scripted-1", "dtype": "float32", "device": "cpu",
            "n_params": 1000, "n_params_non_embedding": 600}

    def generate(self, prompts, max_new_tokens, stop=("\n",)):
        return [Completion("li r1, 7\nhalt" if "Program:" in p else "7", len(p), 4, 0.001, len(prompts), 0.0005)
                for p in prompts]

    def loglikelihood(self, contexts, continuations):
        return [LogLikelihood(-1.0, True, 5, 1, 0.001, len(contexts), 0.0005, 6) for _ in contexts]


def documented(*sections: str, text: str | None = None) -> set[str]:
    """The names at the head of the bullets of these `### ` sections."""
    text = README.read_text(encoding="utf-8") if text is None else text
    names: set[str] = set()
    for part in re.split(r"^#{2,3} ", text, flags=re.MULTILINE):
        title, _, body = part.partition("\n")
        if title.strip() in sections:
            for line in body.splitlines():
                head = HEAD.match(line)
                if head:
                    names.update(re.findall(r"`([a-z0-9_]+)`", head.group(1)))
    return names


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    out = tmp_path_factory.mktemp("readme")
    runs = {"generated": ["--tasks", "add", "--backends", "isa,llm,hybrid", "--gen-kwargs", "max_new_tokens=8"],
            "scored": ["--tasks", "add,sentiment", "--backends", "llm", "--method", "loglikelihood", "--model", "x"]}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("llm.runner.load_backend", lambda *a, **kw: Scripted())
        for name, argv in runs.items():
            assert cli.main(["run", *argv, "--difficulties", "1", "--n", "2", "--tier", "ref", "--out",
                             str(out / name), "--no-plots", "--quiet"]) == 0
    return {name: out / name for name in runs}


def all_records(folders) -> list[dict]:
    return [r for folder in folders.values() for r in records.load(folder / records.RECORDS_FILE).records]


def test_the_summary_columns_are_exactly_the_documented_ones(folders):
    names = documented("Summary columns")
    assert len(names) > 40  # the section was found and read
    for folder in folders.values():
        written = set(pd.read_csv(folder / "summary.csv").columns)
        assert written - names == set(), "summary.csv columns missing from results/README.md"
        assert names - written == set(), "results/README.md documents columns summary.csv does not write"


def test_the_record_fields_are_exactly_the_documented_ones(folders):
    recs = all_records(folders)
    kinds = {(r["backend"], r.get("method"), r["task"]) for r in recs}
    assert kinds == {("isa", None, "add"), ("llm", "generate", "add"), ("hybrid", "program", "add"),
                     ("llm", "loglikelihood", "add"), ("llm", "loglikelihood", "sentiment")}
    names = documented("Record fields", "Timings")
    for r in recs:  # every field of every kind of record (an ISA's, an LLM's, the hybrid's) is documented
        assert set(r) - names == set(), f"{r['backend']} {r.get('method')} record fields missing from the README"
    written = {k for r in recs for k in r}
    assert names - written == set(), "results/README.md documents record fields no record holds"


def test_every_file_a_run_writes_is_in_the_files_table(folders):
    table = README.read_text(encoding="utf-8").split("| file | what it holds |")[1].split("\n\n")[0]
    cells = [row.split(" | ")[0] for row in table.splitlines() if row.startswith("| `")]  # each row's first cell
    listed = {re.split(r"[/*]", name)[0] for cell in cells for name in re.findall(r"`([^`]+)`", cell)}
    assert {"records.jsonl", "summary.csv", "lm_eval", "plots", ".lock"} <= listed
    for folder in folders.values():
        assert {p.name for p in folder.iterdir()} - listed == set()


def test_a_name_left_out_of_the_readme_is_caught():
    text = README.read_text(encoding="utf-8")
    assert "`alone_n`" in text and "`is_greedy`" in text
    assert "alone_n" not in documented("Summary columns", text=text.replace("`alone_n`", "alone_n"))
    assert "is_greedy" not in documented("Record fields", text=text.replace("`is_greedy`", "is_greedy"))
