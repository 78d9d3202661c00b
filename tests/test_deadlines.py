"""Every deadline holds: the ``openai`` backend against a misbehaving server on 127.0.0.1.

Each stall mode (no reply at all, a byte every 0.5 s that never ends, SSE keep-alive comments
forever, endless empty chunks, a 429 asking to wait 100 s) must give, plainly and streamed, the
verified no-model answer with a note naming the deadline, within ``llm_timeout`` plus a generous
margin (a hang check, not a speed assertion); afterwards no request thread is left and the
server has seen every connection closed. A stream that its caller abandons (closes, drops, or
keeps open without reading) releases its connection and never blocks another question.
"""

from __future__ import annotations

import gc
import json
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.verify import check_citation

NZ_Q = "How much did New Zealand commit to regional programmes in climate resilience?"
TIMEOUT = 1.0  # llm_timeout in these tests
MARGIN = 5.0  # generous: these tests catch hangs, they do not measure speed
STALLS = ["silent", "trickle", "keepalive", "empty-chunks", "retry-after-100"]


def sse(body: dict) -> bytes:
    return f"data: {json.dumps(body)}\n\n".encode()


def delta(text: str | None, finish: str | None = None) -> dict:
    d = {} if text is None else {"content": text}
    choice = {"index": 0, "delta": d, "finish_reason": finish}
    return {"id": "x", "object": "chat.completion.chunk", "created": 0, "choices": [choice]}


class Misbehaving:
    """A loopback server whose replies to /v1/chat/completions follow a queue of modes (the last
    one repeats). It counts the connections it is serving and notices when a client closes one."""

    def __init__(self) -> None:
        self.modes: list[str] = []
        self.active = 0
        self.served = 0
        self.closed_by_client = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def do_POST(self):
                self.last_body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with outer.lock:
                    mode = outer.modes.pop(0) if len(outer.modes) > 1 else outer.modes[0]
                    outer.active += 1
                    outer.served += 1
                try:
                    self.play(mode)
                except OSError:  # the client went away while we wrote
                    outer.note_closed()
                finally:
                    with outer.lock:
                        outer.active -= 1
                    self.close_connection = True

            def client_gone(self, wait: float) -> bool:
                """Whether the client closed the connection (waits up to ``wait`` seconds)."""
                ready, _, _ = select.select([self.connection], [], [], wait)
                return bool(ready) and self.connection.recv(1, socket.MSG_PEEK) == b""

            def stall(self, every: float, piece: bytes) -> None:
                """Send ``piece`` every ``every`` seconds until the client closes."""
                while not outer.stop.is_set():
                    if self.client_gone(every):
                        outer.note_closed()
                        return
                    if piece:
                        self.wfile.write(piece)
                        self.wfile.flush()

            def head(self, status: int = 200, ctype: str = "text/event-stream", **extra) -> None:
                self.send_response(status)
                self.send_header("content-type", ctype)
                for k, v in extra.items():
                    self.send_header(k.replace("_", "-"), v)
                self.end_headers()

            def play(self, mode: str) -> None:
                if mode == "silent":  # reads the request, never answers
                    self.stall(0.1, b"")
                elif mode == "trickle":  # a reply that starts and never ends, a byte at a time
                    self.head()
                    self.stall(0.5, b" ")
                elif mode == "keepalive":
                    self.head()
                    self.stall(0.2, b": keep-alive\n\n")
                elif mode == "empty-chunks":
                    self.head()
                    self.stall(0.05, b'data: {"choices":[{"delta":{}}]}\n\n')
                elif mode == "retry-after-100":
                    err = json.dumps({"error": {"message": "slow down", "type": "x"}}).encode()
                    length = str(len(err))
                    self.head(429, "application/json", retry_after="100", content_length=length)
                    self.wfile.write(err)
                elif mode == "text-then-stall":  # a stream that begins, then only keeps alive
                    self.head()
                    self.wfile.write(sse(delta("New Zealand ")))
                    self.wfile.flush()
                    self.stall(0.2, b": keep-alive\n\n")
                elif mode == "answer":
                    self.answer()

            def answer(self) -> None:
                text = "over 329 million NZD"
                if json.loads(self.last_body or "{}").get("stream"):
                    self.head()
                    done = sse(delta("", "stop")) + b"data: [DONE]\n\n"
                    self.wfile.write(sse(delta(text)) + done)
                    return
                message = {"role": "assistant", "content": text}
                choice = {"index": 0, "finish_reason": "stop", "message": message}
                reply = {"id": "x", "object": "chat.completion", "created": 0, "model": "m"}
                body = json.dumps({**reply, "choices": [choice]}).encode()
                self.head(ctype="application/json", content_length=str(len(body)))
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def note_closed(self) -> None:
        with self.lock:
            self.closed_by_client += 1

    def settled(self, within: float) -> bool:
        """Whether every connection it served has ended, waiting up to ``within`` seconds."""
        end = time.monotonic() + within
        while time.monotonic() < end:
            with self.lock:
                if self.active == 0:
                    return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch):
    s = Misbehaving()
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
            "llm_timeout": TIMEOUT,
            "llm_max_retries": 2,
        }
    )
    return hash_assistant


