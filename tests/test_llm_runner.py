"""The transformers backend on a tiny random model built here: batching, stops, order, counts, devices, errors."""
from __future__ import annotations

import hashlib
import os

import pytest
import torch

import llm
from llm import devices
from llm.devices import DeviceUnavailableError, resolve_device, resolve_dtype
from llm.hf_backend import ChatTemplateMissingError
from llm.runner import ModelNotFoundError, count_parameters, load_backend
from llm.stopping import token_ids_containing
from tiny_model import make_tiny_model

PROMPTS = ["12345^2=", "7^2=", "98+45=", "count words: the cat saw the cat =", "3-98765=", "(6+7)*3=", "1"]


@pytest.fixture(scope="module", params=["llama", "gpt2"])
def model_dir(request, tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp(request.param), arch=request.param)


@pytest.fixture(scope="module")
def backend(model_dir):
    return load_backend(model_dir, device="cpu", batch_size=3, threads=1)


@pytest.fixture(scope="module")
def full(backend):
    """Each prompt's continuation with no stop at all: the reference the stop tests cut."""
    return [c.text for c in backend.generate(PROMPTS, max_new_tokens=10, stop=[])]


def test_batched_left_padded_equals_one_at_a_time(model_dir, backend):
    single = load_backend(model_dir, device="cpu", batch_size=1, threads=1)
    alone = [c.text for c in single.generate(PROMPTS, max_new_tokens=10, stop=[])]
    batched = backend.generate(PROMPTS, max_new_tokens=10, stop=[])
    assert [c.text for c in batched] == alone
    assert len({len(p) for p in PROMPTS}) > 3, "prompts of different lengths, so rows are padded"
    assert [c.batch_size for c in batched].count(3) == 6 and [c.batch_size for c in batched].count(1) == 1


def test_order_follows_the_prompts_not_the_length_sort(backend, full):
    reversed_out = backend.generate(PROMPTS[::-1], max_new_tokens=10, stop=[])
    assert [c.text for c in reversed_out] == full[::-1]
    assert len(set(full)) > 1, "a model that says the same to every prompt could not show a mix-up"


def test_token_counts(backend):
    out = backend.generate(PROMPTS, max_new_tokens=7, stop=[])
    tok = backend.tokenizer
    for prompt, c in zip(PROMPTS, out):
        ids = torch.tensor([tok(prompt)["input_ids"]])
        bare = backend.model.generate(ids, max_new_tokens=7, do_sample=False, pad_token_id=backend.pad_id,
                                      eos_token_id=backend.eos_ids)  # alone, unpadded: ends at EOS or the limit
        assert c.prompt_tokens == ids.shape[1]
        assert c.generated_tokens == bare.shape[1] - ids.shape[1]
        assert c.text == tok.decode(bare[0, ids.shape[1]:], skip_special_tokens=True)
    assert all(c.latency_s > 0 for c in out)


def pick_stop(full, length):
    """(row, k): a row of 10 visible characters (no special token decoded to nothing) whose text first contains
    full[row][k:k+length] at k >= 2, so the stop cuts inside the text."""
    for i, text in enumerate(full):
        for k in range(2, 8):
            if len(text) == 10 and text.find(text[k:k + length]) == k:
                return i, k
    raise AssertionError(f"no usable stop in {full}")


@pytest.mark.parametrize("length", [1, 2])  # one character: token-id check; two: decoded-text check
def test_stop_string_cuts_text_and_counts_tokens_through_it(backend, full, length):
    i, k = pick_stop(full, length)
    out = backend.generate([PROMPTS[i]], max_new_tokens=10, stop=["@@@", full[i][k:k + length]])[0]
    assert out.text == full[i][:k]
    assert out.generated_tokens == k + length  # char-level tokens: the stop's characters are generated, not returned


