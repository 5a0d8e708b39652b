"""The embedded model's tokenizer, save/load path, training loop, resumption and data hygiene, on tiny models."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from bench.tasks import TASKS, get_task
from llm import train as train_mod
from bench.train_data import build_mix, heldout_probes, parse_task_weights, sample_train_text
from llm.data import sample_examples
from llm.model import ModelConfig, build_model
from llm.tokenizer import CHARS, build_tokenizer, save_tokenizer
from llm.train import TrainConfig, chunked_loss, train
from llm.training import load_checkpoint
from pickle_payload import RunsCode

TINY = ModelConfig(hidden=32, layers=2, heads=2, mlp=64, max_positions=160)


def fit(model, tok, cfg, ckpt):
    """train() on the mix `isabench train` builds from cfg.mix."""
    return train(model, tok, cfg, build_mix(cfg.mix), ckpt, log=lambda m: None)


def tiny(seed=0):
    torch.manual_seed(seed)
    tok = build_tokenizer()
    return build_model(TINY, tok), tok


def test_tokenizer_round_trips_every_printable_char_and_newline():
    tok = build_tokenizer()
    text = "".join(CHARS)
    ids = tok(text)["input_ids"]
    assert ids[0] == tok.bos_token_id and len(ids) == len(text) + 1  # one token per character
    assert tok.unk_token_id not in ids
    assert tok.decode(ids, skip_special_tokens=True) == text  # no spaces inserted between characters
    assert tok.decode(tok("a\nb c")["input_ids"], skip_special_tokens=True) == "a\nb c"
    assert tok("\t")["input_ids"][1] == tok.unk_token_id


def test_save_and_from_pretrained_give_identical_logits(tmp_path):
    model, tok = tiny()
    model.save_pretrained(tmp_path)
    save_tokenizer(tok, tmp_path)
    assert json.loads((tmp_path / "tokenizer_config.json").read_text())["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert (tmp_path / "model.safetensors").exists()
    model2 = AutoModelForCausalLM.from_pretrained(tmp_path)
    tok2 = AutoTokenizer.from_pretrained(tmp_path)
    enc = tok2(["12^2=", "count words: the cat ="], return_tensors="pt", padding=True)
    assert enc["input_ids"].tolist() == tok(["12^2=", "count words: the cat ="], padding=True)["input_ids"]
    with torch.no_grad():
        assert torch.equal(model(**enc).logits, model2(**enc).logits)
    assert model2.generation_config.eos_token_id == tok.convert_tokens_to_ids("\n")


def test_training_loss_goes_down():
    model, tok = tiny()
    only_squares = {t: (1.0 if t == "square" else 0.0) for t in TASKS}
    probe = sample_examples(random.Random(99), build_mix(only_squares), 32)
    with torch.no_grad():
        before = chunked_loss(model, tok, [probe]).item()
    cfg = TrainConfig(steps=40, batch=16, lr=1e-2, warmup=5, mix=only_squares)
    fit(model, tok, cfg, None)
    with torch.no_grad():
        after = chunked_loss(model, tok, [probe]).item()
    assert after < 0.8 * before


def test_killed_run_resumes_to_the_same_weights(tmp_path, monkeypatch):
    cfg = TrainConfig(steps=6, batch=8, warmup=2, ckpt_every=3, seed=7)
    straight, tok = tiny(seed=1)
    fit(straight, tok, cfg, tmp_path / "a.pt")

    real_save = train_mod.save_checkpoint

    def save_then_die(path, *a, **k):
        real_save(path, *a, **k)
        raise KeyboardInterrupt  # killed right after the step-3 checkpoint

    monkeypatch.setattr(train_mod, "save_checkpoint", save_then_die)
    first, _ = tiny(seed=1)
    with pytest.raises(KeyboardInterrupt):
        fit(first, tok, cfg, tmp_path / "b.pt")
    assert load_checkpoint(tmp_path / "b.pt", "train", "").state["step"] == 3
    monkeypatch.setattr(train_mod, "save_checkpoint", real_save)
    resumed, _ = tiny(seed=1)
    state = fit(resumed, tok, cfg, tmp_path / "b.pt")
    assert state.step == 6
    for (name, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), name
    # A different seed is a different run: the weights must differ, or the comparison above proves nothing.
    other, _ = tiny(seed=1)
    fit(other, tok, TrainConfig(steps=6, batch=8, warmup=2, seed=8), None)
    assert not torch.equal(other.model.layers[0].mlp.up_proj.weight, straight.model.layers[0].mlp.up_proj.weight)


def test_resuming_with_other_settings_is_refused(tmp_path, monkeypatch):
    model, tok = tiny()
    fit(model, tok, TrainConfig(steps=2, batch=4, warmup=1), tmp_path / "s.pt")
    with pytest.raises(ValueError, match="lr"):
        fit(model, tok, TrainConfig(steps=4, batch=4, warmup=1, lr=1e-4), tmp_path / "s.pt")
    monkeypatch.setitem(get_task("square").training_mix, 3, 99.0)  # the task's mix changed since the run began
    with pytest.raises(ValueError, match="mix"):
        fit(model, tok, TrainConfig(steps=4, batch=4, warmup=1), tmp_path / "s.pt")


def test_no_held_out_problem_of_any_task_is_in_any_tasks_training_stream():
    """The split is decided on canonical problems: `3+6` held out under add is never trained as expr's `3+6`."""
    held_out = set()
    for task in TASKS.values():
        if task.ground_truth == "reference":
            for d in task.difficulties:
                held_out |= {task.canonical(i.text) for i in task.instances(d, n=300, seed=1234, split="test")}
    rng = random.Random(0)
    mix = build_mix()
    trained = set()
    for source in mix.sources:
        task, d = get_task(source.task), source.level
        for _ in range(300):
            text = sample_train_text(rng, task, d)
            assert task.in_split(text, "train")
            trained.add(task.canonical(text))
    assert not held_out & trained
    one_digit_sums = {f"{a}+{b}" for a in range(10) for b in range(10)}
    assert one_digit_sums & held_out and one_digit_sums & trained  # tasks do share problems: the check has teeth


