"""The default model's shape: a tiny Llama causal LM, built with transformers so it saves like any hub model."""
from __future__ import annotations

from dataclasses import dataclass

from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast


@dataclass
class ModelConfig:
    hidden: int = 128  # 128 x 4 layers ~ 0.8 M params: a 5 M model cost 4.5x per step and lagged at equal CPU time
    layers: int = 4
    heads: int = 4
    mlp: int = 512
    max_positions: int = 256  # longest prompt+answer (8-word wordfreq) is ~110 characters
    rope_theta: float = 10000.0  # RoPE is relative: left padding at generation shifts nothing that matters


def build_model(cfg: ModelConfig, tokenizer: PreTrainedTokenizerFast) -> LlamaForCausalLM:
    newline = tokenizer.convert_tokens_to_ids("\n")
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=cfg.hidden,
        intermediate_size=cfg.mlp,
        num_hidden_layers=cfg.layers,
        num_attention_heads=cfg.heads,
        num_key_value_heads=cfg.heads,
        max_position_embeddings=cfg.max_positions,
        rope_theta=cfg.rope_theta,
        tie_word_embeddings=True,  # at 100 tokens x 128 an untied head would be wasted parameters
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=newline,  # every answer ends at "\n": generate() then stops by itself
    )
    model = LlamaForCausalLM(config)
    set_generation_defaults(model, tokenizer)
    return model


def set_generation_defaults(model, tokenizer: PreTrainedTokenizerFast) -> None:
    """Greedy, stop at newline: what the harness asks of every backend, saved into generation_config.json."""
    newline = tokenizer.convert_tokens_to_ids("\n")
    model.generation_config = GenerationConfig(
        do_sample=False, eos_token_id=newline, pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id
    )
