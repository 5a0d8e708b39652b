"""The served backend against misbehaving stand-in servers on 127.0.0.1 (stall, trickle, half a reply, not JSON),
and its continuation scoring against servers that do and do not return prompt log-probabilities.

Every stand-in serves a bounded number of connections and stops by itself within seconds, whatever the client does.
"""
from __future__ import annotations

import json
import re
import socket
import threading
import time

import pytest

from llm.interface import UnsupportedRequest
from llm.runner import load_backend
from llm.served import ServedBackend, ServedError

LIFETIME_S = 8.0  # no stand-in outlives this, even if a test forgets it


class StandIn:
    """A raw-socket server: `handle(conn, request_bytes)` answers each connection as the test scripts it."""

    def __init__(self, handle, connections: int = 8):
        self.handle, self.connections, self.requests = handle, connections, []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stop_at = time.monotonic() + LIFETIME_S
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        served = 0
        while served < self.connections and time.monotonic() < self.stop_at:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # accept timed out: look at the clock again
                continue
            served += 1
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()
        self.sock.close()

    def answer(self, conn):
        with conn:
            conn.settimeout(LIFETIME_S)
            try:
                request = read_request(conn)
                self.requests.append(request)
                self.handle(conn, request)
            except OSError:  # the client gave up (its deadline shut the socket): that is the point
                pass


def read_request(conn) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(4096) or b""
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: *(\d+)", head, re.I).group(1)) if b"ength" in head else 0
    while len(body) < length:
        body += conn.recv(4096)
    return body


def reply(conn, status: int, body: bytes, content_type=b"application/json"):
    conn.sendall(b"HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                 % (status, content_type, len(body)) + body)


def stall(conn, request):
    time.sleep(LIFETIME_S)


def trickle_body(conn, request):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(int(LIFETIME_S / 0.1)):
        conn.sendall(b" ")
        time.sleep(0.1)


def trickle_headers(conn, request):
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 200:
        conn.sendall(bytes([byte]))
        time.sleep(0.05)


def half_reply(conn, request):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"choices\": ")


def timed(call):
    started = time.monotonic()
    with pytest.raises(ServedError) as err:
        call()
    return str(err.value), time.monotonic() - started


@pytest.mark.parametrize("behaviour", [stall, trickle_body, trickle_headers])
def test_a_request_ends_at_its_total_deadline(behaviour):
    server = StandIn(behaviour)
    backend = ServedBackend(server.url, "m", request_timeout_s=1.0, backoff_s=0.05)
    message, seconds = timed(lambda: backend.generate(["abc"], max_new_tokens=4))
    assert f"{server.url}/v1/completions sent no complete reply within 1 s" in message
    assert seconds < 4, "one deadline for the whole request; before, a trickle was never timed out"


def test_the_deadline_covers_the_retries(monkeypatch):
    server = StandIn(lambda conn, request: reply(conn, 503, b'{"error": "busy"}'), connections=50)
    backend = ServedBackend(server.url, "m", request_timeout_s=1.0, retries=20, backoff_s=0.1)
    message, seconds = timed(lambda: backend.generate(["abc"], max_new_tokens=4))
    assert "HTTP 503" in message and "leaves no time to try again" in message
    assert 2 <= len(server.requests) < 20 and seconds < 3


def test_half_a_reply_is_retried_then_named(monkeypatch):
    server = StandIn(half_reply)
    message, _ = timed(lambda: ServedBackend(server.url, "m", retries=2, backoff_s=0.01).generate(["a"], 4))
    assert f"no complete reply from {server.url}/v1/completions after 3 tries" in message
    assert "IncompleteRead" in message and len(server.requests) == 3


@pytest.mark.parametrize("body, says", [(b"<html>Welcome to nginx</html>", "not JSON"),
                                        (b"[1, 2]", "not an object")])
def test_a_reply_that_is_not_a_json_object_names_the_server(body, says):
    server = StandIn(lambda conn, request: reply(conn, 200, body, b"text/html"))
    message, _ = timed(lambda: ServedBackend(server.url, "m").generate(["abc"], max_new_tokens=4))
    assert f"{server.url}/v1/completions answered" in message and says in message
    assert "nginx" in message or "[1, 2]" in message


def test_a_model_list_that_is_not_one():
    server = StandIn(lambda conn, request: reply(conn, 200, b'{"data": "nope"}'))
    with pytest.raises(ServedError, match="did not answer a model list.*--served-model"):
        ServedBackend(server.url)


