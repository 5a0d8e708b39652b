"""A key-value cache for generate() that grows in place: each new token's keys and values are one copy into room
set aside for them, not a copy of the whole cache.

transformers' DynamicLayer appends a step's keys and values with torch.cat, so every generated token re-copies the
cache of every layer: at the embedded model's 32 rows and 100-180 positions that copying was a third of a decode
step. GrowingLayer keeps each layer's keys and values in a buffer as long as the call can need (prompt + budget) and
hands attention a view of the part filled so far: the same numbers in the same shape, so every logit, and so every
generated token, is the one DynamicLayer gives (tests/test_llm_kv_cache.py holds it to that, token for token).

Anything else that replaces a layer's tensors (beam reordering, cropping, offloading) leaves a tensor that is not a
view of the buffer; the next update notices and starts a buffer from it. Where the installed transformers has no
layered caches (before 4.56), or the model is not one DynamicCache serves, generate() keeps its own cache.
"""
from __future__ import annotations

import inspect

import torch


def cache_argument(model) -> str:
    """forward()'s name for a key-value cache (and its output's; generate() takes the same): `cache` from
    transformers 5.24, before that `past_key_values`."""
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


try:
    from transformers.cache_utils import DynamicCache, DynamicLayer
except ImportError:  # transformers < 4.56: caches without layers
    DynamicCache = DynamicLayer = None


if DynamicLayer is not None:
    class GrowingLayer(DynamicLayer):
        """A DynamicLayer whose keys and values are views of a buffer with `room` positions (it doubles if a call
        outgrows it)."""

        def __init__(self, room: int = 0):
            super().__init__()
            self.room = room
            self.buffers: tuple[torch.Tensor, torch.Tensor] | None = None

        def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
            if not self.is_initialized:
                self.lazy_initialization(key_states, value_states)
            held = self.get_seq_length()
            new = key_states.shape[-2]
            if not self.viewing(key_states) or held + new > self.buffers[0].shape[-2]:
                self.rebuffer(key_states, value_states, max(self.room, 2 * (held + new)))
            keys, values = self.buffers
            keys[..., held:held + new, :].copy_(key_states)
            values[..., held:held + new, :].copy_(value_states)
            self.keys, self.values = keys[..., :held + new, :], values[..., :held + new, :]
            return self.keys, self.values

        def viewing(self, key_states: torch.Tensor) -> bool:
            """Whether the layer's keys are still the start of its buffer, in the shape the new states extend."""
            if self.buffers is None:
                return False
            buffer = self.buffers[0]
            if buffer.shape[:-2] != key_states.shape[:-2] or buffer.dtype != key_states.dtype:
                return False
            return self.get_seq_length() == 0 or self.keys.data_ptr() == buffer.data_ptr()

        def rebuffer(self, key_states: torch.Tensor, value_states: torch.Tensor, room: int) -> None:
            """Fresh buffers of `room` positions holding the layer's keys and values so far."""
            held = self.get_seq_length()
            made = []
            for states, kept in ((key_states, self.keys), (value_states, self.values)):
                buffer = states.new_empty((*states.shape[:-2], room, states.shape[-1]))
                if held:
                    buffer[..., :held, :].copy_(kept)
                made.append(buffer)
            self.buffers = (made[0], made[1])


def growing_cache(model, room: int) -> dict:
    """generate()'s keyword for a cache whose full-attention layers grow in place, with room for `room` positions;
    {} (generate() builds its own) where the model or the installed transformers cannot take one."""
    supports = getattr(model, "_supports_default_dynamic_cache", None)
    config = getattr(model, "generation_config", None)
    if DynamicLayer is None or supports is None or not supports() or config is None:
        return {}
    if getattr(config, "cache_implementation", None) or getattr(config, "use_cache", True) is False:
        return {}  # the model's own choice of cache (generate() refuses a second one), or none
    try:
        cache = DynamicCache(config=model.config.get_text_config(decoder=True))
    except (TypeError, ValueError, AttributeError):
        return {}
    layers = getattr(cache, "layers", None)
    if not layers:
        return {}
    cache.layers = [GrowingLayer(room) if type(layer) is DynamicLayer else layer for layer in layers]
    return {cache_argument(model): cache}