def test_examples_are_prompt_answer_newline_in_the_harness_format():
    rng = random.Random(3)
    for prompt, answer in sample_examples(rng, build_mix(), 200):
        assert answer.endswith("\n") and "\n" not in prompt
        assert prompt.endswith("=")


def test_mix_spec_errors_name_the_problem():
    assert parse_task_weights("square=2")["square"] == 2.0
    with pytest.raises(ValueError, match="nope"):
        parse_task_weights("nope=1")
    with pytest.raises(ValueError, match="empty"):
        build_mix({t: 0 for t in TASKS})


def tiny_gpt2(seed=0):
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    tok = build_tokenizer()
    cfg = GPT2Config(vocab_size=len(tok), n_embd=32, n_layer=2, n_head=2, n_positions=160,
                     bos_token_id=tok.bos_token_id, eos_token_id=tok.convert_tokens_to_ids("\n"))
    return GPT2LMHeadModel(cfg), tok


@pytest.mark.parametrize("make", [tiny, tiny_gpt2], ids=["llama", "gpt2"])
def test_cli_init_fine_tunes_an_existing_folder(tmp_path, make):
    from bench.cli import main

    model, tok = make(seed=2)
    start = tmp_path / "start"
    model.save_pretrained(start)
    save_tokenizer(tok, start)
    out, exported = tmp_path / "run", tmp_path / "exported"
    rc = main(["train", "--init", str(start), "--steps", "3", "--batch", "4", "--warmup", "1",
               "--out", str(out), "--export", str(exported)])
    assert rc == 0
    tuned = AutoModelForCausalLM.from_pretrained(exported)
    assert tuned.config.hidden_size == 32 and type(tuned) is type(model)  # the --init model, not a fresh one
    assert not torch.equal(tuned.get_input_embeddings().weight, model.get_input_embeddings().weight)
    info = json.loads((exported / "training.json").read_text())
    assert info["steps_done"] == 3 and info["init"] == str(start)
    AutoTokenizer.from_pretrained(exported)


def test_cli_rejects_bad_options(capsys):
    from bench.cli import main

    assert main(["train", "--steps", "0"]) == 2
    assert "--steps" in capsys.readouterr().err
    assert main(["train", "--minutes", "-1"]) == 2
    assert main(["train", "--card"]) == 2
    assert "--card" in capsys.readouterr().err


def test_lr_warms_up_then_decays_to_its_floor():
    cfg = TrainConfig(steps=1000, lr=3e-3, warmup=100, min_lr_frac=0.4)
    lr_at = lambda step, cfg: cfg.schedule().lr(step)  # noqa: E731
    assert lr_at(0, cfg) == pytest.approx(3e-5)
    assert lr_at(99, cfg) == pytest.approx(3e-3)
    assert lr_at(550, cfg) == pytest.approx(0.5 * (3e-3 + 1.2e-3))
    assert lr_at(1000, cfg) == pytest.approx(1.2e-3)
    assert all(lr_at(s, cfg) >= lr_at(s + 1, cfg) for s in range(100, 1000))


def test_cli_trains_a_fresh_model_exports_it_and_writes_its_card(tmp_path):
    from bench.cli import main

    out, exported = tmp_path / "run", tmp_path / "model"
    argv = ["train", "--steps", "2", "--batch", "4", "--warmup", "1", "--out", str(out),
            "--export", str(exported), "--eval", "2", "--card"]
    assert main(argv) == 0
    card = (exported / "README.md").read_text()
    info = json.loads((exported / "training.json").read_text())
    for name in info["mix"]:
        assert f"| {name} |" in card
    assert "| sentiment |" not in card  # not in its training mix: not scored by generation
    assert f"{info['parameters']:,} parameters" in card and info["architecture"]["hidden_size"] == 128
    assert len(info["heldout"]) == sum(len(TASKS[name].difficulties) for name in info["mix"])
    assert "unequal length" in card and "To reproduce it elsewhere" in card  # unequal-length cells apart; a reproduce line
    # Rerunning the finished command resumes at its last step: nothing more is trained.
    before = (out / "state.safetensors").stat().st_mtime_ns
    assert main(argv[:-3]) == 0
    assert json.loads((out / "training.json").read_text())["steps_done"] == 2
    assert (out / "state.safetensors").stat().st_mtime_ns == before


