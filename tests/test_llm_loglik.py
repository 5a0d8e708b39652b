"""HFBackend.loglikelihood on a tiny random model built here: against a direct forward pass and against the
pair-by-pair implementation it replaced (tests/loglik_reference.py), batched vs alone, pads, shared contexts."""
from __future__ import annotations

import pytest
import torch

import llm.loglik
import loglik_reference as reference
from llm.hf_backend import HFBackend
from llm.loglik import encode_pair, encode_pairs
from llm.runner import load_backend
from tiny_model import make_tiny_model

CONTEXTS = ["12+3=", "count words: the cat saw the cat =", "7^2=", "a", "(6+7)*3=", "98+45="]
CONTINUATIONS = ["15", " 6", "49", "bcd", "39", "143\n"]
REVIEW = "Review: the soup was cold\nSentiment:"
# Requests that share contexts, in an order that interleaves them: labels of 9 tokens after one prompt, single-token
# and multi-token continuations of different lengths after another, a request asked twice, two contexts that are
# one after the trailing space moves, empty contexts (scored after BOS), and lone contexts of other lengths.
SHARED = [(REVIEW, " positive"), ("12+3=", "15"), (REVIEW, " negative"), ("12+3=", "1"), ("", "12"),
          ("12+3=", "15"), ("12 + ", "3"), ("count words: the cat saw the cat =", " 6"), ("12 +", " 3"),
          ("12+3=", "150\n"), ("", "7"), ("a", "bcd"), ("12+3=", "2"), (REVIEW, " neutral")]


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


def test_batched_equals_one_at_a_time(model_dir, backend, monkeypatch):
    monkeypatch.setattr(llm.loglik, "BATCH_COST", 10**6)  # every row in one batch, however much padding that takes
    single = load_backend(model_dir, device="cpu", batch_size=1, threads=1)
    alone = single.loglikelihood(CONTEXTS, CONTINUATIONS)
    batched = backend.loglikelihood(CONTEXTS, CONTINUATIONS)
    assert [b.logprob for b in batched] == pytest.approx([a.logprob for a in alone], abs=1e-4)
    assert [b.is_greedy for b in batched] == [a.is_greedy for a in alone]
    assert {a.batch_size for a in alone} == {1} and max(b.batch_size for b in batched) == 4


def test_padding_does_not_change_the_score(backend, monkeypatch):
    monkeypatch.setattr(llm.loglik, "BATCH_COST", 10**6)
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


def pairs(cases):
    return [c for c, _ in cases], [x for _, x in cases]


def assert_same(got, want):
    assert [g.logprob for g in got] == pytest.approx([w.logprob for w in want], abs=1e-4)
    assert [g.is_greedy for g in got] == [w.is_greedy for w in want]
    assert [(g.context_tokens, g.continuation_tokens) for g in got] == \
           [(w.context_tokens, w.continuation_tokens) for w in want]


def sibling(backend, batch_size=None, tokenizer=None, chat=None) -> HFBackend:
    """The same loaded model with another batch size, tokenizer or chat setting."""
    return HFBackend(backend.model, tokenizer or backend.tokenizer, backend.device, batch_size or backend.batch_size,
                     backend.chat if chat is None else chat, dict(backend.info))


@pytest.mark.parametrize("batch_size", [1, 3, 32])
def test_shared_contexts_score_as_the_pair_by_pair_reference(backend, batch_size):
    contexts, continuations = pairs(SHARED)
    want = reference.score_pairs(backend, contexts, continuations)
    assert_same(sibling(backend, batch_size).loglikelihood(contexts, continuations), want)
    assert_same(llm.loglik.score_pairs(backend, contexts, continuations, share=False), want)
    assert len({round(w.logprob, 4) for w in want}) > 8, "the cases score differently: a mix-up would show"


def fed_tokens(backend) -> list[int]:
    """A counter of the real (non-pad) tokens every forward pass of the model is given."""
    fed = [0]

    def count(module, args, kwargs):
        fed[0] += int((kwargs["input_ids"] != backend.pad_id).sum())

    backend.model.register_forward_pre_hook(count, with_kwargs=True)
    return fed


def test_each_context_runs_once_and_is_counted_once(model_dir, monkeypatch):
    monkeypatch.setattr(llm.loglik, "BATCH_COST", 10**6)  # one batch: its size is every request
    backend = load_backend(model_dir, device="cpu", batch_size=32, threads=1)
    fed = fed_tokens(backend)
    labels = backend.loglikelihood([REVIEW, REVIEW], [" positive", " negative"])
    n = len(backend.tokenizer(REVIEW)["input_ids"])
    assert [s.processed_tokens for s in labels] == [n + 8, 8] == [n + 8, fed[0] - n - 8]
    fed[0] = 0
    digits = backend.loglikelihood(["12+3="] * 3, ["1", "5", "1"])  # single tokens: read off the context's last position
    assert [s.processed_tokens for s in digits] == [6, 0, 0] and fed[0] == 6
    fed[0] = 0
    contexts, continuations = pairs(SHARED)
    scored = backend.loglikelihood(contexts, continuations)
    encoded = encode_pairs(backend, contexts, continuations)
    distinct = {tuple(c): {tuple(x) for c2, x in encoded if c2 == c} for c, _ in encoded}
    # No start is shared: the empty context's row is BOS alone, whose logits are read.
    run = sum(len(c) + sum(len(x) - 1 for x in xs) for c, xs in distinct.items())
    assert sum(s.processed_tokens for s in scored) == fed[0] == run
    assert {s.batch_size for s in scored} == {len(SHARED)}


