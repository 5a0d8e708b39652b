"""A model behind an OpenAI-compatible server (`transformers serve`, vLLM, llama.cpp, a hosted API).

Standard library only (urllib + a thread pool): one request per prompt, a bounded number in flight, retries with
exponential back-off on what is worth retrying (connection errors, 429, 5xx) and none on the rest. Each request has
one total deadline (`request_timeout_s`) over its tries, back-offs and reads (llm.http_deadline).
"""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from llm.http_deadline import Deadline, DeadlineExceeded, fetch
from llm.interface import Completion, LogLikelihood, UnsupportedRequest, check_pairs, check_request
from llm.served_scoring import score_request
from llm.stopping import first_stop

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}
GONE_STATUS = {429, 502, 503, 504}  # through every retry, these say the server (not this request) cannot answer now
MAX_TOKENS = 10**9  # a token count above this is no count a server measured (`1.5e300` was stored as 301 digits)


class ServedError(OSError):
    """The server refused the request, or could not be reached after the retries (an OSError, like urllib's)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status  # the HTTP status the server answered, when it answered one


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
                 request_timeout_s: float = 120.0, retries: int = 4, backoff_s: float = 0.5):
        if not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency must be a positive integer, got {concurrency!r}")
        if isinstance(request_timeout_s, bool) or not isinstance(request_timeout_s, (int, float)) \
                or not request_timeout_s > 0:
            raise ValueError(f"request_timeout_s must be a positive number of seconds, got {request_timeout_s!r}")
        self.root, self.chat, self.concurrency = api_root(base_url), chat, concurrency
        self.request_timeout_s, self.retries, self.backoff_s = float(request_timeout_s), retries, backoff_s
        # Set when a request finds the server gone (unreachable, stalled past the deadline, busy through every retry):
        # later requests of this run fail at once with that reason instead of each waiting out its deadline again.
        self.down: str | None = None
        self.model = model or self.only_model()
        self.endpoint = self.root + ("/chat/completions" if chat else "/completions")
        self.info = {
            "backend": "served", "url": self.root, "model": self.model, "endpoint": self.endpoint, "chat": chat,
            "concurrency": concurrency, "batch_size": concurrency, "request_timeout_s": self.request_timeout_s,
            "device": "server", "dtype": "server",
            "n_params": -1, "n_params_non_embedding": -1, "api_key": "set" if api_key() else "none",
            "token_counts": "not yet known (from the server's usage when it reports it, else -1)",
            # No weights to hash from here: the server and the model name it serves stand for the model's identity.
            "revision": hashlib.sha256(f"{self.root} {self.model}".encode()).hexdigest()[:12],
        }

    def request(self, url: str, payload: dict | None = None) -> dict:
        """The JSON object the server answers, within request_timeout_s in all (tries, back-offs and reads)."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if api_key():
            headers["Authorization"] = f"Bearer {api_key()}"
        if self.down:
            raise ServedError(f"{url} not asked: the server failed an earlier request of this run ({self.down}); "
                              "rerun the same command once it answers (what finished is kept)")
        data = None if payload is None else json.dumps(payload).encode()
        deadline = Deadline(self.request_timeout_s)
        for attempt in range(self.retries + 1):
            req = urllib.request.Request(url, data=data, headers=headers, method="GET" if data is None else "POST")
            try:
                status, body = fetch(req, deadline)
            except DeadlineExceeded:
                raise self.gone(f"{url} sent no complete reply within {self.request_timeout_s:g} s (the request's "
                                f"total time limit, over {attempt + 1} tries): the server is stalled, overloaded or "
                                "sending too slowly; raise the request timeout if it is only slow") from None
            except (OSError, http.client.HTTPException) as err:  # refused, reset, or closed half-way through
                unreachable = isinstance(err, urllib.error.URLError)
                reason = getattr(err, "reason", None) or err
                name = type(reason).__name__
                failure = str(reason) if name in str(reason) else f"{name}: {reason}"
                fail = self.gone
                if attempt == self.retries:
                    what = "cannot reach" if unreachable else "no complete reply from"
                    raise self.gone(f"{what} {url} after {self.retries + 1} tries: {failure}; "
                                    "is the server running?") from None
            else:
                if 200 <= status < 300:
                    return json_object(url, body)
                detail = body.decode(errors="replace")[:500]
                if status not in RETRY_STATUS:
                    raise ServedError(f"{url} answered HTTP {status}: {detail}", status)  # this request's fault
                fail = self.gone if status in GONE_STATUS else ServedError
                if attempt == self.retries:
                    raise fail(f"{url} answered HTTP {status}: {detail}", status)
                failure = f"HTTP {status}"
            pause = self.backoff_s * 2 ** attempt  # back off: a busy server gets room, a restarting one time
            if pause >= deadline.left():
                raise fail(f"{url}: {failure}, and the request's {self.request_timeout_s:g} s time limit "
                           f"leaves no time to try again (after {attempt + 1} tries)")
            time.sleep(pause)
        raise AssertionError("unreachable")

    def gone(self, message: str, status: int | None = None) -> ServedError:
        """The error for a server that did not answer at all; later requests are not sent (see `down`)."""
        self.down = self.down or message
        return ServedError(message, status)

    def only_model(self) -> str:
        try:
            listed = [m["id"] for m in self.request(self.root + "/models").get("data", [])]
        except (TypeError, KeyError):
            raise ServedError(f"{self.root}/models did not answer a model list ({{'data': [{{'id': ...}}]}}); "
                              "name the model with --served-model") from None
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
        if not isinstance(text, (str, type(None))):
            raise ServedError(f"{self.endpoint} sent a completion that is not text: {json.dumps(reply)[:300]}")
        cut = first_stop(text or "", stop)  # some servers return the stop string itself; the contract leaves it out
        usage = reply.get("usage") if isinstance(reply.get("usage"), dict) else {}
        return ((text or "")[:cut] if cut >= 0 else (text or ""),
                token_count(usage.get("prompt_tokens")), token_count(usage.get("completion_tokens")))

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
        self.info["token_counts"] = "server usage" if known else "unknown: the server sent no usable usage (-1)"
        # One generate() call is one "batch": latency_s / batch_size still sums to the wall time.
        return [Completion(text, p_tok, g_tok, latency, len(prompts)) for text, p_tok, g_tok in replies]

    def loglikelihood(self, contexts: list[str], continuations: list[str]) -> list[LogLikelihood]:
        """Prompt log-probabilities from the legacy /v1/completions endpoint (echo, logprobs=1, max_tokens=1), as
        vLLM answers; a server that returns none raises UnsupportedRequest. See llm.served_scoring for the rule."""
        check_pairs(contexts, continuations)
        if not contexts:
            return []
        if self.chat:
            raise UnsupportedRequest(f"{self.root}: a chat endpoint returns no log-probabilities of a given reply; "
                                     "score continuations without --chat (the legacy /v1/completions endpoint)")
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(contexts))) as pool:
            scored = list(pool.map(lambda pair: score_request(self, *pair), zip(contexts, continuations)))
        latency = time.perf_counter() - started
        return [LogLikelihood(lp, greedy, n_ctx, n_cont, latency, len(contexts))
                for lp, greedy, n_ctx, n_cont in scored]


def token_count(value) -> int:
    """A count from the server's `usage`, or -1 (unknown) for anything that is not a plausible count: a string, a
    list, true, a negative number, a fraction, 1.5e300."""
    if type(value) is float and value.is_integer():
        value = int(value)
    return value if type(value) is int and 0 <= value <= MAX_TOKENS else -1


def json_object(url: str, body: bytes) -> dict:
    """The reply as a JSON object, or a ServedError that says what came instead (an HTML page, a proxy's error...)."""
    try:
        reply = json.loads(body)
    except ValueError as err:
        shown = body[:200].decode(errors="replace")
        raise ServedError(f"{url} answered with something that is not JSON ({err}): {shown!r}; is it an "
                          "OpenAI-compatible API (the base URL, e.g. http://host:8000/v1)?") from None
    if not isinstance(reply, dict):
        raise ServedError(f"{url} answered JSON that is not an object: {json.dumps(reply)[:200]}")
    return reply