def test_batch_ends_early_once_every_row_stopped(backend, full, monkeypatch):
    widths = []
    original = backend.model.generate

    def recording_generate(*args, **kwargs):
        out = original(*args, **kwargs)
        widths.append(out.shape[1] - kwargs["input_ids"].shape[1])
        return out

    monkeypatch.setattr(backend.model, "generate", recording_generate)
    stops = sorted({t[0] for t in full if t})  # every row's first character stops it at once
    out = backend.generate(PROMPTS, max_new_tokens=10, stop=stops)
    assert all(c.text == "" for c in out)
    # The last batch ends with its slowest row: the generated width is that row's count, far below the limit.
    assert widths and max(widths) == max(c.generated_tokens for c in out) < 10


def test_finish_stops_at_eos_and_counts_it(backend):
    tok = backend.tokenizer
    ids = tok("ab", add_special_tokens=False)["input_ids"] + [tok.eos_token_id] + [backend.pad_id] * 3
    newline = tok("a\nb", add_special_tokens=False)["input_ids"]
    assert backend.finish([ids, newline + [tok.eos_token_id]], ["\n"]) == [("ab", 3), ("a", 2)]


def test_stop_token_ids_are_the_tokens_containing_a_stop(backend):
    newline = backend.tokenizer("\n", add_special_tokens=False)["input_ids"]
    assert token_ids_containing(backend.tokenizer, ["\n"]) == newline


def test_info_records_the_run(model_dir, backend):
    info = backend.info
    expected_hash = hashlib.sha256((model_dir / "model.safetensors").read_bytes()).hexdigest()[:12]
    assert info["content_hash"] == expected_hash
    assert (info["device"], info["dtype"], info["torch_threads"], info["batch_size"]) == ("cpu", "float32", 1, 3)
    assert (info["n_params"], info["n_params_non_embedding"]) == count_parameters(backend.model)
    assert info["backend"] == "transformers" and info["chat"] is False


def test_count_parameters_leaves_out_embedding_tables(backend):
    model = backend.model
    total = sum(p.numel() for p in model.parameters())
    tables = [m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Embedding)]
    assert count_parameters(model) == (total, total - sum(tables))
    if model.config.model_type == "gpt2":
        assert len(tables) == 2  # token and position tables; the tied head is the token table, counted once


def test_explicit_dtype_loads_in_that_dtype(model_dir):
    b = load_backend(model_dir, device="cpu", dtype="bf16", threads=1)
    assert b.info["dtype"] == "bfloat16" and next(b.model.parameters()).dtype == torch.bfloat16
    assert len(b.generate(["1+1="], max_new_tokens=3)) == 1


def test_bad_generate_arguments(backend):
    with pytest.raises(ValueError, match="max_new_tokens"):
        backend.generate(["1"], max_new_tokens=0)
    with pytest.raises(TypeError, match="list of strings"):
        backend.generate("1", max_new_tokens=2)
    with pytest.raises(ValueError, match="positions"):
        backend.generate(["1" * 250], max_new_tokens=10)
    assert backend.generate([], max_new_tokens=3) == []


def test_chat_needs_a_template(model_dir, tmp_path):
    with pytest.raises(ChatTemplateMissingError, match="chat template"):
        load_backend(model_dir, chat=True, threads=1)
    chat_dir = make_tiny_model(tmp_path / "chat", chat_template=True)
    b = load_backend(chat_dir, chat=True, threads=1)
    out = b.generate(["12^2="], max_new_tokens=3, stop=[])[0]
    assert out.prompt_tokens == 5  # the template only concatenates: no BOS is added on top of it
    assert b.info["chat"] is True


# --- device and dtype selection ---------------------------------------------------------------------------------

