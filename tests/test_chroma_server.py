"""Scale-out: the same code against a real Chroma server (``chroma run``) on loopback.

One server per module, started on a free port as a subprocess, waited for through its heartbeat
(bounded), and stopped by its process id in the fixture's teardown. Uses the hash embedder so the
tests stay fast; the vectors' path through the server is the same for every embedder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.index import IndexError_

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
QUESTION = "How much did NZ commit to regional programmes in climate resilience?"


def _chroma_cli() -> str | None:
    local = Path(sys.executable).parent / "chroma"  # the one installed with this chromadb
    return str(local) if local.exists() else shutil.which("chroma")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _heartbeat(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1) as r:
            return r.status == 200 and "heartbeat" in r.read().decode()
    except OSError:
        return False


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):
    cli = _chroma_cli()
    if cli is None:
        pytest.skip("the `chroma` command of chromadb is not installed")
    data = tmp_path_factory.mktemp("chroma-server")
    port = _free_port()
    log = open(data / "server.log", "wb")  # noqa: SIM115 (closed in the finally below)
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen(
        [cli, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not _heartbeat(port):
            if proc.poll() is not None:
                pytest.fail(
                    f"chroma run exited with {proc.returncode}: "
                    f"{(data / 'server.log').read_text(errors='replace')[-2000:]}"
                )
            if time.monotonic() > deadline:
                pytest.fail("the Chroma server did not answer its heartbeat within 60 s")
            time.sleep(0.2)
        yield port
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


def _server_count(port: int, index_dir: Path) -> int:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from assistant.settings import Settings
    from assistant.vectors import collection_name

    client = chromadb.HttpClient(
        host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False)
    )
    name = collection_name(Settings(index_dir=index_dir, chroma_host="127.0.0.1"))
    return client.get_collection(name).count()


def test_index_and_answer_through_a_chroma_server(chroma_server: int, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    index_dir = tmp_path / "index"
    a = Assistant(
        corpus=corpus,
        index_dir=index_dir,
        backend="extractive",
        embedding_model="hash",
        chroma_host="127.0.0.1",
        chroma_port=chroma_server,
    )
    report = a.build_index()
    assert report.chunks > 0 and report.embedded == report.chunks
    assert not (index_dir / "chroma").exists()  # the vectors went to the server
    assert _server_count(chroma_server, index_dir) == report.chunks

    ans = a.ask(QUESTION)
    assert not ans.refused
    assert ans.citations and all(c.source.endswith(".txt") for c in ans.citations)
    assert "329" in ans.text

    again = a.build_index()  # unchanged corpus: nothing embedded, nothing sent
    assert again.embedded == 0 and again.removed == 0

    gone = sorted(corpus.glob("*.txt"))[-1]
    gone.unlink()
    after = a.build_index()
    assert after.removed > 0 and after.files == report.files - 1
    assert _server_count(chroma_server, index_dir) == after.chunks
    assert not a.ask(QUESTION).refused


def test_cli_uses_the_server_named_by_environment(chroma_server: int, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}
    env.update(
        ASSISTANT_CHROMA_HOST="127.0.0.1",
        ASSISTANT_CHROMA_PORT=str(chroma_server),
        ASSISTANT_EMBEDDING_MODEL="hash",
        ASSISTANT_CORPUS=str(SEEDS),
        ASSISTANT_INDEX_DIR=str(tmp_path / "index"),
        ANONYMIZED_TELEMETRY="False",
    )
    cmd = [sys.executable, "-m", "assistant.cli"]
    done = subprocess.run(
        [*cmd, "index", "-q"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "index" / "chroma").exists()
    done = subprocess.run(
        [*cmd, "ask", "--json", "--backend", "extractive", QUESTION],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    ans = json.loads(done.stdout)
    assert not ans["refused"] and ans["citations"]
    assert _server_count(chroma_server, tmp_path / "index") > 0


def test_switching_a_local_index_to_the_server_rebuilds_it(
    chroma_server: int, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    Assistant(corpus=SEEDS, index_dir=index_dir, embedding_model="hash").build_index()
    warnings: list[str] = []
    served = Assistant(
        corpus=SEEDS,
        index_dir=index_dir,
        embedding_model="hash",
        chroma_host="127.0.0.1",
        chroma_port=chroma_server,
    )
    report = served.build_index(warn=warnings.append)
    assert report.rebuilt and report.embedded == report.chunks
    assert any("rebuilding" in w for w in warnings)
    assert _server_count(chroma_server, index_dir) == report.chunks


def test_unreachable_server_is_a_clear_index_error(tmp_path: Path) -> None:
    a = Assistant(
        corpus=SEEDS,
        index_dir=tmp_path / "index",
        embedding_model="hash",
        chroma_host="127.0.0.1",
        chroma_port=_free_port(),
    )
    with pytest.raises(IndexError_, match="cannot use the Chroma server at 127.0.0.1"):
        a.build_index()
