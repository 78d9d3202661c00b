"""Adapter that lets Chroma call our local embedders.

Owns: one ``EmbeddingFunction`` subclass, so every collection is created with an explicit, local
embedding function (Chroma's default one would try to download a model). The assistant always
hands Chroma ready-made vectors, so the adapter loads its model only if Chroma itself ever calls
it: opening a collection (which makes Chroma rebuild the function from its stored config) costs no
model load. Does not own: the models.
"""

from __future__ import annotations

from typing import Any

import chromadb  # noqa: F401  (import the package first: its submodules import each other)
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

from .embeddings import Embedder, get_embedder

_BY_NAME = {"all-MiniLM-L6-v2/int8-onnx": "minilm-int8", "all-MiniLM-L6-v2/fp32": "minilm"}


class LocalEmbeddingFunction(EmbeddingFunction[Documents]):
    """Wraps an ``Embedder``, or only a model name whose model is loaded on first use."""

    def __init__(self, embedder: Embedder | None = None, *, model: str | None = None) -> None:
        if embedder is None and model is None:
            raise ValueError("give an embedder or a model name")
        self._embedder = embedder
        self._model = model if embedder is None else embedder.name

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(_BY_NAME.get(self._model, self._model))
        return self._embedder

    def __call__(self, input: Documents) -> Embeddings:
        return [row for row in self.embedder.embed(list(input))]

    @staticmethod
    def name() -> str:
        return "assistant-local"

    def default_space(self) -> Any:
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"model": self._model}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> LocalEmbeddingFunction:
        return LocalEmbeddingFunction(model=config.get("model") or "all-MiniLM-L6-v2/int8-onnx")