@pytest.fixture
def no_accelerator(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(devices, "mps_available", lambda: False)


def test_auto_device_is_cpu_without_accelerators(no_accelerator):
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_dtype("auto", "cpu") == torch.float32


def test_requested_cuda_without_cuda_is_a_clear_error(no_accelerator):
    with pytest.raises(DeviceUnavailableError, match="CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(DeviceUnavailableError, match="MPS"):
        resolve_device("mps")
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        resolve_device("tpu")


def test_a_malformed_cuda_index_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    with pytest.raises(ValueError, match="cuda:N, N a number"):
        resolve_device("cuda:x")


@pytest.mark.parametrize("bf16, expected", [(True, torch.bfloat16), (False, torch.float16)])
def test_auto_picks_cuda_and_half_precision_there(monkeypatch, bf16, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    device = resolve_device("auto")
    assert device.type == "cuda"
    assert resolve_dtype("auto", device) == expected


@pytest.mark.parametrize("name, expected", [("float32", torch.float32), ("fp32", torch.float32),
                                            ("bfloat16", torch.bfloat16), ("BF16", torch.bfloat16),
                                            ("float16", torch.float16), ("half", torch.float16)])
def test_dtype_names(name, expected):
    assert resolve_dtype(name, "cpu") == expected


def test_unknown_dtype_names_the_choices():
    with pytest.raises(ValueError, match="unknown dtype 'int3'.*bfloat16"):
        resolve_dtype("int3", "cpu")


# --- finding the model ------------------------------------------------------------------------------------------

@pytest.fixture
def no_hub(monkeypatch):
    """Any attempt to reach the hub fails the test: offline errors must come from looking at the disk only."""
    import huggingface_hub

    def touched(*args, **kwargs):
        raise AssertionError("the hub was contacted")
    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", touched)


def test_offline_missing_hub_id_fails_at_once_with_advice(monkeypatch, no_hub):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotFoundError) as err:
        load_backend("isabench-made-up/no-such-model-7f3a")
    message = str(err.value)
    for part in ("not found", "not a local folder", "no network/hub", "--model PATH", "omit --model"):
        assert part in message


def test_missing_model_fails_before_torch_is_imported():
    """Failing fast, structurally: the lookup runs before the multi-second torch/transformers import."""
    import subprocess
    import sys

    code = ("import sys\nfrom llm.runner import ModelNotFoundError, load_backend\n"
            "try:\n    load_backend('isabench-made-up/no-such-model-7f3a')\nexcept ModelNotFoundError:\n"
            "    print('torch' in sys.modules, 'transformers' in sys.modules)\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.stdout.split() == ["False", "False"], out.stderr[-2000:]


def test_unreachable_hub_is_the_same_clear_error(monkeypatch):
    import huggingface_hub

    def refuse(*args, **kwargs):
        raise ConnectionError("network unreachable")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", refuse)
    with pytest.raises(ModelNotFoundError, match="no network/hub.*--model PATH"):
        load_backend("isabench-made-up/no-such-model-7f3a")


def test_missing_or_empty_folders(tmp_path, no_hub):
    with pytest.raises(ModelNotFoundError, match="no such folder"):
        load_backend(str(tmp_path / "nope" / "model"))
    with pytest.raises(ModelNotFoundError, match="no config.json"):
        load_backend(str(tmp_path))


def test_cached_hub_snapshot_loads_offline_with_its_revision(monkeypatch, tmp_path, model_dir, no_hub):
    import shutil

    import huggingface_hub.constants

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--isabench-test--tiny"
    shutil.copytree(model_dir, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    b = load_backend("isabench-test/tiny", threads=1)
    assert (b.info["hub_id"], b.info["revision"]) == ("isabench-test/tiny", commit)
    assert b.generate(["1+1="], max_new_tokens=2, stop=[])[0].generated_tokens in (1, 2)


def test_untrained_default_model_says_how_to_train(monkeypatch, tmp_path):
    monkeypatch.setattr(llm, "DEFAULT_MODEL_DIR", tmp_path / "default_model")
    with pytest.raises(ModelNotFoundError, match="isabench train"):
        load_backend(None)
