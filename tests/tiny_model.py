"""A tiny random causal LM with a character-level tokenizer, built on the spot (no downloads) for tests.

`make_tiny_model(path)` saves a loadable model folder (safetensors + tokenizer) and returns the path. Other tests
(the harness's) reuse it wherever "some LLM" is needed; its answers are random but deterministic.
"""
from __future__ import annotations

import json
import string
from pathlib import Path

SPECIALS = ["<pad>", "<bos>", "<eos>", "<unk>"]
# Concatenates the messages: enough for chat=True and for `transformers serve`'s /v1/chat/completions.
CHAT_TEMPLATE = "{% for m in messages %}{{ m['content'] }}{% endfor %}"


def build_char_tokenizer():
    """The embedded model's own tokenizer (llm.tokenizer) when it is there, else an equivalent one built here."""
    try:
        from llm.tokenizer import build_tokenizer
    except ImportError:
        return build_fallback_tokenizer()
    return build_tokenizer()


def build_fallback_tokenizer():
    """One token per printable ASCII character (+ specials); decoding fuses the characters back."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {tok: i for i, tok in enumerate(SPECIALS + list(string.printable))}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), "isolated")
    tok.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", bos_token="<bos>", eos_token="<eos>",
                                   unk_token="<unk>")


def make_tiny_model(path, *, arch: str = "llama", chat_template: bool = False, seed: int = 0) -> Path:
    """Save a random 2-layer, hidden-32 model (llama or gpt2) and its tokenizer to `path`."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    path = Path(path)
    tokenizer = build_char_tokenizer()
    # A wide initialisation: at the usual 0.02 a random gpt2 repeats one character, hiding order or batching bugs.
    ids = dict(initializer_range=0.3, vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id,
               bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    if arch == "llama":
        config = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                             num_key_value_heads=4, max_position_embeddings=256, **ids)
        model_class = LlamaForCausalLM
    elif arch == "gpt2":
        config = GPT2Config(n_embd=32, n_layer=2, n_head=4, n_positions=256, **ids)
        model_class = GPT2LMHeadModel
    else:
        raise ValueError(f"unknown arch {arch!r}: choose llama or gpt2")
    torch.manual_seed(seed)
    model_class(config).save_pretrained(path, safe_serialization=True)
    if chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    save_loadable(tokenizer, path)
    return path


def save_loadable(tokenizer, path: Path) -> None:
    """save_pretrained, then the class name both transformers 4.x and 5.x load (5.x writes one 4.x cannot)."""
    tokenizer.save_pretrained(path)
    config_file = path / "tokenizer_config.json"
    saved = json.loads(config_file.read_text())
    saved["tokenizer_class"] = "PreTrainedTokenizerFast"
    config_file.write_text(json.dumps(saved, indent=2))
