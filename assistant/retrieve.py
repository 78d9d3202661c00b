"""Hybrid retrieval: dense (Chroma) + lexical (BM25), fused by reciprocal rank.

Owns: turning a query into ranked, line-addressed ``Evidence`` with scores, and the LangChain
``BaseRetriever`` view of the same. Does not own: storage (``index``) or answering.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .chunking import Chunk
from .index import Index
from .lexical import analyze

KEEP_TOP = 2  # per retriever, hits that always reach the answerer


@dataclass(frozen=True)
class Evidence:
    chunk: Chunk
    score: float  # fused RRF score
    dense: float | None  # cosine similarity, when the dense retriever returned it
    lexical: float | None  # BM25 score, when the lexical retriever returned it

    @property
    def source(self) -> str:
        return self.chunk.source


def rrf(rankings: list[list[str]], k: int = 60) -> dict[str, float]:
    """Reciprocal rank fusion of several ranked id lists."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (k + rank + 1)
    return fused


class Retriever:
    def __init__(self, index: Index) -> None:
        self.index = index

    def search(self, query: str, top_k: int | None = None) -> list[Evidence]:
        s = self.index.settings
        top_k = top_k or s.top_k
        lex, ids = self.index.lexical()
        terms = analyze(query)
        lexical_hits = [(ids[i], score) for i, score in lex.search(terms, s.fetch_k)]
        qvec = self.index.embedder.embed([query])[0]
        dense_hits = self.index.dense_search(qvec, s.fetch_k)
        chunks = self.index.get_chunks(list({cid for cid, _ in dense_hits + lexical_hits}))
        dense = {cid: sc for cid, sc in dense_hits if cid in chunks}
        lexical = {cid: sc for cid, sc in lexical_hits if cid in chunks}
        fused = rrf([list(dense), list(lexical)], s.rrf_k)
        ranked = sorted(fused, key=lambda c: -fused[c])
        # Each retriever's own top hits always survive fusion: a chunk that one retriever ranks
        # first must not be lost because the other retriever missed it entirely.
        keep = list(dict.fromkeys(list(dense)[:KEEP_TOP] + list(lexical)[:KEEP_TOP]))
        best = [c for c in ranked if c in keep]
        best += [c for c in ranked if c not in keep][: max(0, top_k - len(best))]
        best = sorted(best, key=lambda c: -fused[c])[: max(top_k, len(keep))]
        return [Evidence(chunks[c], fused[c], dense.get(c), lexical.get(c)) for c in best]


def _langchain_retriever_class() -> type:
    # LangChain costs about half a second to import: only the LangChain view pays for it.
    from langchain_core.callbacks import (
        AsyncCallbackManagerForRetrieverRun,
        CallbackManagerForRetrieverRun,
    )
    from langchain_core.documents import Document as LCDocument
    from langchain_core.retrievers import BaseRetriever
    from langchain_core.runnables.config import run_in_executor
    from pydantic import ConfigDict, Field

    class AssistantRetriever(BaseRetriever):
        """LangChain view: ``Document``s whose metadata holds source, start_line, end_line, score.

        Returns exactly ``min(k, available)`` documents: the ``k`` best by fused score, best
        first, so a smaller ``k`` gives a prefix of a larger one. ``k`` is set at construction and
        can be overridden per call (``invoke(query, k=1)``). Unlike ``Retriever.search``, which
        also returns each retriever's ``KEEP_TOP`` best for the answerer (up to
        ``2 * KEEP_TOP`` chunks whatever ``top_k``), this view never returns more than ``k``.
        """

        model_config = ConfigDict(arbitrary_types_allowed=True)
        retriever: Retriever
        k: int = Field(default=6, ge=1, strict=True)

        def _documents(self, query: str, k: int | None) -> list[LCDocument]:
            k = self.k if k is None else k
            if isinstance(k, bool) or not isinstance(k, int) or k < 1:
                raise ValueError(f"k must be a positive whole number, not {k!r}")
            # ``search`` returns its kept hits (at most 2 * KEEP_TOP) plus the best others up to
            # ``top_k``, sorted by fused score. Asking for k more than the kept ones makes that
            # list hold the k best overall; its first k are then the top k of the fused ranking.
            evidence = self.retriever.search(query, k + 2 * KEEP_TOP)[:k]
            return [
                LCDocument(
                    page_content=e.chunk.text,
                    metadata={
                        "source": e.chunk.source,
                        "start_line": e.chunk.start_line,
                        "end_line": e.chunk.end_line,
                        "score": e.score,
                    },
                )
                for e in evidence
            ]

        def _get_relevant_documents(
            self,
            query: str,
            *,
            run_manager: CallbackManagerForRetrieverRun,
            k: int | None = None,
            **kwargs: Any,
        ) -> list[LCDocument]:
            # ``invoke`` hands over all its keywords (``verbose``...): only ``k`` is ours.
            return self._documents(query, k)

        async def _aget_relevant_documents(
            self,
            query: str,
            *,
            run_manager: AsyncCallbackManagerForRetrieverRun,
            k: int | None = None,
            **kwargs: Any,
        ) -> list[LCDocument]:
            # The search is synchronous (SQLite, Chroma, NumPy): run it off the event loop.
            return await run_in_executor(None, self._documents, query, k)

    AssistantRetriever.__module__ = __name__
    AssistantRetriever.__qualname__ = "AssistantRetriever"
    return AssistantRetriever


def __getattr__(name: str) -> Any:
    """``AssistantRetriever`` (a LangChain ``BaseRetriever``) is defined on first access."""
    if name == "AssistantRetriever":
        cls = _langchain_retriever_class()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
