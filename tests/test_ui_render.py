"""The HTML behind the UI, tested as pure functions (no server, no browser)."""

from __future__ import annotations

import re

import pytest

from assistant.answer import CANNOT_ANSWER, Answer, Claim, Outcome
from assistant.citations import Citation
from assistant.ui_render import (
    ANSWER,
    ERROR,
    REFUSAL,
    Turn,
    chip,
    render_claims,
    render_conversation,
    render_source,
    render_sources,
    render_status,
    render_turn,
)

SRC = "000_a.txt"
LINES = [f"line {i} text" for i in range(1, 21)]


def chips(html: str) -> list[tuple[str, str, str]]:
    return re.findall(
        r'<a class="cite"[^>]*data-source="([^"]*)" data-start="(\d+)" data-end="(\d+)"', html
    )


def test_chip_carries_the_span_and_shows_file_line():
    h = chip(SRC, 11, 11)
    assert chips(h) == [(SRC, "11", "11")]
    assert ">000_a.txt:11</a>" in h
    assert ">000_a.txt:3\u20135</a>" in chip(SRC, 3, 5)


def test_chip_escapes_the_source_name():
    h = chip('x"><img src=x onerror=alert(1)>.txt', 1, 1)
    assert "<img" not in h
    assert "&quot;&gt;&lt;img" in h


def test_claims_become_text_with_chips_in_place():
    h = render_claims(
        [
            Claim("NZ gave 329 million NZD.", (Citation(SRC, 11, 11, "q"),)),
            Claim(
                "The UK gave £17 million.",
                (Citation("b.txt", 6, 6, "q"), Citation("c.txt", 2, 3, "q")),
            ),
        ]
    )
    assert chips(h) == [(SRC, "11", "11"), ("b.txt", "6", "6"), ("c.txt", "2", "3")]
    assert "[" not in h  # no raw marker left
    # The first chip follows the first sentence, before the second sentence starts.
    assert h.index("NZ gave") < h.index(SRC) < h.index("The UK gave")


def test_answer_text_is_escaped():
    h = render_claims([Claim("<script>alert(1)</script> & more", (Citation(SRC, 2, 2, "q"),))])
    assert "<script>" not in h
    assert "&lt;script&gt;" in h and "&amp; more" in h
    assert chips(h) == [(SRC, "2", "2")]


def test_sources_list_has_file_line_and_quote_once_each():
    cites = [
        Citation(SRC, 11, 11, "329 million <NZD>"),
        Citation(SRC, 11, 11, "329 million <NZD>"),
        Citation("b.txt", 2, 4, "x"),
    ]
    h = render_sources(cites)
    assert h.count("<li>") == 2
    assert chips(h) == [(SRC, "11", "11"), ("b.txt", "2", "4")]
    assert "329 million &lt;NZD&gt;" in h
    assert render_sources([]) == ""


def _answer(refused=False, outcome=Outcome.ANSWERED, notes=()):
    claims = [] if refused else [Claim("The answer.", (Citation(SRC, 11, 11, "the quote"),))]
    outcome = Outcome.REFUSED if refused else outcome
    return Answer("q?", claims, outcome, "extractive", notes=list(notes), timings={"total": 0.25})


def test_answer_refusal_and_error_look_different():
    t_ans, t_ref, t_err = Turn("q?"), Turn("q?"), Turn("q?")
    t_ans.finish(_answer())
    t_ref.finish(_answer(refused=True))
    t_err.fail("The index is not usable: run `assistant index`")
    assert (t_ans.status, t_ref.status, t_err.status) == (ANSWER, REFUSAL, ERROR)
    a, r, e = render_turn(t_ans), render_turn(t_ref), render_turn(t_err)
    assert (
        'class="msg answer"' in a
        and f"quoted from {SRC}:11" in a
        and "verified" not in a
        and "0.2 s" in a
    )
    assert 'class="msg refusal"' in r and "No answer in the documents" in r
    assert CANNOT_ANSWER in r and not chips(r)
    assert 'class="msg error"' in e and "run `assistant index`" in e
    assert "Traceback" not in e
    for h in (r, e):
        assert 'class="msg answer"' not in h


