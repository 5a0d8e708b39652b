"""The cache generate() grows in place (llm/kv_cache.py): the same keys, values, logits and tokens as transformers'
own DynamicLayer, on the embedded model and a tiny gpt2, whatever replaces the layer's tensors in between."""
from __future__ import annotations

import pytest
import torch

from llm import kv_cache
from llm.runner import load_backend

pytestmark = pytest.mark.skipif(kv_cache.DynamicLayer is None, reason="transformers without layered caches")

PROMPTS = ["count words: big big =", "li r1,9;halt;r1=", "7+8=", "li r1,6;mul r1,r1,r1;add r1,r1,r1;halt;r1="]


def states(rows: int, length: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(rows, 2, length, 4, generator=g), torch.randn(rows, 2, length, 4, generator=g)


@pytest.mark.parametrize("room", [0, 3, 9, 64])  # none, outgrown at once, outgrown later, ample
def test_each_update_returns_what_concatenation_returns(room):
    mine, theirs = kv_cache.GrowingLayer(room), kv_cache.DynamicLayer()
    for step, length in enumerate([5, 1, 1, 2, 1, 1, 1, 1]):
        k, v = states(3, length, step)
        got, want = mine.update(k, v), theirs.update(k, v)
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])
        assert mine.get_seq_length() == theirs.get_seq_length()
    assert mine.buffers[0].shape[-2] >= mine.get_seq_length()


def test_a_new_token_is_written_into_the_buffer_not_a_copy_of_the_cache():
    layer = kv_cache.GrowingLayer(room=16)
    layer.update(*states(2, 6, 0))
    buffer = layer.buffers[0]
    keys, _ = layer.update(*states(2, 1, 1))
    assert layer.buffers[0] is buffer and keys.data_ptr() == buffer.data_ptr() and keys.shape[-2] == 7


def test_without_room_the_buffer_doubles_rather_than_grows_by_a_token():
    layer, buffers = kv_cache.GrowingLayer(room=0), set()
    for step in range(64):
        layer.update(*states(1, 1, step))
        buffers.add(layer.buffers[0].data_ptr())
    assert len(buffers) <= 7  # 2, 4, 8, ..., 128 positions


@pytest.mark.parametrize("change", ["select", "repeat", "crop", "reorder", "reset"])
def test_tensors_replaced_between_updates_start_a_new_buffer(change):
    """Beam search, cropping and resets swap the layer's tensors: the next update extends those, as DynamicLayer
    does, not the stale buffer."""
    mine, theirs = kv_cache.GrowingLayer(room=32), kv_cache.DynamicLayer()
    for layer in (mine, theirs):
        layer.update(*states(3, 4, 0))
        layer.update(*states(3, 1, 1))
        if change == "select":
            layer.batch_select_indices(torch.tensor([2, 0]))
        elif change == "repeat":
            layer.batch_repeat_interleave(2)
        elif change == "crop":
            layer.crop(-2)
        elif change == "reorder":
            layer.reorder_cache(torch.tensor([1, 1, 0]))
        else:
            layer.reset()
    rows = theirs.keys.shape[0] if theirs.is_initialized else 3
    for step in range(2, 5):
        k, v = states(rows, 1, step)
        got, want = mine.update(k, v), theirs.update(k, v)
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])


@pytest.fixture(scope="module")
def embedded():
    return load_backend(None, device="cpu", batch_size=4, threads=1)


def scores(backend, grow: bool):
    """generate()'s token ids and per-step logits over left-padded prompts of different lengths."""
    ids = backend.encode(PROMPTS)
    width = max(map(len, ids))
    input_ids = torch.full((len(ids), width), backend.pad_id)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for j, row in enumerate(ids):
        input_ids[j, width - len(row):] = torch.tensor(row)
        mask[j, width - len(row):] = 1
    extra = kv_cache.growing_cache(backend.model, width + 12) if grow else {}
    with torch.inference_mode():
        out = backend.model.generate(input_ids=input_ids, attention_mask=mask, max_new_tokens=12, do_sample=False,
                                     pad_token_id=backend.pad_id, eos_token_id=None, output_scores=True,
                                     return_dict_in_generate=True, temperature=None, top_p=None, top_k=None,
                                     **extra)
    return out.sequences, torch.stack(out.scores), extra


def test_generate_gives_the_same_logits_and_tokens(embedded):
    seq, logits, extra = scores(embedded, grow=True)
    base_seq, base_logits, _ = scores(embedded, grow=False)
    assert torch.equal(seq, base_seq) and torch.equal(logits, base_logits)
    (cache,) = extra.values()
    assert all(isinstance(layer, kv_cache.GrowingLayer) and layer.get_seq_length() > 0 for layer in cache.layers)


def test_the_backend_generates_through_the_growing_cache(embedded, monkeypatch):
    written = []
    update = kv_cache.GrowingLayer.update
    monkeypatch.setattr(kv_cache.GrowingLayer, "update",
                        lambda self, *a, **k: written.append(1) or update(self, *a, **k))
    texts = [c.text for c in embedded.generate(PROMPTS, 8)]
    assert written  # every layer, every step
    monkeypatch.setattr(kv_cache, "DynamicLayer", None)  # what an older transformers gives: generate()'s own cache
    assert [c.text for c in embedded.generate(PROMPTS, 8)] == texts


def test_gpt2_generates_the_same_through_it(tmp_path):
    from tests.tiny_model import make_tiny_model

    backend = load_backend(make_tiny_model(tmp_path / "gpt2", arch="gpt2"), device="cpu", batch_size=4, threads=1)
    seq, logits, extra = scores(backend, grow=True)
    base_seq, base_logits, _ = scores(backend, grow=False)
    assert extra and torch.equal(seq, base_seq) and torch.equal(logits, base_logits)


def test_a_model_that_names_its_own_cache_keeps_it(embedded, monkeypatch):
    monkeypatch.setattr(embedded.model.generation_config, "cache_implementation", "static")
    assert kv_cache.growing_cache(embedded.model, 32) == {}
    monkeypatch.setattr(embedded.model.generation_config, "cache_implementation", None)
    assert list(kv_cache.growing_cache(embedded.model, 32)) == [kv_cache.cache_argument(embedded.model)]
