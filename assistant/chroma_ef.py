"""Adapter that lets Chroma call our local embedders.

Owns: one ``EmbeddingFunction`` subclass, so every collection is created with an explicit, local
embedding function (Chroma's default one would try to download a model). Does not own: the models.
"""

from __future__ import annotations

from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

from .embeddings import Embedder, get_embedder

_BY_NAME = {"all-MiniLM-L6-v2/int8-onnx": "minilm-int8", "all-MiniLM-L6-v2/fp32": "minilm"}


class LocalEmbeddingFunction(EmbeddingFunction[Documents]):
    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:
        return [row for row in self.embedder.embed(list(input))]

    @staticmethod
    def name() -> str:
        return "assistant-local"

    def default_space(self) -> Any:
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"model": self.embedder.name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> LocalEmbeddingFunction:
        name = config.get("model", "")
        return LocalEmbeddingFunction(get_embedder(_BY_NAME.get(name, name or "minilm-int8")))
