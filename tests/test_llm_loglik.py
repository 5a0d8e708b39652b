"""HFBackend.loglikelihood on a tiny random model built here: against a direct forward pass, batched vs alone, pads."""
from __future__ import annotations

import pytest
import torch

from llm.loglik import encode_pair
from llm.runner import load_backend
from tiny_model import make_tiny_model

CONTEXTS = ["12+3=", "count words: the cat saw the cat =", "7^2=", "a", "(6+7)*3=", "98+45="]
CONTINUATIONS = ["15", " 6", "49", "bcd", "39", "143\n"]


@pytest.fixture(scope="module", params=["llama", "gpt2"])
def model_dir(request, tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp(request.param), arch=request.param)


@pytest.fixture(scope="module")
def backend(model_dir):
    return load_backend(model_dir, device="cpu", batch_size=4, threads=1)


def direct(backend, ids: list[int], n_context: int) -> tuple[float, bool]:
    """Sum of log p(token) over ids[n_context:], from one unpadded forward pass over the whole sequence."""
    with torch.inference_mode():
        logits = backend.model(torch.tensor([ids])).logits[0].double()
    logprobs = torch.log_softmax(logits, dim=-1)
    total = sum(logprobs[p - 1, ids[p]].item() for p in range(n_context, len(ids)))
    greedy = all(logprobs[p - 1].argmax().item() == ids[p] for p in range(n_context, len(ids)))
    return total, greedy


def test_equals_a_direct_forward_pass(backend):
    tok = backend.tokenizer
    got = backend.loglikelihood(CONTEXTS, CONTINUATIONS)
    for context, continuation, scored in zip(CONTEXTS, CONTINUATIONS, got):
        ctx = tok(context)["input_ids"]  # [BOS] + one token per character
        assert ctx[0] == tok.bos_token_id
        ids = ctx + tok(continuation, add_special_tokens=False)["input_ids"]
        total, greedy = direct(backend, ids, len(ctx))
        assert scored.logprob == pytest.approx(total, abs=1e-4)
        assert scored.is_greedy == greedy
        assert (scored.context_tokens, scored.continuation_tokens) == (len(ctx), len(continuation))
        assert scored.logprob < 0
    assert len({round(s.logprob, 3) for s in got}) == len(got), "different requests, different scores"


def test_greedy_continuation_is_greedy(backend):
    context = "98+45="
    greedy_text = backend.generate([context], max_new_tokens=3, stop=[])[0].text
    assert len(greedy_text) == 3, "three visible characters, so the continuation has three tokens"
    other = ("x" if greedy_text[0] != "x" else "y") + greedy_text[1:]
    scored_greedy, scored_other = backend.loglikelihood([context, context], [greedy_text, other])
    assert scored_greedy.is_greedy and not scored_other.is_greedy
    assert scored_greedy.logprob > scored_other.logprob


def test_batched_equals_one_at_a_time(model_dir, backend):
    single = load_backend(model_dir, device="cpu", batch_size=1, threads=1)
    alone = single.loglikelihood(CONTEXTS, CONTINUATIONS)
    batched = backend.loglikelihood(CONTEXTS, CONTINUATIONS)
    assert [b.logprob for b in batched] == pytest.approx([a.logprob for a in alone], abs=1e-4)
    assert [b.is_greedy for b in batched] == [a.is_greedy for a in alone]
    assert {a.batch_size for a in alone} == {1} and max(b.batch_size for b in batched) == 4


def test_padding_does_not_change_the_score(backend):
    short = ("7^2=", "49")
    [alone] = backend.loglikelihood([short[0]], [short[1]])
    long_context = "count words: " + "the cat saw the cat " * 5 + "="
    padded = backend.loglikelihood([long_context, short[0]], ["12", short[1]])[1]  # 90 pads after the short row
    assert padded.batch_size == 2 and padded.logprob == pytest.approx(alone.logprob, abs=1e-4)


def test_order_follows_the_requests(backend):
    forward = backend.loglikelihood(CONTEXTS, CONTINUATIONS)
    backward = backend.loglikelihood(CONTEXTS[::-1], CONTINUATIONS[::-1])
    assert [s.logprob for s in backward] == pytest.approx([s.logprob for s in forward][::-1], abs=1e-4)


def test_trailing_space_of_the_context_moves_to_the_continuation(backend):
    moved, kept = backend.loglikelihood(["12 +", "12 + "], [" 3", "3"])
    assert moved.logprob == pytest.approx(kept.logprob, abs=1e-5)
    assert (kept.context_tokens, kept.continuation_tokens) == (5, 2)
    assert encode_pair(backend, "ab  ", "c") == encode_pair(backend, "ab", "  c")


def test_empty_context_scores_after_bos(backend):
    [scored] = backend.loglikelihood([""], ["12"])
    bos = backend.tokenizer.bos_token_id
    total, _ = direct(backend, [bos] + backend.tokenizer("12", add_special_tokens=False)["input_ids"], 1)
    assert scored.context_tokens == 1 and scored.logprob == pytest.approx(total, abs=1e-4)


def test_chat_scores_the_reply_after_the_template(tmp_path):
    folder = make_tiny_model(tmp_path / "chat", chat_template=True)
    chat = load_backend(folder, device="cpu", threads=1, chat=True)
    [scored] = chat.loglikelihood(["12 + 3 = "], ["15"])
    assert scored.context_tokens == len("12 + 3 = ")  # the template only concatenates: no BOS, space kept
    total, _ = direct(chat, chat.tokenizer("12 + 3 = 15", add_special_tokens=False)["input_ids"], len("12 + 3 = "))
    assert scored.logprob == pytest.approx(total, abs=1e-4)


def test_bad_requests(backend):
    with pytest.raises(ValueError, match="continuation 1 is empty"):
        backend.loglikelihood(["a", "b"], ["x", ""])
    with pytest.raises(ValueError, match="2 contexts but 1 continuations"):
        backend.loglikelihood(["a", "b"], ["x"])
    with pytest.raises(TypeError, match="lists of strings"):
        backend.loglikelihood("a", ["x"])
    with pytest.raises(ValueError, match="positions"):
        backend.loglikelihood(["1" * 250], ["2" * 10])
    assert backend.loglikelihood([], []) == []