def test_bad_timeouts_and_urls_are_clear_errors():
    for bad in (0, -1, "10", True):
        with pytest.raises(ValueError, match="request_timeout_s must be a positive number"):
            ServedBackend("http://127.0.0.1:1", "m", request_timeout_s=bad)
    with pytest.raises(ValueError, match="must start with http:// or https://"):
        load_backend(served_url="ftp://x", served_model="m")


# --- continuation scoring from prompt log-probabilities ---------------------------------------------------------

def words(text: str) -> list[str]:
    return re.findall(r"\s*\S+|\s+$", text)


def logprob_of(token: str) -> float:
    return -0.25 * len(token.strip()) - 0.1


def is_top(token: str) -> bool:
    return len(token.strip()) % 2 == 0  # the scripted model's favourite tokens: the even-length words


def scoring(extra_token: bool = False):
    """A vLLM-like /v1/completions: word tokens after a BOS '<s>', each with a scripted log-probability."""
    def handle(conn, request):
        body = json.loads(request)
        assert body["echo"] is True and body["logprobs"] == 1 and body["max_tokens"] == 1
        tokens = ["<s>"] + words(body["prompt"]) + ([" extra"] if extra_token else [])
        lps = [None] + [logprob_of(t) for t in tokens[1:]]
        tops = [None] + [{t: lp} if is_top(t) else {" the": lp + 0.5, t: lp} for t, lp in zip(tokens[1:], lps[1:])]
        offsets = [0] + [sum(map(len, tokens[1:i])) for i in range(1, len(tokens))]
        choice = {"text": body["prompt"], "logprobs": {"tokens": tokens, "token_logprobs": lps, "top_logprobs": tops,
                                                       "text_offset": offsets}}
        reply(conn, 200, json.dumps({"choices": [choice]}).encode())
    return handle


@pytest.mark.parametrize("extra_token", [True, False])  # the one generated token is there, or not
def test_scores_from_prompt_logprobs(extra_token):
    server = StandIn(scoring(extra_token))
    backend = ServedBackend(server.url, "m", concurrency=2)
    got = backend.loglikelihood(["The capital of France is", "The capital of France is ", "One two"],
                                [" Paris", "Berlin", " three four"])
    assert got[0].logprob == pytest.approx(logprob_of(" Paris")) and not got[0].is_greedy  # 5 letters: odd
    assert got[1].logprob == pytest.approx(logprob_of(" Berlin")) and got[1].is_greedy  # the space moved
    assert got[2].logprob == pytest.approx(logprob_of(" three") + logprob_of(" four")) and not got[2].is_greedy
    assert [(g.context_tokens, g.continuation_tokens) for g in got] == [(6, 1), (6, 1), (3, 2)]  # BOS counted
    assert [g.processed_tokens for g in got] == [7, 7, 5]  # the server ran each whole prompt
    assert {g.batch_size for g in got} == {3}


def test_a_token_across_the_boundary_is_the_continuations():
    server = StandIn(scoring())
    [got] = ServedBackend(server.url, "m").loglikelihood(["The capital of Fr"], ["ance is"])
    assert got.continuation_tokens == 2 and got.logprob == pytest.approx(logprob_of(" France") + logprob_of(" is"))


@pytest.mark.parametrize("answer", [
    lambda conn, request: reply(conn, 200, b'{"choices": [{"text": "", "logprobs": null}]}'),  # llama.cpp-like
    lambda conn, request: reply(conn, 200, b'{"choices": [{"text": "x"}]}'),
    lambda conn, request: reply(conn, 404, b'{"detail": "Not Found"}'),
    lambda conn, request: reply(conn, 400, b'{"error": "echo is not supported"}'),
])
def test_a_server_without_prompt_logprobs_cannot_score(answer):
    server = StandIn(answer)
    with pytest.raises(UnsupportedRequest, match=f"the server at {server.url}/v1 cannot score continuations"):
        ServedBackend(server.url, "m", retries=0).loglikelihood(["The capital of France is"], [" Paris"])
    assert len(server.requests) == 1


def test_chat_cannot_score_and_sends_nothing():
    server = StandIn(scoring())
    with pytest.raises(UnsupportedRequest, match="chat endpoint"):
        ServedBackend(server.url, "m", chat=True).loglikelihood(["a"], ["b"])
    assert server.requests == []
