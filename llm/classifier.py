"""A sequence classifier as a backend: an encoder with a task head, or a PEFT adapter over one, answering labels.

Two kinds of folder load here, both what `isabench finetune` writes (and what any transformers / PEFT user writes):
- a full model folder (`save_pretrained` of a `...ForSequenceClassification`): loaded as it is;
- a PEFT adapter folder (`adapter_config.json` with task_type SEQ_CLS): its base model is found through
  llm.models (a short name such as `minilm`, or a folder / hub id), checked against the content hash recorded at
  training time, and the adapter is merged into it when it is a weight update (LoRA, AdaLoRA, IA3, LoHa, LoKr,
  VeRA: one matmul per layer at inference, as fast as the base); prompt learning (prefix, prompt tuning) cannot
  merge and stays a PeftModel that puts its virtual tokens in front of every input.
With dtype int8 the loaded model's Linear layers are quantised (llm.quantize), on the CPU only.
`finetune.json` in the folder, when there, records the base, its hash, the labels and the training max_length.
"""
from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import torch

from llm.devices import apply_runtime, resolve_device, resolve_precision, synchronize
from llm.forward_time import ForwardClock
from llm.interface import Classification, count_parameters
from llm.locate import ModelSource, content_hash, refusing_pickles, resolve_model
from llm.quantize import quantize

RECORD = "finetune.json"  # what isabench finetune writes beside the weights (base, hash, labels, config, figures)
DEFAULT_MAX_LENGTH = 128  # tokens; every vendored sentiment sentence fits in 44 with MiniLM's WordPiece


class BaseModelMismatchError(ValueError):
    """An adapter's base model resolves to weights other than those it was trained on."""


def encode(tokenizer, texts: list[str], max_length: int) -> list[list[int]]:
    if isinstance(texts, str):
        raise TypeError("texts must be a list of strings, not one string")
    return tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]


