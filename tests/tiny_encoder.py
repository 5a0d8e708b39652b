"""A tiny random BERT encoder and WordPiece tokenizer, built on the spot (no downloads), for fine-tuning tests.

`make_tiny_encoder(path)` saves a folder shaped like minilm's (BertModel weights, WordPiece tokenizer files);
`head=True` saves a BertForSequenceClassification with labels negative / positive instead (a classifier folder).
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from tiny_model import save_loadable

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def vocabulary(size: int = 400) -> list[str]:
    """Specials, single characters and their ## forms, then the commonest lower-cased train words."""
    from bench.tasks.sentiment_data import splits

    chars = list("abcdefghijklmnopqrstuvwxyz0123456789.,!?'-")
    counts = Counter(w for r in splits()["train"] for w in r.text.lower().replace(".", " ").split() if w.isalpha())
    words = [w for w, _ in counts.most_common(size) if w not in chars]
    return SPECIALS + chars + ["##" + c for c in chars] + words


def build_wordpiece():
    """BERT's uncased WordPiece pipeline over vocabulary(), built with `tokenizers` (same in transformers 4 and 5)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(vocabulary())}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    tok.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]")


def make_tiny_encoder(path, *, head: bool = False, seed: int = 0, hidden: int = 32) -> Path:
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertModel

    path = Path(path)
    tokenizer = build_wordpiece()
    # A wide initialisation, so that a random model's labels depend on the text (padding bugs show).
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=hidden, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=2 * hidden, max_position_embeddings=128, pad_token_id=0,
                        initializer_range=0.2)
    torch.manual_seed(seed)
    if head:
        config.num_labels, config.id2label = 2, {0: "negative", 1: "positive"}
        config.label2id = {"negative": 0, "positive": 1}
        model = BertForSequenceClassification(config)
    else:
        model = BertModel(config)
    model.save_pretrained(path)
    save_loadable(tokenizer, path)
    return path