def request_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("openai-") and t.is_alive()]


def verified(a, ans) -> bool:
    return all(check_citation(c, a.lookup(c.source)) is None for c in ans.citations)


# ------------------------------------------------------------------------------ stall modes
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("mode", STALLS)
def test_every_stall_ends_at_the_deadline_with_a_verified_fallback(server, assistant, mode, stream):
    server.modes = [mode]
    t0 = time.monotonic()
    ans = list(assistant.stream(NZ_Q))[-1] if stream else assistant.ask(NZ_Q)
    elapsed = time.monotonic() - t0
    draft = ans.timings.get("draft", float("nan"))  # the backend's part, shown with -s
    print(f"{mode} {'stream' if stream else 'plain'}: backend {draft:.2f} s, ask {elapsed:.2f} s")
    assert elapsed < TIMEOUT + MARGIN
    assert ans.outcome == "fallback" and "329 million" in ans.text and verified(assistant, ans)
    assert "openai: no complete answer within 1 s" in ans.note
    if mode == "retry-after-100":  # not waited for at all: it would end past the deadline
        assert server.served == 1 and "asking to wait 100 s" in ans.note
    # Nothing is left behind: no request thread, and the server saw its connection end.
    assert request_threads() == []
    assert server.settled(MARGIN)
    if mode != "retry-after-100":
        assert server.closed_by_client == server.served == 1


def test_a_slow_server_that_finishes_in_time_still_answers(server, assistant):
    server.modes = ["answer"]
    assert assistant.ask(NZ_Q).outcome == "answered"
    assert [p for p in assistant.stream(NZ_Q)][-1].outcome == "answered"
    assert request_threads() == []


# ------------------------------------------------------------------------------ abandoned streams
def test_an_open_stream_never_blocks_another_question_and_ends_at_its_deadline(server, assistant):
    server.modes = ["text-then-stall", "answer"]
    held = assistant.stream(NZ_Q)
    assert next(held).text == "New Zealand "  # the caller takes one piece and keeps it open
    t0 = time.monotonic()
    other = assistant.ask(NZ_Q)  # another question on the same Assistant
    assert other.outcome == "answered" and time.monotonic() - t0 < TIMEOUT + MARGIN
    # Nobody reads the held stream, yet its deadline closes its connection and ends its threads.
    assert server.settled(TIMEOUT + MARGIN) and server.closed_by_client == 1
    assert request_threads() == []
    last = list(held)[-1]  # resumed later: the fallback, with the note
    assert last.outcome == "fallback" and "no complete answer within 1 s" in last.note


@pytest.mark.parametrize("how", ["close", "drop"])
def test_an_abandoned_stream_releases_its_connection_at_once(server, assistant, how):
    # A deadline far away: a connection closed within the margin was closed by the abandonment.
    assistant.settings = assistant.settings.model_copy(update={"llm_timeout": 60.0})
    server.modes = ["text-then-stall"]
    held = assistant.stream(NZ_Q)
    assert next(held).text == "New Zealand "
    if how == "close":
        held.close()
    else:
        del held
        gc.collect()
    assert request_threads() == []
    assert server.settled(MARGIN) and server.closed_by_client == 1
