"""Greedy, batched generation and continuation scoring with any Hugging Face causal LM (a hub id, a local folder or
a GGUF file)."""
from __future__ import annotations

import pickle
import time

import torch

from llm.devices import apply_runtime, resolve_device, resolve_precision, synchronize
from llm.forward_time import ForwardClock
from llm.kv_cache import growing_cache
from llm.locate import (ModelSource, content_hash, files_hash, has_safetensors, refused, resolve_model,
                        weight_files)
from llm.quantize import quantize
from llm.stopping import StopOnStrings, first_stop, token_ids_containing, tokens_through_stop
from llm.interface import Completion, LogLikelihood, check_pairs, check_request, count_parameters


class ChatTemplateMissingError(ValueError):
    """chat=True but the tokenizer carries no chat template to wrap prompts with."""


class HFBackend:
    """A loaded model + tokenizer; `generate` answers prompts in order, greedily, in length-sorted batches."""

    def __init__(self, model, tokenizer, device: torch.device, batch_size: int, chat: bool, info: dict):
        self.model, self.tokenizer, self.device = model, tokenizer, device
        self.batch_size, self.chat, self.info = batch_size, chat, info
        self.eos_ids = eos_token_ids(model, tokenizer)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.eos_ids[0]
        self.max_positions = max_positions(model.config)
        self._stop_ids: dict[tuple[str, ...], torch.Tensor] = {}
        self.forward_clock = ForwardClock(model, device)  # the model's own time: its forward passes

    def render(self, prompts: list[str]) -> list[str]:
        """The text the model continues: each prompt as the user's turn of the chat template, or as it is."""
        if not self.chat:
            return list(prompts)
        return [self.tokenizer.apply_chat_template([{"role": "user", "content": p}], tokenize=False,
                                                   add_generation_prompt=True) for p in prompts]

    def tokenize(self, texts: list[str]) -> list[list[int]]:
        # A chat template already holds its own special tokens; plain prompts get the tokenizer's usual ones.
        return self.tokenizer(list(texts), add_special_tokens=not self.chat)["input_ids"]

    def encode(self, prompts: list[str]) -> list[list[int]]:
        prompts = self.render(prompts)
        ids = self.tokenize(prompts)
        for i, row in enumerate(ids):
            if not row:
                raise ValueError(f"prompt {i} ({prompts[i]!r}) encodes to no tokens; nothing to continue from")
        return ids

    def stop_ids(self, stops: tuple[str, ...]) -> torch.Tensor:
        if stops not in self._stop_ids:
            ids = token_ids_containing(self.tokenizer, list(stops)) if stops else []
            self._stop_ids[stops] = torch.tensor(ids, dtype=torch.long, device=self.device)
        return self._stop_ids[stops]

    @torch.inference_mode()
    def generate(self, prompts: list[str], max_new_tokens: int, stop: list[str] = ("\n",)) -> list[Completion]:
        check_request(prompts, max_new_tokens)
        if not prompts:
            return []
        stops = tuple(s for s in stop if s)
        encoded = self.encode(prompts)
        longest = max((len(ids) for ids in encoded), default=0)
        if self.max_positions and longest + max_new_tokens > self.max_positions:
            raise ValueError(f"a prompt of {longest} tokens + max_new_tokens={max_new_tokens} exceeds the model's "
                             f"{self.max_positions} positions")
        # Similar lengths share a batch: less padding to compute through.
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        results: list[Completion | None] = [None] * len(encoded)
        for start in range(0, len(order), self.batch_size):
            batch = order[start:start + self.batch_size]
            for i, completion in zip(batch, self.generate_batch([encoded[i] for i in batch], max_new_tokens, stops)):
                results[i] = completion
        return results

    def generate_batch(self, rows: list[list[int]], max_new_tokens: int, stops: tuple[str, ...]) -> list[Completion]:
        synchronize(self.device)
        started = time.perf_counter()
        self.forward_clock.lap()
        width = max(len(r) for r in rows)
        input_ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        attention = torch.zeros((len(rows), width), dtype=torch.long)
        for j, row in enumerate(rows):  # left padding: every row's last prompt token sits in the same column
            input_ids[j, width - len(row):] = torch.tensor(row)
            attention[j, width - len(row):] = 1
        criteria = [StopOnStrings(self.tokenizer, list(stops), self.stop_ids(stops), width)] if stops else []
        out = self.model.generate(
            input_ids=input_ids.to(self.device), attention_mask=attention.to(self.device),
            max_new_tokens=max_new_tokens, do_sample=False, num_beams=1, pad_token_id=self.pad_id,
            eos_token_id=self.eos_ids, stopping_criteria=criteria, temperature=None, top_p=None, top_k=None,
            **growing_cache(self.model, width + max_new_tokens))
        finished = self.finish(out[:, width:].tolist(), list(stops))
        synchronize(self.device)
        latency = time.perf_counter() - started
        model_s = self.forward_clock.lap()
        return [Completion(text, len(row), generated, latency, len(rows), model_s)
                for row, (text, generated) in zip(rows, finished)]

    @torch.inference_mode()
    def loglikelihood(self, contexts: list[str], continuations: list[str]) -> list[LogLikelihood]:
        """log p(continuation | context) per pair, summed over the continuation's tokens; each distinct context runs
        through the model once for all its continuations, requests sorted by length over the whole call (llm.loglik)."""
        from llm.loglik import score_pairs

        check_pairs(contexts, continuations)
        return score_pairs(self, list(contexts), list(continuations)) if contexts else []

    def finish(self, rows: list[list[int]], stops: list[str]) -> list[tuple[str, int]]:
        """Per row: (text cut before the first stop, tokens generated through the stop / EOS / limit)."""
        # Only EOS or a stop finishes a row; the pads generate() writes after that are never reached, so a pad the
        # model itself produced mid-text counts as generated (and decodes to nothing).
        ends = [next((k for k, t in enumerate(ids) if t in self.eos_ids), len(ids)) for ids in rows]
        texts = self.tokenizer.batch_decode([ids[:end] for ids, end in zip(rows, ends)], skip_special_tokens=True)
        finished = []
        for ids, end, text in zip(rows, ends, texts):
            cut = first_stop(text, stops)
            if cut >= 0:
                finished.append((text[:cut], tokens_through_stop(self.tokenizer, ids[:end], stops)))
            else:
                finished.append((text, min(end + 1, len(ids))))
        return finished