def test_trimmed_and_fallback_answers_say_so():
    t = Turn("q?")
    t.finish(_answer(outcome=Outcome.FALLBACK, notes=["The model could not answer (x)."]))
    assert "The model could not answer (x)." in render_turn(t)


def test_rewritten_question_is_shown():
    t = Turn("And the UK?", query="How much did the UK commit?")
    assert "Understood as: How much did the UK commit?" in render_turn(t)
    assert "Understood as" not in render_turn(Turn("Same?", query="Same?"))


def test_pending_turn_shows_the_draft_without_markers():
    t = Turn("q?", text=f"Draft so far [{SRC}:3]")
    h = render_turn(t)
    assert 'class="msg pending"' in h and "Draft so far" in h and SRC not in h


def test_conversation_keeps_order_and_has_an_empty_state():
    t1, t2 = Turn("first?"), Turn("second?")
    h = render_conversation([t1, t2])
    assert h.index("first?") < h.index("second?")
    empty = render_conversation([], "seeds")
    assert "Ask a question" in empty and "<b>seeds</b>" in empty


# --------------------------------------------------------------------------- source panel
def _rows(h: str) -> list[tuple[int, bool]]:
    return [
        (int(n), "hl" in cls)
        for cls, n in re.findall(r'<div class="(line[^"]*)" data-line="(\d+)"', h)
    ]


def test_source_highlights_the_cited_line_with_context():
    h = render_source(SRC, 11, 11, LINES, context=3)
    assert _rows(h) == [(n, n == 11) for n in range(8, 15)]
    assert "line 11 text" in h and "line 11 of 20" in h
    assert "7 lines above" in h and "6 lines below" in h


def test_source_highlights_a_range():
    h = render_source(SRC, 5, 7, LINES, context=2)
    assert _rows(h) == [(n, 5 <= n <= 7) for n in range(3, 10)]
    assert "lines 5\u20137 of 20" in h


@pytest.mark.parametrize(("start", "end", "first", "last"), [(1, 1, 1, 4), (20, 20, 17, 20)])
def test_source_context_is_clamped_at_the_file_edges(start, end, first, last):
    rows = _rows(render_source(SRC, start, end, LINES, context=3))
    assert rows[0][0] == first and rows[-1][0] == last


def test_source_lines_are_escaped_and_empty_lines_kept():
    h = render_source(SRC, 2, 2, ["<b>bold</b>", "", "x"], context=1)
    assert "&lt;b&gt;bold&lt;/b&gt;" in h and "<b>bold" not in h
    assert _rows(h) == [(1, False), (2, True), (3, False)]


def test_source_outside_the_corpus_shows_nothing():
    h = render_source("../../etc/passwd", 1, 1, None)
    assert "not a document of the indexed corpus" in h
    assert not _rows(h)


@pytest.mark.parametrize("start", [0, 21, -3])
def test_source_line_out_of_range(start):
    h = render_source(SRC, start, start, LINES)
    assert "does not exist" in h and not _rows(h)


def test_status_table():
    h = render_status(
        {
            "files": 5,
            "chunks": 95,
            "indexed_at": "2026-11-22 06:53:14",
            "embedding_model": "m",
            "corpus": "<seeds>",
        }
    )
    for s in ("5", "95", "2026-11-22 06:53:14", "&lt;seeds&gt;"):
        assert s in h
    assert "never" in render_status({"files": 0, "chunks": 0})


def test_a_paginated_citation_chip_names_and_carries_its_page():
    h = render_claims([Claim("The total was 12.", (Citation("r.pdf", 3, 3, "q", page=2),))])
    assert "r.pdf p.2:3" in h and 'data-page="2"' in h
    assert "data-page" not in render_claims([Claim("x", (Citation(SRC, 2, 2, "q"),))])
