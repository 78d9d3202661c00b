"""With no network at all (``unshare -n``), the default answers, and so does the local model.

Runs the real CLI in a child process without any network interface, over the real index of the
seeds (MiniLM int8 ONNX + Chroma). Skipped only where ``unshare -n`` itself is not permitted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
NZ_Q = "How much did New Zealand commit to regional programmes in climate resilience?"

pytestmark = pytest.mark.network_free


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


needs_unshare = pytest.mark.skipif(not _unshare_works(), reason="unshare -n is not permitted here")


def offline_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}
    clean.update({"HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", **(env or {})})
    return subprocess.run(
        ["unshare", "-n", sys.executable, "-m", "assistant.cli", *args],
        capture_output=True,
        text=True,
        env=clean,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


@needs_unshare
def test_there_is_really_no_network():
    probe = "import socket; socket.create_connection(('pypi.org', 443), timeout=5)"
    res = subprocess.run(["unshare", "-n", sys.executable, "-c", probe], capture_output=True)
    assert res.returncode != 0


@needs_unshare
def test_default_backend_answers_without_network(seeds_index):
    res = offline_cli("ask", NZ_Q, "--corpus", str(SEEDS), "--index-dir", str(seeds_index))
    assert res.returncode == 0, res.stderr
    assert "329 million" in res.stdout and "Sources:" in res.stdout
    assert "000_fb43058b33008c4d.txt:11" in res.stdout


@needs_unshare
def test_local_model_answers_without_network(seeds_index):
    res = offline_cli(
        "ask",
        NZ_Q,
        "--backend",
        "local",
        "--top-k",
        "2",
        "--corpus",
        str(SEEDS),
        "--index-dir",
        str(seeds_index),
        env={"ASSISTANT_LLM_MAX_TOKENS": "32"},
    )
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert "Sources:" in res.stdout or "do not contain an answer" in res.stdout
