"""The ``openai`` backend against a scripted OpenAI-compatible server on 127.0.0.1.

The server replies from a queue: a normal answer, a stream, 401, 429, 500, garbage, a stream cut in
the middle, a reply that never comes. Every fault must give a clear note and a verified fallback,
never a traceback and never a hang. The real llama.cpp server is in ``test_real_server.py``.
"""

from __future__ import annotations

import json
import math
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from reliability_helpers import answer_data

from assistant.backends import BackendError, resolve_backend_name
from assistant.backends.openai_backend import OpenAIBackend
from assistant.verify import check_citation

NZ_Q = "How much did New Zealand commit to regional programmes in climate resilience?"


def completion(text: str) -> dict:
    return {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
        ],
    }


def chunk(text: str, finish: str | None = None) -> bytes:
    body = {
        "id": "x",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


class Scripted:
    """A loopback HTTP server answering /v1/chat/completions from a queue of steps."""

    def __init__(self) -> None:
        self.steps: list[tuple] = []
        self.requests: list[dict] = []
        self.release = threading.Event()  # lets a "hang" step finish when the test ends
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                outer.requests.append(json.loads(body or b"{}"))
                kind, *args = outer.steps.pop(0) if outer.steps else ("status", 500, {})
                if kind == "json":
                    self._send(200, json.dumps(args[0]).encode(), "application/json")
                elif kind == "status":
                    status, headers = args
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    err = json.dumps({"error": {"message": f"status {status}", "type": "x"}})
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(err)))
                    self.end_headers()
                    self.wfile.write(err.encode())
                elif kind == "raw":
                    self._send(200, args[0], "application/json")
                elif kind in ("stream", "cut"):
                    self.send_response(200)
                    self.send_header("content-type", "text/event-stream")
                    self.end_headers()
                    for piece in args[0]:
                        self.wfile.write(chunk(piece))
                        self.wfile.flush()
                    if kind == "stream":
                        self.wfile.write(chunk("", "stop") + b"data: [DONE]\n\n")
                    else:  # the server dies mid-answer: the socket closes, no [DONE]
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                elif kind == "hang":
                    outer.release.wait(30)

            def _send(self, status, data, ctype):
                self.send_response(status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch):
    s = Scripted()
    monkeypatch.setenv("OPENAI_BASE_URL", s.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    yield s
    s.close()


@pytest.fixture
def assistant(hash_assistant):
    hash_assistant.settings = hash_assistant.settings.model_copy(
        update={
            "backend": "openai",
            "llm_model": "test-model",
            "llm_timeout": 2.0,
            "llm_max_retries": 2,
        }
    )
    return hash_assistant


@pytest.fixture
def no_wait(monkeypatch):
    """The backend's retry waits (its backoff, the server's Retry-After) are recorded instead of
    slept: ``openai_backend.retry_wait`` only writes them down."""
    from assistant.backends import openai_backend

    slept: list[float] = []

    def record(cancelled, seconds: float) -> bool:
        slept.append(round(seconds, 3))
        return True

    monkeypatch.setattr(openai_backend, "retry_wait", record)
    return slept


def nz_line_number(request: dict) -> int:
    user = request["messages"][-1]["content"]
    return next(
        int(n)
        for n, text in (
            line[1:].split("] ", 1) for line in user.splitlines() if line.startswith("[")
        )
        if "329 million NZD" in text
    )


def verified(a, ans) -> bool:
    return all(check_citation(c, a.lookup(c.source)) is None for c in ans.citations)


# ------------------------------------------------------------------------------ happy paths
def test_plain_answer_is_sent_and_verified(server, assistant, no_wait):
    a = assistant
    server.steps = [("json", completion("over 329 million NZD"))]
    ans = a.ask(NZ_Q)
    req = server.requests[-1]
    assert req["model"] == "test-model" and req["temperature"] == 0 and not req.get("stream")
    assert req["messages"][0]["role"] == "system" and "329 million" in req["messages"][1]["content"]
    assert ans.outcome == "answered" and ans.backend == "openai" and verified(a, ans)
    # The bare answer is cited at the line that holds it, with that line as the quote.
    assert [c.start_line for c in ans.citations] == [11]
    assert ans.text.startswith("over 329 million NZD [") and "329 million" in ans.citations[0].quote


def test_streamed_answer_matches_plain(server, assistant, no_wait):
    a = assistant
    server.steps = [
        ("json", completion("over 329 million NZD")),
        ("stream", ["over ", "329 million ", "NZD"]),
    ]
    plain = a.ask(NZ_Q)
    out = list(a.stream(NZ_Q))
    assert server.requests[-1]["stream"] is True
    assert [p.text for p in out[:3]] == ["over ", "329 million ", "NZD"]
    assert answer_data(out[-1]) == answer_data(plain) and plain.outcome == "answered"


def with_logprobs(body: dict, first_top: list[tuple[str, float]], logps: list[float]) -> dict:
    """``body`` (a completion) carrying token log-probabilities as OpenAI sends them."""
    tops = [{"token": t, "logprob": lp, "bytes": None} for t, lp in first_top]
    content = [
        {"token": f"t{i}", "logprob": lp, "bytes": None, "top_logprobs": tops if i == 0 else []}
        for i, lp in enumerate(logps)
    ]
    body["choices"][0]["logprobs"] = {"content": content}
    return body


def test_logprobs_are_asked_for_and_become_the_models_signals(server, assistant, no_wait):
    a = assistant
    # First token: the answer at p=0.7, "NONE" at 0.2 and " N" at 0.05 start the no-answer reply.
    tops = [("over", math.log(0.7)), ("NONE", math.log(0.2)), (" N", math.log(0.05))]
    server.steps = [("json", with_logprobs(completion("over 329 million NZD"), tops, [-0.5, -1.5]))]
    ans = a.ask(NZ_Q)
    req = server.requests[-1]
    assert req["logprobs"] is True and req["top_logprobs"] >= 5
    assert ans.outcome == "answered" and verified(a, ans)
    assert ans.signals["p_answer"] == pytest.approx(0.75, abs=1e-3)
    assert ans.signals["logprob"] == pytest.approx(-1.0, abs=1e-3)
    # No fit exists for "test-model": judged on the evidence signals, not another model's scale.
    assert a.backend().calibration == "test-model"


def test_a_server_that_rejects_logprobs_is_asked_without_them_from_then_on(
    server, assistant, no_wait
):
    a = assistant
    server.steps = [
        ("status", 400, {}),
        ("json", completion("over 329 million NZD")),
        ("json", completion("over 329 million NZD")),
    ]
    first, second = a.ask(NZ_Q), a.ask(NZ_Q)
    assert [("logprobs" in r) for r in server.requests] == [True, False, False]
    assert first.outcome == second.outcome == "answered" and a.backend().logprobs is False


def test_logprobs_off_by_setting(server, assistant, no_wait):
    a = assistant
    a.settings = a.settings.model_copy(update={"llm_logprobs": False})
    a._backends.clear()
    server.steps = [("json", completion("over 329 million NZD"))]
    assert a.ask(NZ_Q).outcome == "answered" and "logprobs" not in server.requests[-1]


# ------------------------------------------------------------------------------ faults
@pytest.mark.parametrize(
    "steps,calls,note",
    [
        ([("status", 401, {})], 1, "refused the API key (401); check OPENAI_API_KEY"),
        ([("status", 429, {"retry-after": "1"})] * 3, 3, "rate limited"),
        ([("status", 500, {})] * 3, 3, "server error 500"),
        ([("status", 404, {})], 1, "check ASSISTANT_LLM_MODEL"),
        # A 400 may be a server that does not do logprobs: asked once more without them.
        ([("status", 400, {})] * 2, 2, "rejected the request (400)"),
        ([("raw", b"this is not json")], 1, "malformed"),
        ([("json", {"choices": []})], 1, "malformed"),
        ([("json", {"unexpected": True})], 1, "malformed"),
    ],
)
def test_fault_gives_note_and_verified_fallback(server, assistant, no_wait, steps, calls, note):
    server.steps = list(steps)
    ans = assistant.ask(NZ_Q)
    assert len(server.requests) == calls
    assert note in ans.note
    assert ans.outcome == "fallback" and "329 million" in ans.text and verified(assistant, ans)


def test_429_is_retried_with_retry_after_then_backoff_then_succeeds(server, assistant, no_wait):
    # A Retry-After is obeyed when it ends before the deadline (``llm_timeout``).
    assistant.settings = assistant.settings.model_copy(update={"llm_timeout": 10.0})
    server.steps = [
        ("status", 429, {"retry-after": "3"}),
        ("status", 429, {}),
        ("json", completion("The documents do not contain an answer.")),
    ]
    ans = assistant.ask(NZ_Q)
    assert len(server.requests) == 3 and ans.refused and ans.outcome == "refused"  # its own reply
    # The SDK's retry policy: the server's Retry-After, then exponential backoff (1 s, less 0-25%).
    assert no_wait[0] == 3.0 and 0.75 <= no_wait[1] <= 1.0 and len(no_wait) == 2


def test_a_server_asking_to_wait_minutes_is_not_waited_for(server, assistant, no_wait):
    server.steps = [("status", 429, {"retry-after": "600"})]
    ans = assistant.ask(NZ_Q)
    assert len(server.requests) == 1 and no_wait == []
    assert "rate limited" in ans.note
    assert ans.outcome == "fallback" and verified(assistant, ans)


def test_timeout_is_bounded_and_reported(server, assistant):
    assistant.settings = assistant.settings.model_copy(
        update={"llm_timeout": 0.3, "llm_max_retries": 0}
    )
    server.steps = [("hang",)]
    ans = assistant.ask(NZ_Q)
    assert "no reply from" in ans.note and "within 0.3 s" in ans.note
    assert ans.outcome == "fallback" and verified(assistant, ans)


def test_server_dying_mid_stream_gives_a_verified_fallback(server, assistant, no_wait):
    server.steps = [("cut", ["New Zealand ", "committed "])]
    out = list(assistant.stream(NZ_Q))
    assert [p.text for p in out[:2]] == ["New Zealand ", "committed "]
    ans = out[-1]
    assert ans.outcome == "fallback" and "329 million" in ans.text and verified(assistant, ans)
    assert "openai: the stream from" in ans.note and "ended before the answer did" in ans.note


def test_unreachable_server(monkeypatch, assistant, no_wait):
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    assistant._backends.clear()
    ans = assistant.ask(NZ_Q)
    assert f"cannot reach http://127.0.0.1:{port}/v1 (tried 3 times)" in ans.note
    assert 0.375 <= no_wait[0] <= 0.5 and 0.75 <= no_wait[1] <= 1.0 and len(no_wait) == 2
    assert ans.outcome == "fallback" and verified(assistant, ans)


def test_cli_prints_a_note_and_the_fallback(server, ask_cli):
    server.steps = [("status", 401, {})]
    res = ask_cli(NZ_Q, "openai")
    assert res.exit_code == 0, res.output
    assert "note: The model could not answer (openai:" in res.stderr and "401" in res.stderr
    assert "329 million" in res.stdout and "Traceback" not in res.output


# ------------------------------------------------------------------------------ configuration
def test_openai_without_key_or_url_is_a_clear_error(hash_assistant):
    with pytest.raises(BackendError, match="OPENAI_API_KEY.*OPENAI_BASE_URL"):
        OpenAIBackend(hash_assistant.settings)


def test_cli_openai_without_configuration_exits_cleanly(ask_cli):
    res = ask_cli(NZ_Q, "openai")
    assert res.exit_code == 4 and "error: the openai backend needs" in res.stderr
    assert "Traceback" not in res.output


@pytest.mark.parametrize(
    "env,expected",
    [
        ({}, "local"),
        ({"OPENAI_API_KEY": "k"}, "openai"),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}, "openai"),
        ({"OPENAI_API_KEY": ""}, "local"),
    ],
)
def test_auto_selects_openai_only_when_configured(env, expected):
    assert resolve_backend_name("auto", env) == expected


def test_model_name_comes_from_assistant_llm_model(monkeypatch, server, hash_assistant):
    from assistant.settings import Settings

    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "qwen2.5:0.5b")
    be = OpenAIBackend(Settings())
    assert be.model == "qwen2.5:0.5b" and be.base_url == server.url
