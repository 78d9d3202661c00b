"""The UI's JSON API, as a program meets it: ``gradio_client`` against the running app.

``/answer`` returns exactly ``Answer.to_dict()`` (claims and citations as data, not the page's
HTML), ``/new_conversation`` starts a conversation for follow-ups, ``/source`` returns the lines
of an indexed document. Failures come back as one-line errors, never tracebacks.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

NZ_Q = "How much did New Zealand commit to regional programmes?"
NZ_SRC = "000_fb43058b33008c4d.txt"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    import shutil

    from gradio_client import Client

    from assistant import Assistant
    from assistant.ui import launch

    root = tmp_path_factory.mktemp("ui-api")
    corpus = root / "corpus"
    shutil.copytree(Path(__file__).resolve().parents[1] / "seeds", corpus)
    a = Assistant(
        corpus=corpus, index_dir=root / "index", backend="extractive", embedding_model="hash"
    )
    port = _free_port()
    demo = launch(a, host="127.0.0.1", port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield Client(f"http://127.0.0.1:{port}/", verbose=False), a
    finally:
        demo.close()


def test_answer_is_exactly_the_answer_dict(client) -> None:
    c, a = client
    got = c.predict(NZ_Q, "", "", 0, api_name="/answer")
    want = a.ask(NZ_Q).to_dict()
    assert isinstance(got, dict) and got["schema"] == 1
    for key in ("timings",):
        del got[key], want[key]
    assert got == want
    (claim,) = got["claims"]
    assert claim["citations"][0]["source"] == NZ_SRC and "329 million" in claim["text"]


def test_a_conversation_reads_follow_ups_and_a_new_one_starts_over(client) -> None:
    c, _ = client
    cid = c.predict(api_name="/new_conversation")
    assert isinstance(cid, str) and cid
    first = c.predict(NZ_Q, cid, "", 0, api_name="/answer")
    follow = c.predict("And the UK?", cid, "", 0, api_name="/answer")
    assert first["query"] == NZ_Q
    assert follow["question"] == "And the UK?" and "UK" in follow["query"]
    assert follow["query"] != follow["question"]
    fresh = c.predict(api_name="/new_conversation")
    alone = c.predict("And the UK?", fresh, "", 0, api_name="/answer")
    assert alone["query"] == "And the UK?"  # nothing to lean on in a new conversation


def test_source_returns_the_cited_lines_with_context(client) -> None:
    c, a = client
    got = c.predict(NZ_SRC, 11, 0, 2, api_name="/source")
    assert got["source"] == NZ_SRC and (got["start_line"], got["end_line"]) == (11, 11)
    assert [x["line"] for x in got["lines"]] == [9, 10, 11, 12, 13]
    assert [x["line"] for x in got["lines"] if x["cited"]] == [11]
    assert got["lines"][2]["text"] == a.lookup(NZ_SRC)[10]


@pytest.mark.parametrize(
    "endpoint, args, message",
    [
        ("/answer", ("?!", "", "", 0), "has no words"),
        ("/answer", (NZ_Q, "no-such-conversation", "", 0), "start one with /new_conversation"),
        ("/source", ("../../etc/passwd", 1, 0, 3), "not a document of the indexed corpus"),
        ("/source", (NZ_SRC, 9999, 0, 3), "not 9999-9999"),
    ],
)
def test_errors_are_one_line_messages(client, endpoint: str, args: tuple, message: str) -> None:
    c, _ = client
    with pytest.raises(Exception, match=message) as info:
        c.predict(*args, api_name=endpoint)
    assert "Traceback" not in str(info.value)
