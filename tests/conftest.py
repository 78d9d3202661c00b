"""Shared fixtures: isolated state, the real seeds, and assistants over throwaway indexes.

Every test runs with ASSISTANT_* and OPENAI_* variables cleared, so the machine's environment
never changes what a test sees. ``seeds_assistant`` is a real one (MiniLM ONNX + Chroma) built once
per session; ``hash_assistant`` uses the deterministic hash embedder for fast indexing tests.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for key in list(os.environ):
        if key.startswith(("ASSISTANT_", "OPENAI_")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    # Per-corpus indexes (a corpus without --index-dir) go to a throwaway folder, never the
    # user's cache.
    monkeypatch.setenv("ASSISTANT_INDEX_ROOT", str(tmp_path_factory.mktemp("index-root")))
    monkeypatch.setenv("ASSISTANT_UPLOADS_DIR", str(tmp_path_factory.mktemp("uploads")))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A writable copy of the seeds."""
    dst = tmp_path / "corpus"
    shutil.copytree(SEEDS, dst)
    return dst


@pytest.fixture
def hash_assistant(corpus: Path, tmp_path: Path):
    from assistant import Assistant

    return Assistant(corpus=corpus, index_dir=tmp_path / "index", embedding_model="hash")


@pytest.fixture
def ask_cli(corpus: Path, tmp_path: Path):
    """Run ``assistant ask QUESTION --backend NAME`` on the test corpus (hash embedder, a
    throwaway index); extra keywords become environment variables. Returns click's result."""
    from click.testing import CliRunner

    from assistant.cli import main

    def run(question: str, backend: str, **env: str):
        args = [
            "ask",
            question,
            "--backend",
            backend,
            "--corpus",
            str(corpus),
            "--index-dir",
            str(tmp_path / "i"),
        ]
        return CliRunner().invoke(main, args, env={"ASSISTANT_EMBEDDING_MODEL": "hash", **env})

    return run


@pytest.fixture(scope="session")
def seeds_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index (MiniLM int8 ONNX + Chroma) of the seeds, built once per test session."""
    from assistant import Assistant

    idx = tmp_path_factory.mktemp("seeds-index")
    Assistant(corpus=SEEDS, index_dir=idx).build_index()
    return idx


@pytest.fixture(scope="session")
def seeds_assistant(seeds_index: Path):
    from assistant import Assistant

    return Assistant(corpus=SEEDS, index_dir=seeds_index, backend="extractive")
