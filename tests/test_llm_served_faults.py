"""The served backend's details under faults (issue 24 item 11): a server's `usage` of the wrong type or size is an
unknown count, not a traceback or a 301-digit integer; a level that failed says so; and a dead server costs one
deadline per run, not one per level."""
from __future__ import annotations

import json

import pytest

from bench import cli
from llm.served import ServedBackend
from test_llm_served_robust import StandIn, reply, stall


def completion_with(usage):
    body = json.dumps({"choices": [{"text": "42"}], "usage": usage}).encode()
    return lambda conn, request: reply(conn, 200, body)


@pytest.mark.parametrize("usage, counts", [
    ({"prompt_tokens": "abc", "completion_tokens": 2}, (-1, 2)),  # was ValueError: invalid literal for int()
    ([1, 2], (-1, -1)),  # was AttributeError: 'list' object has no attribute 'get'
    ({"prompt_tokens": 1.5e300, "completion_tokens": 1}, (-1, 1)),  # was stored as a 301-digit integer
    ({"prompt_tokens": True, "completion_tokens": -4}, (-1, -1)),
    ({"prompt_tokens": float("nan"), "completion_tokens": 2.5}, (-1, -1)),
    ({"prompt_tokens": 7.0, "completion_tokens": 3}, (7, 3)),  # a JSON number that is a whole count is one
    ({"prompt_tokens": 5, "completion_tokens": 0}, (5, 0)),  # an empty completion is a count, not an unknown one
    ("lots", (-1, -1)),
    (None, (-1, -1)),
])
def test_usage_of_the_wrong_type_or_size_is_an_unknown_count(usage, counts):
    server = StandIn(completion_with(usage))
    backend = ServedBackend(server.url, "m")
    [c] = backend.generate(["What is 6 times 7?"], max_new_tokens=4)
    assert c.text == "42" and (c.prompt_tokens, c.generated_tokens) == counts
    assert ("unknown" in backend.info["token_counts"]) == (counts[1] < 0)  # known: the generated tokens' count
    assert all(type(n) is int for n in counts)


def test_a_dead_server_costs_one_deadline_per_run_and_each_level_says_it_failed(tmp_path, capsys):
    """Against a stalled server every level used to wait out the whole deadline again (about 10 minutes for `add`
    at the default 120 s); now the first level's requests are the only ones sent, and each level says it failed."""
    server = StandIn(stall, connections=40)
    out = tmp_path / "R"
    code = cli.main(["run", "--tasks", "add", "--backends", "llm", "--served-url", server.url, "--model", "m",
                     "--request-timeout", "1", "--n", "2", "--concurrency", "2", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert len(server.requests) == 2  # the first level's warm-up (two prompts at once), then nothing more
    assert err.count("not asked: the server failed an earlier request of this run") == 4  # levels 2-5
    assert "sent no complete reply within 1 s" in err
    assert "answered in" not in err and err.count("0 answered, then failed (of 2)") == 5
