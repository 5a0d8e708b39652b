"""Character-level tokenizer: one token per printable ASCII character and newline.

Built with `tokenizers` and wrapped in PreTrainedTokenizerFast, so it saves and loads from a folder exactly like a
hub tokenizer. Digits as single tokens is the point: a BPE merging "123" would hide the place values arithmetic needs.
"""
from __future__ import annotations

import json
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast

PAD, UNK, BOS, EOS = "[PAD]", "[UNK]", "[BOS]", "[EOS]"
SPECIALS = [PAD, UNK, BOS, EOS]
CHARS = [chr(c) for c in range(32, 127)] + ["\n"]


def build_tokenizer() -> PreTrainedTokenizerFast:
    vocab = {tok: i for i, tok in enumerate(SPECIALS + CHARS)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token=UNK))
    # "[\s\S]" and not ".": a dot would not match "\n", and the newline is the stop token.
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), "isolated")
    # Fuse: WordLevel's default decoding joins tokens with spaces ("1 2 3").
    tok.decoder = decoders.Fuse()
    # Every sequence starts with [BOS], in training and in generation alike: an anchor for attention.
    tok.post_processor = processors.TemplateProcessing(single=f"{BOS} $A", special_tokens=[(BOS, vocab[BOS])])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token=PAD, unk_token=UNK, bos_token=BOS, eos_token=EOS, padding_side="left"
    )


def save_tokenizer(tokenizer: PreTrainedTokenizerFast, folder: str | Path) -> None:
    tokenizer.save_pretrained(folder)
    # transformers 5.x names its own class "TokenizersBackend", unknown to 4.x; this name loads the same in both.
    cfg_path = Path(folder) / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["tokenizer_class"] = "PreTrainedTokenizerFast"
    cfg_path.write_text(json.dumps(cfg, indent=2) + "\n")