def test_the_start_every_row_shares_runs_once(model_dir):
    backend = load_backend(model_dir, device="cpu", batch_size=3, threads=1)
    fed = fed_tokens(backend)
    sentences = ["the soup was cold", "great", "not bad at all", "meh", "I would go again"]
    contexts = [f"Review: {t}\nSentiment:" for t in sentences for _ in range(2)]
    scored = backend.loglikelihood(contexts, [" positive", " negative"] * len(sentences))
    shared = len("[BOS]Review: ") - 4  # BOS and "Review: ", one token a character
    per_row = [len(backend.tokenizer(c)["input_ids"]) + 16 for c in contexts[::2]]
    # Rows in batches of 3 and 2; the shared start runs once for the call, before the first batch.
    assert sum(s.processed_tokens for s in scored) == fed[0] == sum(per_row) - (len(sentences) - 1) * shared
    pair = [scored[k].processed_tokens + scored[k + 1].processed_tokens for k in range(0, len(scored), 2)]
    assert pair == [per_row[0]] + [n - shared for n in per_row[1:]]  # the start counted on the call's first request
    assert_same(scored, reference.score_pairs(backend, contexts, [" positive", " negative"] * len(sentences)))


def test_the_shared_starts_pass_is_timed_with_the_first_batch(model_dir, monkeypatch):
    """The start every row shares runs once, before the first batch: its seconds are that batch's (a lap of the
    forward clock that no batch read would drop them from every answer's model time)."""
    from types import SimpleNamespace

    backend = load_backend(model_dir, device="cpu", batch_size=3, threads=1)
    monkeypatch.setattr(llm.loglik, "BATCH_COST", 10**6)  # batches of 3 and 2 rows
    backend.forward_clock = SimpleNamespace(lap=lambda: 1.0)  # every pass "takes" a second
    ticks = iter(range(1000))
    monkeypatch.setattr(llm.loglik, "time", SimpleNamespace(perf_counter=lambda: float(next(ticks))))  # a second a read
    sentences = ["the soup was cold", "great", "not bad at all", "meh", "I would go again"]
    scored = backend.loglikelihood([f"Review: {t}\nSentiment:" for t in sentences for _ in range(2)],
                                   [" positive", " negative"] * len(sentences))
    by_batch = {}
    for s in scored:
        by_batch.setdefault(s.latency_s, set()).add(s.model_s)
    assert sorted(m for ms in by_batch.values() for m in ms) == [1.0, 2.0]  # the start's second, then each batch's
    assert scored[0].model_s == 2.0  # request 0 is in the first batch (the longest rows)
    # Each clock read is a second: the first batch's latency holds the start's two reads, the second its own.
    assert scored[0].latency_s == 2.0 and {s.latency_s for s in scored if s.model_s == 1.0} == {1.0}


def test_eager_attention_reads_the_additive_mask(model_dir):
    eager = load_backend(model_dir, device="cpu", batch_size=32, threads=1)
    eager.model.set_attn_implementation("eager")  # sdpa takes the mask as booleans, eager adds it to the scores
    contexts, continuations = pairs(SHARED)
    assert_same(eager.loglikelihood(contexts, continuations), reference.score_pairs(eager, contexts, continuations))


def test_sdpa_reads_a_boolean_mask(backend, monkeypatch):
    """sdpa would also take the additive float mask and score the same, at four times the memory (rows x width^2)."""
    masks, attention = [], llm.loglik.attention
    monkeypatch.setattr(llm.loglik, "attention", lambda lay, model: masks.append(attention(lay, model)) or masks[-1])
    backend.loglikelihood(*pairs(SHARED))
    shared = [m["attention_mask"] for m in masks if "attention_mask" in m and m["attention_mask"].dim() == 4]
    assert backend.model.config._attn_implementation == "sdpa"
    assert shared and {m.dtype for m in shared} == {torch.bool}


def test_without_a_4d_mask_every_request_has_its_own_row(backend, monkeypatch):
    contexts, continuations = pairs(SHARED)
    want = reference.score_pairs(backend, contexts, continuations)
    monkeypatch.setattr(llm.loglik, "MASKABLE", ())  # as under flash attention, which ignores a 4-D mask
    got = backend.loglikelihood(contexts, continuations)
    assert_same(got, want)
    assert [g.processed_tokens for g in got][:3] == [g.context_tokens + g.continuation_tokens - 1 for g in got][:3]


