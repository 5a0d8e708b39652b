"""`--dtype int8`: torch's dynamic quantisation of Linear layers on the CPU, for classifiers and causal LMs; close to
float32, keyed apart from it in the records, refused on any other device with a message that says what to do."""
from __future__ import annotations

import math

import pytest
import torch

from bench.side_llm import model_variant
from bench.tasks.sentiment_data import splits
from llm.devices import DeviceUnavailableError, resolve_precision
from llm.runner import load_backend
from tiny_encoder import make_tiny_encoder
from tiny_model import make_tiny_model

TEXTS = [r.text for r in splits()["dev"][::5]]


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    return make_tiny_encoder(tmp_path_factory.mktemp("clf"), head=True)


@pytest.fixture(scope="module")
def causal(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("llama"))


def quantized_linears(model) -> int:
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    return sum(isinstance(m, DynamicLinear) for m in model.modules())


def test_an_int8_classifier_answers_close_to_float32_and_is_keyed_apart(classifier):
    fp = load_backend(str(classifier), device="cpu", dtype="float32", threads=1)
    q = load_backend(str(classifier), device="cpu", dtype="int8", threads=1)
    assert fp.info["dtype"] == "float32" and q.info["dtype"] == "int8" and "quantization" in q.info
    assert quantized_linears(q.model) == q.info["quantized_linear_layers"] > 0 == quantized_linears(fp.model)
    assert q.info["n_params"] == fp.info["n_params"]  # counted before quantising
    a, b = fp.classify(TEXTS), q.classify(TEXTS)
    gaps = [abs(x.scores[k] - y.scores[k]) for x, y in zip(a, b) for k in x.scores]
    assert 0 < max(gaps) < 0.1  # quantised (not the same numbers), and close
    assert sum(x.label == y.label for x, y in zip(a, b)) >= 0.9 * len(TEXTS)
    assert len({x.label for x in a}) == 2  # the labels vary with the text, so agreeing on them means something
    assert model_variant(fp.info) != model_variant(q.info) and model_variant(q.info).endswith("/int8/cpu")


def test_an_int8_causal_lm_scores_close_to_float32(causal):
    fp = load_backend(str(causal), device="cpu", dtype="float32", threads=1)
    q = load_backend(str(causal), device="cpu", dtype="int8", threads=1)
    assert q.info["dtype"] == "int8" and quantized_linears(q.model) > 0
    contexts, continuations = ["12+34=", "7*8=", "Review: fine\nSentiment:"], ["46", "56", " positive"]
    a = [r.logprob for r in fp.loglikelihood(contexts, continuations)]
    b = [r.logprob for r in q.loglikelihood(contexts, continuations)]
    assert a != b and all(math.isclose(x, y, rel_tol=0.05, abs_tol=0.05) for x, y in zip(a, b))
    assert len(q.generate(["12+34="], max_new_tokens=4)) == 1  # generation runs through the quantised layers
    assert model_variant(fp.info) != model_variant(q.info)


@pytest.mark.parametrize("device", ["cuda", "mps", "cuda:1"])
def test_int8_is_refused_off_the_cpu_with_what_to_do(device):
    with pytest.raises(DeviceUnavailableError, match="CPU only") as err:
        resolve_precision("int8", device)
    assert "--device cpu" in str(err.value)
    assert resolve_precision("float16", device) == (torch.float16, None)


@pytest.mark.parametrize("module", ["llm.classifier", "llm.hf_backend"])
def test_a_loader_refuses_int8_on_a_gpu_before_loading_anything(module, classifier, causal, monkeypatch):
    """No GPU here: the loader is told it is on one, as `--device auto` would be on a CUDA machine."""
    import importlib

    loader = importlib.import_module(module)
    monkeypatch.setattr(loader, "resolve_device", lambda device: torch.device("cuda"))
    folder = classifier if module == "llm.classifier" else causal
    with pytest.raises(DeviceUnavailableError, match="int8 quantisation of Linear layers, which runs on the CPU"):
        load_backend(str(folder), device="auto", dtype="int8")


def test_isabench_run_with_int8_keys_its_records_apart_from_float32(classifier, tmp_path):
    """Both precisions in one run folder, as the README's int8 table is made: two sets of records, two summary rows
    under two names (an unnamed int8 row would read as a second float32 one)."""
    import pandas as pd

    from bench import records
    from bench.cli import main as cli

    out = tmp_path / "run"
    for dtype in ("float32", "int8"):
        assert cli(["run", "--tasks", "sentiment", "--backends", "llm", "--model", str(classifier), "--dtype", dtype,
                    "--device", "cpu", "--n", "4", "--no-plots", "--quiet", "--out", str(out)]) == 0
    recs = records.load(out / records.RECORDS_FILE).records
    keys = {d: {r["key"] for r in recs if f"/{d}/cpu" in r["variant"]} for d in ("float32", "int8")}
    assert keys["float32"] and len(keys["float32"]) == len(keys["int8"]) and not keys["float32"] & keys["int8"]
    assert len(recs) == 2 * len(keys["int8"])
    summary = pd.read_csv(out / "summary.csv")
    label = f"llm: {classifier.name}@"
    assert {c.startswith(label) and c.endswith(" (int8)") for c in summary["contestant"]} == {True, False}
