"""The served backend against a real `transformers serve` on 127.0.0.1, and its retry logic against a fake server."""
from __future__ import annotations

import http.server
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from llm.runner import load_backend
from llm.served import ServedBackend, ServedError
from tiny_model import make_tiny_model

PROMPTS = ["12345^2=", "7^2=", "98+45=", "count words: the cat saw the cat =", "3-98765="]
STARTUP_DEADLINE_S = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serving_missing() -> str | None:
    if shutil.which("transformers") is None:
        return "the `transformers` CLI is not installed"
    missing = [m for m in ("fastapi", "uvicorn") if importlib.util.find_spec(m) is None]
    return f"transformers serving extras missing ({', '.join(missing)}): pip install 'transformers[serving]'" \
        if missing else None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(url, model folder): one `transformers serve` for the module, always terminated."""
    if reason := serving_missing():
        pytest.skip(reason)
    folder = make_tiny_model(tmp_path_factory.mktemp("served") / "model", chat_template=True)
    port = free_port()
    log = tmp_path_factory.mktemp("serve-log") / "serve.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(["transformers", "serve", str(folder), "--host", "127.0.0.1", "--port", str(port),
                                 "--device", "cpu"], stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"transformers serve exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"transformers serve gave no /health in {STARTUP_DEADLINE_S}s:\n{log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield url, folder
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def local(server):
    return load_backend(server[1], device="cpu", threads=1)


def test_completions_match_the_local_backend(server, local):
    url, folder = server
    served = load_backend(served_url=url, served_model=str(folder), concurrency=3)
    got = served.generate(PROMPTS, max_new_tokens=8, stop=[])
    want = local.generate(PROMPTS, max_new_tokens=8, stop=[])
    assert [c.text for c in got] == [c.text for c in want]  # same greedy decoding, and the order kept
    assert [c.prompt_tokens for c in got] == [c.prompt_tokens for c in want]
    assert [c.generated_tokens for c in got] == [c.generated_tokens for c in want]
    assert served.info["token_counts"] == "server usage"
    assert {c.batch_size for c in got} == {len(PROMPTS)}


def test_stop_is_cut_out_of_the_text(server, local):
    url, folder = server
    full = local.generate(PROMPTS[:1], max_new_tokens=8, stop=[])[0].text
    k = next(k for k in range(2, 7) if full.find(full[k]) == k)
    served = load_backend(served_url=url, served_model=str(folder))
    out = served.generate(PROMPTS[:1], max_new_tokens=8, stop=[full[k]])[0]
    assert out.text == full[:k]


def test_model_name_is_found_when_the_server_has_one(server):
    url, folder = server
    assert ServedBackend(url + "/v1/").model == str(folder)


def test_scoring_on_a_server_without_prompt_logprobs_is_unsupported(server):
    """`transformers serve` ignores echo and logprobs: it cannot score continuations, and says so at once."""
    from llm.interface import UnsupportedRequest

    url, folder = server
    served = load_backend(served_url=url, served_model=str(folder))
    with pytest.raises(UnsupportedRequest, match="cannot score continuations"):
        served.loglikelihood(["12+3="], ["15"])


def test_chat_endpoint(server, tmp_path):
    url, folder = server
    served = load_backend(served_url=url, served_model=str(folder), chat=True)
    local_chat = load_backend(folder, device="cpu", threads=1, chat=True)
    got = served.generate(PROMPTS[:2], max_new_tokens=6, stop=[])
    assert [c.text for c in got] == [c.text for c in local_chat.generate(PROMPTS[:2], max_new_tokens=6, stop=[])]
    assert served.info["endpoint"].endswith("/v1/chat/completions")


# --- retries, errors and missing usage, against a scripted stand-in server --------------------------------------

class Script:
    """What the fake server answers, request by request, and what it saw."""

    def __init__(self, statuses, usage=True):
        self.statuses, self.usage, self.seen = list(statuses), usage, []


@pytest.fixture
def fake():
    script = Script([])

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            script.seen.append((body, self.headers.get("Authorization")))
            status = script.statuses.pop(0) if script.statuses else 200
            reply = {"choices": [{"text": body["prompt"][::-1] + "\nrest"}]} if status == 200 else {"error": "no"}
            if status == 200 and script.usage:
                reply["usage"] = {"prompt_tokens": len(body["prompt"]), "completion_tokens": 3}
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    httpd.shutdown()
    httpd.server_close()


def test_retries_on_5xx_and_429_then_succeeds(fake):
    url, script = fake
    script.statuses = [503, 429]
    out = ServedBackend(url, "m", backoff_s=0.01).generate(["abc"], max_new_tokens=4)
    assert out[0].text == "cba" and (out[0].prompt_tokens, out[0].generated_tokens) == (3, 3)
    assert len(script.seen) == 3


def test_client_errors_are_not_retried(fake):
    url, script = fake
    script.statuses = [400]
    with pytest.raises(ServedError, match="HTTP 400"):
        ServedBackend(url, "m", backoff_s=0.01).generate(["abc"], max_new_tokens=4)
    assert len(script.seen) == 1


def test_unreachable_server_names_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ServedError, match=f"cannot reach {url}.*3 tries"):
        ServedBackend(url, "m", retries=2, backoff_s=0.01).generate(["abc"], max_new_tokens=4)


def test_missing_usage_means_unknown_counts(fake):
    url, script = fake
    script.usage = False
    backend = ServedBackend(url, "m")
    out = backend.generate(["ab", "xyz"], max_new_tokens=4)
    assert [(c.text, c.prompt_tokens, c.generated_tokens) for c in out] == [("ba", -1, -1), ("zyx", -1, -1)]
    assert "unknown" in backend.info["token_counts"]


def test_api_key_and_request_fields(fake, monkeypatch):
    url, script = fake
    monkeypatch.setenv("ISABENCH_API_KEY", "k-123")
    ServedBackend(url, "m").generate(["ab"], max_new_tokens=5, stop=["\n", "."])
    body, auth = script.seen[0]
    assert auth == "Bearer k-123"
    assert (body["model"], body["max_tokens"], body["temperature"], body["stop"]) == ("m", 5, 0, ["\n", "."])


def test_bad_urls_and_arguments():
    with pytest.raises(ValueError, match="http://"):
        ServedBackend("127.0.0.1:8000", "m")
    with pytest.raises(ValueError, match="concurrency"):
        ServedBackend("http://127.0.0.1:1", "m", concurrency=0)


def test_isabench_run_through_the_server(server, tmp_path):
    """The harness drives a served model like a local one: same records, keyed by the server and model name."""
    import json

    from bench.cli import main

    url, folder = server
    out = tmp_path / "run"
    assert main(["run", "--tasks", "add", "--difficulties", "1", "--n", "3", "--backends", "llm", "--served-url", url,
                 "--model", str(folder), "--out", str(out), "--no-plots", "--quiet"]) == 0
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    assert len(records) == 3 and all(r["backend"] == "llm" for r in records)
    assert all(r["variant"].startswith(f"{folder.name}@") for r in records)
    assert all(r["generated_tokens"] > 0 and "raw" in r and r["flops"] is None for r in records)
