"""Two different models of one name are never one row, one line or one folder (issue 22 item 5): a folder run as
--model is labelled with its name and the start of its content hash, and its default run folder's name carries a
hash of where it is; isabench's short names stay as they are."""
from __future__ import annotations

import argparse

import pandas as pd

from bench import cli
from bench.cmd_run import default_out, model_part
from bench.side_llm import model_label
from tiny_model import make_tiny_model


def test_two_folders_of_one_name_get_two_labels_and_two_default_folders(tmp_path):
    one = make_tiny_model(tmp_path / "a" / "tiny", seed=0)
    two = make_tiny_model(tmp_path / "b" / "tiny", seed=1)
    out = tmp_path / "run"
    for model in (one, two):
        assert cli.main(["run", "--tasks", "add", "--difficulties", "1", "--n", "3", "--model", str(model),
                         "--device", "cpu", "--backends", "llm", "--out", str(out), "--quiet", "--no-plots"]) == 0
    summary = pd.read_csv(out / "summary.csv")
    labels = list(summary["contestant"])
    assert len(labels) == 2 and len(set(labels)) == 2 and all(label.startswith("llm: tiny@") for label in labels)

    def args(model):
        return argparse.Namespace(model=str(model), backends=["llm"], n=3, seed=0, difficulties=None, split="test")

    assert default_out(args(one), ["add"], ["add", "sub"]) != default_out(args(two), ["add"], ["add", "sub"])
    assert model_part(str(one)).startswith("tiny-") and model_part(str(one)) == model_part(str(one) + "/")


def test_known_short_names_and_hub_ids_keep_their_names():
    assert model_label("sentiment-lora", {"content_hash": "abcdef123"}) == "sentiment-lora"
    assert model_label("runs/sentiment-lora", {"content_hash": "abcdef123"}) == "sentiment-lora@abcdef"
    assert model_label(None) == "default-model"
    assert model_part("smollm2") == "smollm2" and model_part("Qwen/Qwen2.5-0.5B") == "Qwen_Qwen2.5-0.5B"
