"""A model behind an OpenAI-compatible server (`transformers serve`, vLLM, llama.cpp, a hosted API).

Standard library only (urllib + a thread pool): one request per prompt, a bounded number in flight, retries with
exponential back-off on what is worth retrying (connection errors, timeouts, 429, 5xx) and none on the rest.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from llm.interface import Completion, check_request
from llm.stopping import first_stop

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


class ServedError(OSError):
    """The server refused the request, or could not be reached after the retries (an OSError, like urllib's)."""


def api_key() -> str | None:
    return os.environ.get("ISABENCH_API_KEY") or os.environ.get("OPENAI_API_KEY")


def api_root(base_url: str) -> str:
    """'http://h:p', 'http://h:p/' and 'http://h:p/v1' all mean the same server."""
    if not base_url.startswith(("http://", "https://")):
        raise ValueError(f"served URL {base_url!r} must start with http:// or https://")
    root = base_url.rstrip("/")
    return root if root.endswith("/v1") else root + "/v1"


class ServedBackend:
    def __init__(self, base_url: str, model: str | None = None, *, chat: bool = False, concurrency: int = 8,
                 timeout_s: float = 120.0, retries: int = 4, backoff_s: float = 0.5):
        if not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency must be a positive integer, got {concurrency!r}")
        self.root, self.chat, self.concurrency = api_root(base_url), chat, concurrency
        self.timeout_s, self.retries, self.backoff_s = timeout_s, retries, backoff_s
        self.model = model or self.only_model()
        self.endpoint = self.root + ("/chat/completions" if chat else "/completions")
        self.info = {
            "backend": "served", "url": self.root, "model": self.model, "endpoint": self.endpoint, "chat": chat,
            "concurrency": concurrency, "batch_size": concurrency, "device": "server", "dtype": "server",
            "n_params": -1, "n_params_non_embedding": -1, "api_key": "set" if api_key() else "none",
            "token_counts": "not yet known (from the server's usage when it reports it, else -1)",
            # No weights to hash from here: the server and the model name it serves stand for the model's identity.
            "revision": hashlib.sha256(f"{self.root} {self.model}".encode()).hexdigest()[:12],
        }

    def request(self, url: str, payload: dict | None = None) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if api_key():
            headers["Authorization"] = f"Bearer {api_key()}"
        data = None if payload is None else json.dumps(payload).encode()
        for attempt in range(self.retries + 1):
            req = urllib.request.Request(url, data=data, headers=headers, method="GET" if data is None else "POST")
            try:
                with urllib.request.urlopen(req, timeout=self.timeout_s) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as err:
                detail = err.read().decode(errors="replace")[:500]
                if err.code not in RETRY_STATUS or attempt == self.retries:
                    raise ServedError(f"{url} answered HTTP {err.code}: {detail}") from None
                failure = f"HTTP {err.code}"
            except (urllib.error.URLError, socket.timeout, ConnectionError) as err:
                if attempt == self.retries:
                    raise ServedError(f"cannot reach {url} after {self.retries + 1} tries: "
                                      f"{getattr(err, 'reason', err)}; is the server running?") from None
                failure = str(err)
            time.sleep(self.backoff_s * 2 ** attempt)  # back off: a busy server gets room, a restarting one time
        raise AssertionError(f"unreachable: {failure}")

    def only_model(self) -> str:
        listed = [m["id"] for m in self.request(self.root + "/models").get("data", [])]
        if len(listed) != 1:
            raise ServedError(f"{self.root}/models lists {len(listed)} models {listed}; name one with --served-model")
        return listed[0]

    def complete(self, prompt: str, max_new_tokens: int, stop: list[str]) -> tuple[str, int, int]:
        payload = {"model": self.model, "max_tokens": max_new_tokens, "temperature": 0}
        if stop:
            payload["stop"] = list(stop)
        if self.chat:
            payload["messages"] = [{"role": "user", "content": prompt}]
        else:
            payload["prompt"] = prompt
        reply = self.request(self.endpoint, payload)
        try:
            choice = reply["choices"][0]
            text = choice["message"]["content"] if self.chat else choice["text"]
        except (KeyError, IndexError, TypeError):
            raise ServedError(f"{self.endpoint} sent no completion: {json.dumps(reply)[:300]}") from None
        cut = first_stop(text or "", stop)  # some servers return the stop string itself; the contract leaves it out
        usage = reply.get("usage") or {}
        return ((text or "")[:cut] if cut >= 0 else (text or ""),
                int(usage.get("prompt_tokens", -1)), int(usage.get("completion_tokens", -1)))

    def generate(self, prompts: list[str], max_new_tokens: int, stop: list[str] = ("\n",)) -> list[Completion]:
        check_request(prompts, max_new_tokens)
        if not prompts:
            return []
        stops = [s for s in stop if s]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(prompts))) as pool:
            replies = list(pool.map(lambda p: self.complete(p, max_new_tokens, stops), prompts))  # map keeps order
        latency = time.perf_counter() - started
        known = all(r[2] >= 0 for r in replies)
        self.info["token_counts"] = "server usage" if known else "unknown: the server sent no usage (-1)"
        # One generate() call is one "batch": latency_s / batch_size still sums to the wall time.
        return [Completion(text, p_tok, g_tok, latency, len(prompts)) for text, p_tok, g_tok in replies]