def test_batches_are_cut_where_padding_costs_more_than_a_pass():
    rows = [llm.loglik.Row(list(range(n)), {(7,): [k]}) for k, n in enumerate([40, 38, 10, 10, 9, 3])]
    widths = lambda runs: [[r.width for r in run] for run in runs]  # noqa: E731
    # one pass of all six: 6 x 40 + 32; cut after the long two: 2 x 40 + 32 + 4 x 10 + 32 (the 3 rides along)
    assert widths(llm.loglik.batches_of(rows, 32, cost=32)) == [[40, 38], [10, 10, 9, 3]]
    assert widths(llm.loglik.batches_of(rows, 32, cost=1000)) == [[40, 38, 10, 10, 9, 3]]  # a pass dearer than pads
    assert widths(llm.loglik.batches_of(rows, 4, cost=1000)) == [[40, 38], [10, 10, 9, 3]]  # never more than size
    assert all(len(set(run)) == 1 for run in widths(llm.loglik.batches_of(rows, 32, cost=0)))  # no pad at all
    assert widths(llm.loglik.batches_of(rows, 32, shared=3, cost=32)) == [[40, 38], [10, 10, 9, 3]]
    assert llm.loglik.batches_of([], 32) == []
    # The output layer's work at every kept position: the 3-token row after three 10s keeps 8 positions more each.
    assert widths(llm.loglik.batches_of(rows, 32, head=2.0, cost=32)) == [[40, 38], [10, 10, 9], [3]]


def test_head_share_is_the_output_layers_weights_over_the_rest(backend):
    model = backend.model
    out, inp = model.get_output_embeddings().weight, model.get_input_embeddings().weight
    body = sum(p.numel() for p in model.parameters()) - inp.numel() - (0 if out is inp else out.numel())
    assert llm.loglik.head_share(model) == pytest.approx(out.numel() / body) and 0 < out.numel() / body
    from types import SimpleNamespace
    packed = SimpleNamespace(weight=lambda: None)  # a dynamically quantized layer's weight is a method
    assert llm.loglik.head_share(SimpleNamespace(get_output_embeddings=lambda: packed,
                                                 get_input_embeddings=lambda: model.get_input_embeddings())) == 0.0


def test_requests_are_sorted_by_length_over_the_whole_call(backend):
    long = "count words: " + "the cat " * 8 + "="
    scored = sibling(backend, batch_size=2).loglikelihood(*pairs([("7^2=", "49"), (long, " 16"), ("8^2=", "64"),
                                                                  (long.replace("cat", "dog"), " 16")]))
    assert scored[1].latency_s == scored[3].latency_s != scored[0].latency_s == scored[2].latency_s
    assert {s.batch_size for s in scored} == {2}


def test_chat_contexts_shared_score_as_the_reference(tmp_path):
    folder = make_tiny_model(tmp_path / "chat", chat_template=True)
    chat = load_backend(folder, device="cpu", batch_size=4, threads=1, chat=True)
    contexts, continuations = pairs(SHARED[:10])
    assert_same(chat.loglikelihood(contexts, continuations), reference.score_pairs(chat, contexts, continuations))


def merging_tokenizer():
    """A BPE tokenizer whose merges make tokens that straddle a context and its continuation ("cat" + "s" is "cats")."""
    from tokenizers import Tokenizer, models, processors
    from transformers import PreTrainedTokenizerFast

    letters = ["<pad>", "<bos>", "<eos>", "<unk>"] + list("abcdefghijklmnopqrstuvwxyz :=+0123456789")
    merges = [("c", "a"), ("ca", "t"), ("cat", "s"), (" ", "s"), ("1", "2"), ("=", "1"), (" ", "p")]
    vocab = {tok: i for i, tok in enumerate(letters + ["".join(m) for m in merges])}
    tok = Tokenizer(models.BPE(vocab, merges, unk_token="<unk>"))
    tok.post_processor = processors.TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", vocab["<bos>"])])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", bos_token="<bos>", eos_token="<eos>",
                                   unk_token="<unk>")


def test_tokens_across_the_boundary_follow_the_reference(backend):
    merging = sibling(backend, tokenizer=merging_tokenizer())
    cases = [("the cat", "s"), ("the cat", "s sat"), ("the ", "cats"), ("a =", "12"), ("a", "=12"), ("x", "y"),
             ("the cat ", "s"), ("", "cats"), ("the cat", " purr"), ("the cat", "s")]
    got = encode_pairs(merging, *pairs(cases))
    assert got == [reference.encode_pair(merging, c, x) for c, x in cases]
    assert got[0][1] == merging.tokenizer("s", add_special_tokens=False)["input_ids"], "a straddling token"
    assert_same(merging.loglikelihood(*pairs(cases)), reference.score_pairs(merging, *pairs(cases)))