def pad(rows: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right padding (an encoder reads the first token, [CLS], for its head) and the attention mask."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for j, row in enumerate(rows):
        ids[j, :len(row)] = torch.tensor(row)
        mask[j, :len(row)] = 1
    return ids, mask


def batches_by_length(rows: list[list[int]], batch_size: int) -> list[list[int]]:
    """Indices of rows, length-sorted, cut into batches: similar lengths share a batch, so little padding."""
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    return [order[k:k + batch_size] for k in range(0, len(order), batch_size)]


@torch.inference_mode()
def logits_of(model, rows: list[list[int]], pad_id: int, device: torch.device) -> torch.Tensor:
    ids, mask = pad(rows, pad_id)
    return model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.float().cpu()


def predict(model, tokenizer, texts: list[str], batch_size: int, max_length: int) -> list[int]:
    """Argmax label ids in the order of `texts` (dev and test accuracy during fine-tuning use this)."""
    rows = encode(tokenizer, texts, max_length)
    out = [0] * len(rows)
    device = next(model.parameters()).device
    for batch in batches_by_length(rows, batch_size):
        for i, label in zip(batch, logits_of(model, [rows[i] for i in batch], tokenizer.pad_token_id,
                                              device).argmax(-1).tolist()):
            out[i] = label
    return out


class ClassifierBackend:
    """llm.interface.Classifier over a loaded model: `classify` answers texts in order, in length-sorted batches."""

    def __init__(self, model, tokenizer, device: torch.device, batch_size: int, max_length: int, info: dict):
        self.model, self.tokenizer, self.device = model, tokenizer, device
        self.batch_size, self.max_length, self.info = batch_size, max_length, info
        id2label = model.config.id2label
        self.labels = tuple(id2label[i] for i in range(len(id2label)))
        self.forward_clock = ForwardClock(model, device)  # the model's own time: its forward passes

    def classify(self, texts: list[str]) -> list[Classification]:
        if isinstance(texts, str):
            raise TypeError("texts must be a list of strings, not one string")
        if not texts:
            return []
        rows = encode(self.tokenizer, texts, self.max_length)
        results: list[Classification | None] = [None] * len(rows)
        for batch in batches_by_length(rows, self.batch_size):
            synchronize(self.device)
            started = time.perf_counter()
            self.forward_clock.lap()
            scores = torch.log_softmax(logits_of(self.model, [rows[i] for i in batch], self.tokenizer.pad_token_id,
                                                 self.device), dim=-1)
            synchronize(self.device)
            latency = time.perf_counter() - started
            model_s = self.forward_clock.lap()
            for i, row in zip(batch, scores.tolist()):
                best = max(range(len(row)), key=row.__getitem__)
                results[i] = Classification(self.labels[best], dict(zip(self.labels, row)), len(rows[i]), latency,
                                            len(batch), model_s)
        return results


def read_record(folder: Path) -> dict:
    path = Path(folder) / RECORD
    if not path.is_file():
        return {}
    try:
        record = json.loads(path.read_text())
    except ValueError as e:  # also an empty or truncated file: a write cut short
        raise ValueError(f"{path} is not readable JSON ({e})") from None
    if not isinstance(record, dict):
        raise ValueError(f"{path} is not a finetune record (a JSON object), it holds a {type(record).__name__}")
    return record


def resolve_base(name: str, expected_hash: str | None) -> tuple[Path, str | None]:
    """(folder, content hash) of an adapter's base: a short name through llm.models, else a folder or cached hub id;
    its hash must match the one recorded at training time, when there is one."""
    from llm import models

    source = resolve_model(models.resolve(name))
    if source.local_dir is None:
        raise ValueError(f"the adapter's base model {name!r} is not on this disk; fetch it first "
                         "(nothing is downloaded at load time)")
    found = content_hash(source.local_dir)
    if expected_hash and found != expected_hash:
        raise BaseModelMismatchError(
            f"the adapter was trained on base model {name!r} with content hash {expected_hash}, but {name!r} "
            f"resolves to {source.local_dir} whose weights hash {found}; install the base it was trained on, "
            "or fine-tune again on this one")
    return source.local_dir, found


@contextlib.contextmanager
def quiet_loading():
    """No per-tensor loading bar and no "newly initialized" report: an adapter's head replaces the base's new one
    at once, and `isabench finetune` adds a new head on purpose. (Also peft's call of a transformers method that
    transformers has deprecated, and peft's check of an AdaLoRA adapter's rank pattern, which it keys by parameter
    where the check expects module names: warnings for the libraries' authors, not for a user; the pattern loads.)"""
    import warnings

    from transformers.utils import logging

    bars, level = logging.is_progress_bar_enabled(), logging.get_verbosity()
    logging.disable_progress_bar()
    logging.set_verbosity_error()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
            warnings.filterwarnings("ignore", message=".*rank_pattern keys did not match.*", category=RuntimeWarning)
            yield
    finally:
        logging.set_verbosity(level)
        if bars:
            logging.enable_progress_bar()


def load_model(folder: Path, dtype: torch.dtype = torch.float32):
    """(model, tokenizer, meta) of a classifier folder; meta names the base and the hashes."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder = Path(folder)
    record = read_record(folder)
    adapter = folder / "adapter_config.json"
    with quiet_loading():
        if adapter.is_file():
            from peft import PeftModel

            from llm.peft_methods import accept_past_key_values

            settings = json.loads(adapter.read_text())
            base_name = record.get("base", {}).get("name") or settings.get("base_model_name_or_path")
            if not base_name:
                raise ValueError(f"{adapter} names no base model (base_model_name_or_path)")
            base_dir, base_hash = resolve_base(base_name, record.get("base", {}).get("content_hash"))
            labels = record.get("labels") or ["LABEL_0", "LABEL_1"]
            with refusing_pickles(base_name, base_dir):
                base = AutoModelForSequenceClassification.from_pretrained(
                    base_dir, num_labels=len(labels), id2label=dict(enumerate(labels)),
                    label2id={n: i for i, n in enumerate(labels)}, dtype=dtype)
            if settings.get("peft_type") == "PREFIX_TUNING":
                base = accept_past_key_values(base)
            with refusing_pickles(str(folder), folder):
                model = PeftModel.from_pretrained(base, folder)
            if not model.peft_config["default"].is_prompt_learning:
                model = model.merge_and_unload()
            tokenizer = AutoTokenizer.from_pretrained(folder if (folder / "tokenizer_config.json").is_file()
                                                      else base_dir)
            method = record.get("config", {}).get("peft") or str(settings.get("peft_type", "")).lower()
            meta = {"peft": method, "base_model": base_name, "base_path": str(base_dir),
                    "base_hash": base_hash, "adapter_hash": content_hash(folder)}
            meta["content_hash"] = f"{meta['adapter_hash']}+{meta['base_hash']}"
        else:
            with refusing_pickles(str(folder), folder):
                model = AutoModelForSequenceClassification.from_pretrained(folder, dtype=dtype)
            tokenizer = AutoTokenizer.from_pretrained(folder)
            base = record.get("base", {})
            meta = {"peft": None, "base_model": base.get("name"), "base_path": None,
                    "base_hash": base.get("content_hash"), "adapter_hash": None, "content_hash": content_hash(folder)}
    meta["max_length"] = int(record.get("config", {}).get("max_length") or DEFAULT_MAX_LENGTH)
    return model, tokenizer, meta


def load_classifier(model: str, source: ModelSource | None = None, *, device="auto", dtype="auto", batch_size=64,
                    threads=None) -> ClassifierBackend:
    """The Classifier backend of a folder holding a sequence-classification model or a SEQ_CLS LoRA adapter."""
    import transformers

    apply_runtime(batch_size, threads)
    if source is None:
        folder = Path(model).expanduser()
        # An adapter folder has no config.json, which resolve_model asks of a model folder.
        source = ModelSource(str(folder.resolve()), folder.resolve(), None, None, True) if folder.is_dir() \
            else resolve_model(str(model))
    if source.local_dir is None:
        raise ValueError(f"classifier {model!r} must be a folder on this disk")
    torch_device = resolve_device(device)
    torch_dtype, quantization = resolve_precision(dtype, torch_device)
    net, tokenizer, meta = load_model(source.local_dir, torch_dtype)
    net.to(torch_device).eval()
    total, non_embedding = count_parameters(net)  # before quantising: int8 Linear weights are no Parameters
    net, quantized = quantize(net, quantization)
    meta.update(quantized)
    info = {
        "backend": "classifier", "model": str(model), "path": str(source.local_dir), "hub_id": source.hub_id,
        "revision": source.revision, "method": "head",
        "model_type": net.config.model_type, "dtype": str(torch_dtype).removeprefix("torch."),
        "device": str(torch_device), "torch_threads": torch.get_num_threads(), "n_params": total,
        "n_params_non_embedding": non_embedding, "batch_size": batch_size,
        "torch_version": torch.__version__, "transformers_version": transformers.__version__, **meta,
    }
    backend = ClassifierBackend(net, tokenizer, torch_device, batch_size, meta["max_length"], info)
    info["labels"] = list(backend.labels)
    return backend