def test_the_shipped_default_model_loads_and_answers_what_its_card_claims():
    from llm.evaluate import generate

    folder = Path(__file__).parent.parent / "llm" / "default_model"
    model = AutoModelForCausalLM.from_pretrained(folder)
    tok = AutoTokenizer.from_pretrained(folder)
    info = json.loads((folder / "training.json").read_text())
    assert info["parameters"] == sum(p.numel() for p in model.parameters())
    assert (folder / "model.safetensors").stat().st_size < 10 * 2**20
    card = (folder / "README.md").read_text()
    for cell in info["heldout"]:
        assert f"{cell['difficulty']}: **{100 * cell['correct'] / cell['n']:.1f} %** ({cell['n']})" in card
    # The card's figures are this model's: re-score two small cells exactly as `--eval` did.
    from llm.evaluate import evaluate

    claimed = {(c["task"], c["difficulty"]): (c["n"], c["correct"]) for c in info["heldout"]}
    for cell in evaluate(model, tok, heldout_probes({"square": (1, 2), "expr": (2,)}, n=200, seed=1234)):
        assert (cell.n, cell.correct) == claimed[(cell.task, cell.difficulty)], cell


def test_a_pickled_state_in_a_run_folder_is_refused_and_never_unpickled(tmp_path, capsys):
    from bench.cli import main

    run, marker = tmp_path / "Y", tmp_path / "MARKER"
    run.mkdir()
    torch.save({"x": RunsCode(marker)}, run / "state.pt")
    assert main(["train", "--steps", "1", "--out", str(run)]) == 2
    err = capsys.readouterr().err
    assert not marker.exists()
    assert str(run / "state.pt") in err and "another --out" in err and "Traceback" not in err
    torch.load(run / "state.pt", weights_only=False)  # the file does run code when unpickled: the test has teeth
    assert marker.exists()


@pytest.mark.parametrize("content, message", [
    (b"\x80\x04not safetensors", "not a safetensors checkpoint"),
    ("plain", "not an isabench train checkpoint"),  # valid safetensors, no isabench metadata
    ("finetune", "not an isabench train checkpoint"),  # the other loop's checkpoint
])
def test_a_foreign_checkpoint_is_refused_with_the_file_and_what_to_do(tmp_path, content, message):
    from safetensors.torch import save

    from llm.training import save_checkpoint

    ckpt = tmp_path / "state.safetensors"
    model, tok = tiny()
    if content == "plain":
        ckpt.write_bytes(save({"w": torch.zeros(2)}))
    elif content == "finetune":
        save_checkpoint(ckpt, "finetune", {}, torch.optim.AdamW(model.parameters()), {}, {})
    else:
        ckpt.write_bytes(content)
    with pytest.raises(ValueError, match=message) as err:
        fit(model, tok, TrainConfig(steps=2, batch=4, warmup=1), ckpt)
    assert str(ckpt) in str(err.value) and "another --out" in str(err.value)


def test_the_checkpoint_holds_tensors_and_json_only(tmp_path):
    """What resuming restores, read back through safetensors alone: weights, optimizer moments, both RNG states
    (test_killed_run_resumes_to_the_same_weights shows they are enough)."""
    from safetensors import safe_open

    model, tok = tiny()
    state = fit(model, tok, TrainConfig(steps=3, batch=4, warmup=1, seed=5), tmp_path / "s.safetensors")
    with safe_open(str(tmp_path / "s.safetensors"), "pt") as fh:
        meta = json.loads(fh.metadata()["isabench"])
        names = set(fh.keys())
    assert meta["state"]["step"] == state.step == 3 and meta["config"]["seed"] == 5
    assert {"rng.torch", "optimizer.0.exp_avg", "optimizer.0.step"} <= names
    saved = load_checkpoint(tmp_path / "s.safetensors", "train", "")
    for name, value in model.state_dict().items():
        assert torch.equal(saved.weights[name], value), name
    assert len(saved.extra["data_rng"][1]) == 625 and all(isinstance(x, int) for x in saved.extra["data_rng"][1])


def test_help_says_how_many_steps_the_shipped_model_trained(capsys):
    """Issue 22 item 9: --help showed a default of 8,000 steps beside a shipped model that trained 16,000."""
    from bench.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    steps = " ".join(capsys.readouterr().out.split()).split("options:", 1)[1].split("--steps STEPS", 1)[1]
    steps = steps.split(" --", 1)[0]
    info = json.loads((Path(__file__).parent.parent / "llm" / "default_model" / "training.json").read_text())
    assert f"default {TrainConfig().steps}" in steps and f"{info['steps_done']:,}" in steps
