"""Chunking into line-addressed pieces, and sentence spans."""

from __future__ import annotations

import pytest

from assistant.chunking import chunk_document, sentences
from assistant.documents import Document


def doc(*lines: str) -> Document:
    return Document("d.txt", tuple(lines), "0")


def test_packs_lines_and_skips_blank_edges() -> None:
    chunks = chunk_document(doc("", "a" * 50, "b" * 50, "", "c" * 50), chunk_chars=120)
    assert [(c.start_line, c.end_line) for c in chunks] == [(2, 3), (5, 5)]
    assert chunks[0].text == "a" * 50 + "\n" + "b" * 50
    assert chunks[0].lines() == [(2, "a" * 50), (3, "b" * 50)]


def test_size_limit_starts_new_chunk() -> None:
    chunks = chunk_document(doc("a" * 80, "b" * 80, "c" * 80), chunk_chars=120)
    assert [(c.start_line, c.end_line) for c in chunks] == [(1, 1), (2, 2), (3, 3)]


def test_markdown_heading_starts_new_chunk() -> None:
    chunks = chunk_document(doc("intro", "# Heading", "body"), chunk_chars=500)
    assert [(c.start_line, c.end_line) for c in chunks] == [(1, 1), (2, 3)]


def test_very_long_line_is_cut_but_keeps_its_number() -> None:
    line = " ".join(f"word{i}" for i in range(1000))
    chunks = chunk_document(doc("short", line, "after"), chunk_chars=200)
    middle = [c for c in chunks if c.start_line == 2]
    assert len(middle) > 5 and all(c.end_line == 2 for c in middle)
    assert "".join(c.text for c in middle) == line


def test_chunk_ids_are_stable_and_distinct() -> None:
    a = chunk_document(doc("x", "", "y"), 100)
    b = chunk_document(doc("x", "", "y"), 100)
    assert [c.id for c in a] == [c.id for c in b]
    assert len({c.id for c in a}) == 2


@pytest.mark.parametrize(
    "line, expected",
    [
        ("One. Two!", ["One.", "Two!"]),
        (
            "Held in Washington, D.C. on Monday. Next.",
            ["Held in Washington, D.C. on Monday.", "Next."],
        ),
        ("The U.S. and Dr. Smith agreed. Fine.", ["The U.S. and Dr. Smith agreed.", "Fine."]),
        ("It grew 40%. In 2020 it began.", ["It grew 40%.", "In 2020 it began."]),
        ("Version 3.0 is out", ["Version 3.0 is out"]),
        ("“Quoted.” Then more.", ["“Quoted.”", "Then more."]),
        ("  padded  ", ["padded"]),
        ("truncated mid senten", ["truncated mid senten"]),
        # No boundary without a space after the stop: code, domains, URLs.
        ("except click.Abort: pass", ["except click.Abort: pass"]),
        ("VOV.VN - Viet Nam led. Next.", ["VOV.VN - Viet Nam led.", "Next."]),
        ("See http://a.b/c. Then more.", ["See http://a.b/c.", "Then more."]),
        # Closing quotes and brackets stay with their sentence.
        ("(Keep the fee.) Then go.", ["(Keep the fee.)", "Then go."]),
        ('He said "Stop." Then left.', ['He said "Stop."', "Then left."]),
    ],
)
def test_sentences(line: str, expected: list[str]) -> None:
    assert [line[s:e] for s, e in sentences(line)] == expected
