"""The LangChain view (``AssistantRetriever``) against LangChain's standard retriever suite.

The suite builds the retriever from ``retriever_constructor(**retriever_constructor_params)``, so
the params carry a ``Retriever`` over a small real index (hash embedder, a throwaway corpus, no
network) built once for this module. Its one async test (``ainvoke``) needs pytest-asyncio's
marker, set on the suite's class (see there); no pytest-asyncio setting in pyproject is needed.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant import Assistant

QUERY = "Which bridge carries traffic across the harbour?"

FILES = {
    "harbour.txt": "The harbour bridge opened in 1932.\nIt carries eight lanes of traffic.\n",
    "library.txt": "The city library holds 40,000 books.\nIt opens at nine every morning.\n",
    "garden.txt": "The botanic garden grows 300 kinds of rose.\nEntry to the garden is free.\n",
    "museum.txt": "The museum shows the bridges and ships of the harbour's history.\n",
    "station.txt": (
        "The railway station has twelve platforms.\nTrains leave for the harbour hourly.\n"
    ),
}


@pytest.fixture(scope="module")
def small_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """An ``Assistant`` over five one-chunk files, its index built (hash embedder)."""
    # Module scope runs before the function-scoped ``_clean_env``: clear the same variables here.
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith(("ASSISTANT_", "OPENAI_")):
                mp.delenv(key, raising=False)
        mp.setenv("ANONYMIZED_TELEMETRY", "False")
        root = tmp_path_factory.mktemp("langchain")
        corpus = root / "corpus"
        corpus.mkdir()
        for name, text in FILES.items():
            (corpus / name).write_text(text, encoding="utf-8")
        assistant = Assistant(corpus=corpus, index_dir=root / "index", embedding_model="hash")
        report = assistant.build_index()
    assert report.chunks == len(FILES)
    return assistant


class TestAssistantRetrieverStandard(RetrieversIntegrationTests):
    # The suite's test_ainvoke_returns_documents is a bare ``async def``: without pytest-asyncio's
    # marker it fails. A test cannot be marked alone without overriding it (which the suite's
    # test_no_overrides forbids), so the class is marked, and pytest-asyncio's warning that its
    # sync tests carry the marker is silenced here only.
    pytestmark = [
        pytest.mark.asyncio,
        pytest.mark.filterwarnings(
            "ignore:The test <Function test_.*> is marked with '@pytest.mark.asyncio'"
            ":pytest.PytestWarning"
        ),
    ]

    @pytest.fixture(autouse=True)
    def _index(self, small_assistant: Assistant) -> None:
        self.assistant = small_assistant

    @property
    def retriever_constructor(self) -> type:
        from assistant.retrieve import AssistantRetriever

        return AssistantRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"retriever": self.assistant.retriever, "k": 4}

    @property
    def retriever_query_example(self) -> str:
        return QUERY


def _sources(docs: list[Document]) -> list[tuple[str, int, int]]:
    return [(d.metadata["source"], d.metadata["start_line"], d.metadata["end_line"]) for d in docs]


def test_k_at_construction(small_assistant: Assistant) -> None:
    # Before the fix, k=1 gave 3 documents here: each retriever's top hits were always added.
    for k in (1, 2, 3, len(FILES)):
        docs = small_assistant.as_langchain_retriever(k=k).invoke(QUERY)
        assert len(docs) == k and all(isinstance(d, Document) for d in docs)
    # More than the index holds: every chunk once, no padding.
    docs = small_assistant.as_langchain_retriever(k=50).invoke(QUERY)
    assert len(docs) == len(FILES) == len(set(_sources(docs)))
    # The k best are a prefix of the fused ranking, best first.
    top3 = small_assistant.as_langchain_retriever(k=3).invoke(QUERY)
    scores = [d.metadata["score"] for d in top3]
    assert scores == sorted(scores, reverse=True)
    assert top3[0].metadata["source"] == "harbour.txt"
    assert _sources(small_assistant.as_langchain_retriever(k=1).invoke(QUERY)) == _sources(top3)[:1]
    # The default is the top_k setting.
    assert small_assistant.as_langchain_retriever().k == small_assistant.settings.top_k


def test_k_as_invoke_keyword(small_assistant: Assistant) -> None:
    retriever = small_assistant.as_langchain_retriever(k=4)
    assert len(retriever.invoke(QUERY, k=1)) == 1
    assert len(retriever.invoke(QUERY, k=3)) == 3
    assert len(retriever.invoke(QUERY)) == 4  # the per-call k does not stick
    assert _sources(retriever.invoke(QUERY, k=2)) == _sources(
        small_assistant.as_langchain_retriever(k=2).invoke(QUERY)
    )


@pytest.mark.parametrize("bad", [0, -1, 1.5, "3", True])
def test_bad_k_is_refused(small_assistant: Assistant, bad: Any) -> None:
    with pytest.raises(ValueError):
        small_assistant.as_langchain_retriever(k=bad)
    with pytest.raises(ValueError):
        small_assistant.as_langchain_retriever(k=3).invoke(QUERY, k=bad)


@pytest.mark.asyncio
async def test_ainvoke_matches_invoke(small_assistant: Assistant) -> None:
    retriever = small_assistant.as_langchain_retriever(k=3)
    sync = retriever.invoke(QUERY)
    assert _sources(await retriever.ainvoke(QUERY)) == _sources(sync)
    assert [d.page_content for d in await retriever.ainvoke(QUERY)] == [
        d.page_content for d in sync
    ]
    assert len(await retriever.ainvoke(QUERY, k=1)) == 1
    # Concurrent calls, each off the event loop, each with its own k.
    many = await asyncio.gather(*(retriever.ainvoke(QUERY, k=k) for k in (1, 2, 3, 4)))
    assert [len(docs) for docs in many] == [1, 2, 3, 4]
    assert all(_sources(docs) == _sources(many[-1])[: len(docs)] for docs in many)
