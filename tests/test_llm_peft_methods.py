"""Every --peft method of llm/peft_methods.py on a tiny random BERT: it trains only what it says, it saves, it loads
back through the backend `isabench run` uses (llm.runner.load_backend) to the same logits. (A killed run of a new
method resuming to the weights of an unbroken one: tests/test_llm_finetune.py, for AdaLoRA with SIGKILL too.)"""
from __future__ import annotations

import json
from dataclasses import asdict

import pytest
import torch
from transformers import AutoTokenizer

from bench.cli import main as cli
from bench.tasks.sentiment_data import LABELS
from llm.classifier import encode, pad
from llm.finetune import FinetuneConfig, build_model, finetune, save_trained, trainable
from llm.locate import content_hash
from llm.peft_methods import PEFT_METHODS
from llm.runner import load_backend
from test_llm_finetune import same, small_data, weights
from tiny_encoder import make_tiny_encoder

TEXTS = ["The food was awful and the waiter rude.", "Great phone, works well.", "Not bad at all.", "Meh."]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return make_tiny_encoder(tmp_path_factory.mktemp("tiny-bert"))


def logits(model, base) -> torch.Tensor:
    tokenizer = AutoTokenizer.from_pretrained(base)
    ids, mask = pad(encode(tokenizer, TEXTS, 128), tokenizer.pad_token_id)
    model.eval()
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=mask).logits.float()


def save_run(model, base, out, cfg) -> None:
    """What `isabench finetune` leaves for the loader: the weights and the record naming the base and labels."""
    save_trained(model, AutoTokenizer.from_pretrained(base), out, cfg.peft)
    record = {"base": {"name": str(base), "content_hash": content_hash(base)}, "labels": list(LABELS),
              "config": asdict(cfg)}
    (out / "finetune.json").write_text(json.dumps(record))


@pytest.mark.parametrize("peft", list(PEFT_METHODS))
def test_each_method_trains_saves_and_loads_back_to_the_same_logits(base, tmp_path, peft):
    data = small_data(n_train=16, n_dev=8)
    cfg = FinetuneConfig("sentiment", init=str(base), peft=peft, epochs=2, batch_size=8, lr=3e-2, lora_dropout=0.0)
    start = build_model(cfg, base, LABELS, 16)[0]
    untrained = logits(start, base)
    model, _ = build_model(cfg, base, LABELS, 16)
    initial = weights(model)
    out = tmp_path / peft
    out.mkdir()
    finetune(model, AutoTokenizer.from_pretrained(base), data, cfg, out, lambda m: None, log=lambda m: None)
    trained = weights(model)
    assert not same(initial, trained)  # it trained
    n_trainable, n_all = sum(p.numel() for p in trainable(model).values()), sum(p.numel() for p in model.parameters())
    assert (n_trainable == n_all) == (peft == "none")  # only the method's weights train
    assert any("classifier" in name for name in trained)  # the new head always trains

    save_run(model, base, out, cfg)
    clf = load_backend(str(out), device="cpu", dtype="float32", threads=1, batch_size=4)
    assert clf.info["peft"] == (peft if peft != "none" else None)
    here, loaded = logits(model, base), logits(clf.model, base)
    assert torch.allclose(here, loaded, atol=1e-5), (here - loaded).abs().max()
    assert not torch.allclose(loaded, untrained, atol=1e-3)  # the trained weights were loaded, not a fresh head
    assert [c.label for c in clf.classify(TEXTS)] == [LABELS[i] for i in here.argmax(-1).tolist()]


def test_prompt_learning_stays_unmerged_and_weight_updates_merge(base, tmp_path):
    from peft import PeftModel

    kinds = {}
    for peft in ("prefix", "ia3"):
        cfg = FinetuneConfig("sentiment", init=str(base), peft=peft)
        model = build_model(cfg, base, LABELS, 16)[0]
        save_run(model, base, tmp_path / peft, cfg)
        kinds[peft] = isinstance(load_backend(str(tmp_path / peft), device="cpu").model, PeftModel)
    assert kinds == {"prefix": True, "ia3": False}


@pytest.mark.parametrize("peft", ["lora", "prefix"])
def test_saving_an_adapter_never_asks_the_model_hub(base, tmp_path, monkeypatch, peft):
    """The adapter names its base by the short name (`minilm`), which is no folder here: peft's default save looked
    that name up on the hub at every epoch's save (offline: "Unable to fetch remote file" each time)."""
    import peft.utils.save_and_load as peft_save

    asked = []
    monkeypatch.setattr(peft_save, "check_file_exists_on_hf_hub", lambda *a, **k: asked.append(a))
    cfg = FinetuneConfig("sentiment", init="minilm", peft=peft)
    model, _ = build_model(cfg, base, LABELS, 16)
    assert model.peft_config["default"].base_model_name_or_path == "minilm"
    save_trained(model, AutoTokenizer.from_pretrained(base), tmp_path, peft)
    assert (tmp_path / "adapter_model.safetensors").exists() and asked == []


def test_the_reproducing_command_names_only_the_methods_own_options(base, tmp_path):
    from bench.cmd_finetune import reproduce_command

    lora = reproduce_command(FinetuneConfig("sentiment", peft="lora"), "runs/x")
    prefix = reproduce_command(FinetuneConfig("sentiment", peft="prefix", virtual_tokens=10), "runs/x")
    assert "--lora-r" in lora and "--virtual-tokens" not in lora
    assert "--virtual-tokens 10" in prefix and "--lora-r" not in prefix
    assert "--train-size" not in lora  # the whole split's command stays the shipped card's
    assert "--train-size 64" in reproduce_command(FinetuneConfig("sentiment", train_size=64), "runs/x")


@pytest.mark.parametrize("argv, message", [
    (["--peft", "adalora", "--adalora-target-r", "16"], "must not exceed --adalora-init-r"),
    (["--peft", "prompt", "--prompt-init", "text"], "--prompt-init must be random or vocab"),
    (["--peft", "prefix", "--virtual-tokens", "0"], "--virtual-tokens must be at least 1"),
    (["--train-size", "0"], "--train-size must be at least 1"),
    (["--train-size", "5000"], "--train-size must be between 1 and 1390"),
    (["--train-size", "1"], "draws no sentence labelled"),
])
def test_bad_method_options_are_a_message_and_exit_2(base, tmp_path, capsys, argv, message):
    assert cli(["finetune", "--task", "sentiment", "--init", str(base), *argv, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_a_prefix_cards_plain_peft_snippet_carries_the_forward_it_needs():
    from llm.card import load_snippet

    record = {"base": {"name": "minilm"}, "labels": list(LABELS)}
    snippets = {peft: load_snippet("F", "F", {**record, "config": {"peft": peft}}) for peft in ("prefix", "lora")}
    assert "base = accept_past_key_values(base)" in snippets["prefix"]
    assert "accept_past_key_values" not in snippets["lora"]
