"""Every knob of the assistant, in one typed object.

Owns: defaults (all of which work offline, with no API key), validation, and reading
``ASSISTANT_*`` environment variables. Constructor arguments win over the environment, which wins
over the defaults. Does not own: any behaviour; modules receive a ``Settings`` and read from it.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CORPUS = Path("seeds")
DEFAULT_INDEX = Path("vectorstore")


def default_index_root() -> Path:
    """``$XDG_CACHE_HOME/assistant/indexes`` (``~/.cache/assistant/indexes`` without it)."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "assistant" / "indexes"


def default_uploads_root() -> Path:
    """``$XDG_DATA_HOME/assistant/uploads`` (``~/.local/share/assistant/uploads`` without it):
    user data, kept across restarts, never inside a corpus or the repository."""
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "assistant" / "uploads"


def corpus_key(corpus: Path) -> str:
    """``<corpus folder name>-<hash of its absolute path>``: one folder name per corpus."""
    corpus = Path(corpus).expanduser().resolve()
    digest = hashlib.sha256(str(corpus).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", corpus.name)[:40] or "corpus"
    return f"{name}-{digest}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", extra="forbid", validate_default=True
    )

    # --- documents -------------------------------------------------------------------------
    corpus: Path = Field(default=DEFAULT_CORPUS, description="Folder of documents to answer from.")
    extensions: list[str] = Field(
        default=[".txt", ".md", ".markdown", ".rst", ".text", ".pdf", ".docx", ".html", ".htm"],
        description="File name endings that are loaded as documents (case-insensitive).",
    )
    max_file_mb: float = Field(
        default=20.0, gt=0, description="Files larger than this are skipped with a warning."
    )
    chunk_chars: int = Field(
        default=700,
        ge=100,
        description="Target size of a chunk; lines are never split unless longer than this.",
    )

    # --- index -----------------------------------------------------------------------------
    index_dir: Path | None = Field(
        default=None,
        description="Where the index lives. Default: vectorstore/ for the default corpus seeds/; "
        "any other corpus gets a folder of its own under index_root, so every folder works on "
        "the first try and two corpora never share an index.",
    )
    index_root: Path | None = Field(
        default=None,
        description="Where per-corpus indexes go when index_dir is not given "
        "(default: $XDG_CACHE_HOME/assistant/indexes or ~/.cache/assistant/indexes).",
    )
    embedding_model: str = Field(
        default="minilm-int8",
        description="Embedding model: 'minilm-int8' (ONNX, bundled), 'minilm' (fp32, "
        "sentence-transformers, bundled) or 'hash' (deterministic, for tests only).",
    )
    embed_batch_size: int = Field(default=32, ge=1, description="Texts per embedding batch.")
    chroma_host: str | None = Field(
        default=None, description="Use a Chroma server at this host instead of a local folder."
    )
    chroma_port: int = Field(default=8000, description="Port of the Chroma server.")

    # --- retrieval -------------------------------------------------------------------------
    top_k: int = Field(default=8, ge=1, le=50, description="Evidence chunks given to the answerer.")
    fetch_k: int = Field(
        default=30, ge=1, description="Candidates taken from each retriever before fusion."
    )
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal-rank-fusion constant.")

    # --- answering -------------------------------------------------------------------------
    backend: str = Field(
        default="auto",
        description="Answerer: 'auto' (openai when OPENAI_API_KEY/OPENAI_BASE_URL is set, "
        "else 'local'), 'local' (a bundled GGUF model in process), 'openai' (any "
        "OpenAI-compatible server), 'extractive' (no model: quotes the best sentence).",
    )
    min_support: float = Field(
        default=0.45,
        ge=0,
        le=1,
        description="Share of the question's weighted key terms that evidence must cover; "
        "below it the assistant refuses.",
    )
    max_answer_sentences: int = Field(default=3, ge=1, le=10)
    abstain_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Refuse a model's answer whose calibrated confidence is below this; default: "
        "the threshold fitted with the calibration (assistant/calibration.json). 0 shows every "
        "verified answer.",
    )

    # --- LLM backends (used by 'local' and 'openai') ---------------------------------------
    llm_model: str = Field(default="gpt-4o-mini", description="Model name for 'openai'.")
    local_model: str = Field(
        default="qwen2.5-0.5b",
        description="Bundled model for 'local': 'qwen2.5-0.5b' (Qwen2.5-Coder-0.5B-Instruct "
        "Q4_K_M, the default), 'qwen2.5-1.5b' (the 1.5B, slower) or 'smollm2-135m'.",
    )
    gguf_path: Path | None = Field(
        default=None, description="Any GGUF file for 'local'; overrides local_model."
    )
    model_cache: Path | None = Field(
        default=None,
        description="Where bundled models are assembled from their packages "
        "(default: $XDG_CACHE_HOME/assistant/models or ~/.cache/assistant/models).",
    )
    llm_logprobs: bool = Field(
        default=True,
        description="Ask an OpenAI-compatible server for token log-probabilities (the model's "
        "own p_answer signal); a server that rejects them is asked without.",
    )
    prompts_dir: Path | None = Field(
        default=None,
        description="A folder with your own system.txt and user.txt prompt templates "
        "(default: the ones inside the package).",
    )
    llm_evidence_tokens: int = Field(
        default=240, ge=64, description="Most tokens of evidence shown to a model (speed)."
    )
    llm_timeout: float = Field(default=60.0, gt=0, description="Seconds per LLM request.")
    llm_max_retries: int = Field(default=2, ge=0, description="Retries on 429/5xx/timeouts.")
    llm_max_tokens: int = Field(default=64, ge=16, description="Longest answer, in tokens.")
    llm_context_tokens: int = Field(default=2048, ge=256)

    # --- UI --------------------------------------------------------------------------------
    ui_host: str = Field(default="127.0.0.1")
    ui_port: int = Field(default=7860)
    upload_max_kb: int = Field(default=2048, ge=1)
    include_uploads: bool = Field(
        default=True,
        description="Index the documents uploaded in the UI together with the corpus "
        "(evaluations turn it off: they measure the corpus alone).",
    )
    uploads_dir: Path | None = Field(
        default=None,
        description="Where documents uploaded in the UI are kept; they are indexed with the "
        "corpus as uploads/<name>. Default: a folder per corpus in the user's data folder, "
        "$XDG_DATA_HOME/assistant/uploads/<corpus folder name>-<hash of its path> (or "
        "~/.local/share/...), never inside the corpus.",
    )

    @property
    def index_path(self) -> Path:
        """The index folder: ``index_dir`` when given; ``vectorstore`` for the default corpus;
        else ``<index_root>/<corpus folder name>-<hash of its absolute path>``."""
        if self.index_dir is not None:
            return Path(self.index_dir)
        if Path(self.corpus) == DEFAULT_CORPUS:
            return DEFAULT_INDEX
        return (self.index_root or default_index_root()) / corpus_key(self.corpus)

    @property
    def uploads_path(self) -> Path:
        """The uploads folder: ``uploads_dir`` when given; else
        ``<user data>/assistant/uploads/<corpus folder name>-<hash of its absolute path>``."""
        if self.uploads_dir is not None:
            return Path(self.uploads_dir).expanduser()
        return default_uploads_root() / corpus_key(self.corpus)

    @field_validator("extensions")
    @classmethod
    def _lower_ext(cls, v: list[str]) -> list[str]:
        return [e.lower() if e.startswith(".") else "." + e.lower() for e in v]