def eos_token_ids(model, tokenizer) -> list[int]:
    """EOS ids from the generation config (may be several) and the tokenizer, deduplicated in order."""
    found = model.generation_config.eos_token_id if model.generation_config is not None else None
    ids = list(found) if isinstance(found, (list, tuple)) else ([found] if found is not None else [])
    if tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise ValueError("the model has no EOS token in its tokenizer or generation config; cannot pad or stop")
    return ids


def max_positions(config) -> int | None:
    for key in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(config, key, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:2] if part.isdigit())


def load_hf_backend(model: str, source: ModelSource | None = None, *, device="auto", dtype="auto", batch_size=32,
                    threads=None, chat=False, trust_remote_code=False) -> HFBackend:
    from transformers import AutoModelForCausalLM, AutoTokenizer
    import transformers

    apply_runtime(batch_size, threads)
    torch_device = resolve_device(device)
    torch_dtype, quantization = resolve_precision(dtype, torch_device)  # int8: float32, then quantised (CPU only)
    source = source or resolve_model(str(model))

    def check_tokenizer(tokenizer) -> None:
        if chat and not getattr(tokenizer, "chat_template", None):
            raise ChatTemplateMissingError(f"chat=True but the tokenizer of {model!r} has no chat template; "
                                           "run without chat (plain completion prompts) or use a chat model")

    # transformers >= 4.56 calls it `dtype`; older releases silently ignore that name and load float32.
    dtype_kwargs = {"dtype" if version_tuple(transformers.__version__) >= (4, 56) else "torch_dtype": torch_dtype}
    bars = transformers.utils.logging.is_progress_bar_enabled()
    transformers.utils.logging.disable_progress_bar()  # a per-tensor loading bar is noise in a CLI answer
    try:
        if source.gguf_file is not None:
            from llm.gguf_file import load_gguf
            lm, tokenizer, gguf_info = load_gguf(source.gguf_file, str(model), dtype_kwargs, check_tokenizer)
        else:
            common = dict(revision=source.revision, local_files_only=source.local_files_only,
                          trust_remote_code=trust_remote_code)
            tokenizer = AutoTokenizer.from_pretrained(source.load, **common)
            check_tokenizer(tokenizer)
            safetensors = has_safetensors(source.local_dir) if source.local_dir else None
            try:
                lm = AutoModelForCausalLM.from_pretrained(source.load, use_safetensors=safetensors, **dtype_kwargs,
                                                          **common)
            except pickle.UnpicklingError as err:
                raise refused(model, source.local_dir or source.load, err) from None
            gguf_info = {}
    finally:
        if bars:
            transformers.utils.logging.enable_progress_bar()
    lm.to(torch_device).eval()
    total, non_embedding = count_parameters(lm)  # before quantising: int8 Linear weights are no Parameters
    lm, quantized = quantize(lm, quantization)
    info = {
        "backend": "transformers", "model": str(model), "path": str(source.local_dir) if source.local_dir else None,
        "hub_id": source.hub_id, "revision": source.revision,
        "content_hash": content_hash(source.local_dir) if source.local_dir and not source.gguf_file else None,
        "format": weights_format(source.local_dir) if not source.gguf_file else "gguf",
        "model_type": lm.config.model_type, "dtype": str(next(lm.parameters()).dtype).removeprefix("torch."),
        "device": str(torch_device), "torch_threads": torch.get_num_threads(), "n_params": total,
        "n_params_non_embedding": non_embedding, "batch_size": batch_size, "chat": chat,
        "trust_remote_code": trust_remote_code, "stop_method": "token-id set + tail decode",
        "torch_version": torch.__version__, "transformers_version": transformers.__version__, **quantized,
    }
    if source.gguf_file is not None:
        # The GGUF file is the model: its bytes key the records; the folder around it may hold anything else.
        info.update(path=str(source.gguf_file), content_hash=files_hash([source.gguf_file]),
                    dequantized_dtype=str(torch_dtype).removeprefix("torch."), **gguf_info)
    return HFBackend(lm, tokenizer, torch_device, batch_size, chat, info)


def weights_format(folder) -> str | None:
    """'safetensors' or 'pickle' (.bin/.pt), as the folder holds; None without a folder (fetched from the hub)."""
    if folder is None:
        return None
    return "safetensors" if has_safetensors(folder) else "pickle" if weight_files(folder) else None

