"""The Python API contract and settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reliability_helpers import answer_data

from assistant import ANSWER_SCHEMA, Answer, Assistant, Citation, QuestionError, Settings


def test_to_dict_contract(seeds_assistant: Assistant) -> None:
    """The documented, versioned schema (assistant/answer.py): every field, in order."""
    ans = seeds_assistant.ask("How much did New Zealand commit to regional programmes?")
    d = ans.to_dict()
    assert list(d) == [
        "schema",
        "question",
        "query",
        "outcome",
        "refused",
        "answer",
        "claims",
        "citations",
        "backend",
        "model",
        "raw",
        "confidence",
        "signals",
        "notes",
        "dropped",
        "timings",
        "evidence",
    ]
    assert d["schema"] == ANSWER_SCHEMA == 1
    assert d["question"] == d["query"] == "How much did New Zealand commit to regional programmes?"
    assert d["answer"] == ans.text and d["refused"] is False and d["backend"] == "extractive"
    assert d["outcome"] == "answered" and d["model"] is None and d["notes"] == []
    (claim,) = d["claims"]
    assert set(claim) == {"text", "support", "citations"} and claim["support"] >= 0.5
    assert claim["citations"] == d["citations"]
    assert set(d["citations"][0]) == {"source", "start_line", "end_line", "quote", "page"}
    assert d["citations"][0]["page"] is None
    assert set(d["timings"]) == {"retrieve", "draft", "verify", "total"}
    assert d["evidence"] and set(d["evidence"][0]) == {"source", "start_line", "end_line", "score"}
    assert isinstance(ans, Answer) and all(isinstance(c, Citation) for c in ans.citations)
    # ... and back: a program can rebuild the answer from its JSON.
    back = Answer.from_dict(json.loads(json.dumps(d)))
    assert (back.claims, back.outcome, back.text) == (ans.claims, ans.outcome, ans.text)


def test_defaults_are_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    s = Settings()
    assert s.corpus == Path("seeds") and s.index_path == Path("vectorstore")
    assert s.embedding_model == "minilm-int8"
    from assistant.backends import resolve_backend_name

    assert resolve_backend_name(s.backend) == "local"  # the bundled model, no network
    assert s.local_model == "qwen2.5-0.5b"
    assert resolve_backend_name("auto", {"OPENAI_API_KEY": "sk-x"}) == "openai"
    assert resolve_backend_name("auto", {"OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}) == "openai"


def test_environment_and_arguments(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSISTANT_CORPUS", str(tmp_path / "docs"))
    monkeypatch.setenv("ASSISTANT_TOP_K", "9")
    monkeypatch.setenv("ASSISTANT_BACKEND", "extractive")
    a = Assistant()
    assert a.settings.corpus == tmp_path / "docs" and a.settings.top_k == 9
    b = Assistant(corpus="elsewhere", top_k=3)  # arguments win over the environment
    assert b.settings.corpus == Path("elsewhere") and b.settings.top_k == 3


def test_unknown_setting_is_rejected() -> None:
    with pytest.raises(Exception, match="extra"):
        Settings(not_a_knob=1)


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "?!...", "\x00\x01"])
def test_bad_questions(seeds_assistant: Assistant, question: str) -> None:
    with pytest.raises(QuestionError):
        seeds_assistant.ask(question)


def test_ask_builds_index_on_first_use(corpus: Path, tmp_path: Path) -> None:
    a = Assistant(corpus=corpus, index_dir=tmp_path / "fresh", embedding_model="hash")
    assert not (tmp_path / "fresh" / "chunks.sqlite3").exists()
    a.ask("Who led the Vietnamese delegation?")
    assert a.index.status()["files"] == 5


def test_stream_ends_with_the_same_answer_as_ask(seeds_assistant: Assistant) -> None:
    q = "Who co-chaired the ASEAN-UK meeting with Bui Thanh Son?"
    *pieces, final = list(seeds_assistant.stream(q))
    assert all(isinstance(p, str) for p in pieces)
    assert answer_data(final) == answer_data(seeds_assistant.ask(q))
