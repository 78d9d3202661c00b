"""Citation markers: parsing, stripping and splitting answers into claims (pure functions)."""

from __future__ import annotations

import pytest

from assistant.citations import Citation, Marker, parse_markers, split_claims, strip_markers


@pytest.mark.parametrize(
    "text, expected",
    [
        ("x [a.txt:3]", [("a.txt", 3, 3)]),
        ("x [a.txt:3-5]", [("a.txt", 3, 5)]),
        ("x [a.txt:3–5]", [("a.txt", 3, 5)]),  # en dash range
        ("x [a.txt: 3 - 5]", [("a.txt", 3, 5)]),
        ("x [sub/dir/b.md:12]", [("sub/dir/b.md", 12, 12)]),
        ("x [a.txt:1; b.txt:2]", [("a.txt", 1, 1), ("b.txt", 2, 2)]),
        ("x [a.txt:1, b.txt:2-4]", [("a.txt", 1, 1), ("b.txt", 2, 4)]),
        ("x [a.txt:L7]", [("a.txt", 7, 7)]),
        ("x [a.txt:line 7]", [("a.txt", 7, 7)]),
        ("[000_fb43058b33008c4d.txt:11]", [("000_fb43058b33008c4d.txt", 11, 11)]),
        ("x [1]", []),  # numbered evidence, not a file marker
        ("x [a.txt]", []),  # no line
        ("x [not a marker]", []),
        ("x (a.txt:3)", []),  # parentheses are not markers
        ("x [a.txt:3", []),  # unclosed
    ],
)
def test_parse_markers(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert parse_markers(text) == [Marker(*e) for e in expected]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("A [a.txt:1].", "A."),
        ("A [a.txt:1] and B [b.txt:2-3].", "A and B."),
        ("No markers.", "No markers."),
        ("[a.txt:1]", ""),
    ],
)
def test_strip_markers(text: str, expected: str) -> None:
    assert strip_markers(text) == expected


@pytest.mark.parametrize(
    "text, claims",
    [
        ("A is x [f.txt:1]. B is y [f.txt:2].", [("A is x.", 1), ("B is y.", 1)]),
        ("A [f.txt:1] [g.txt:2].", [("A.", 2)]),
        ("A [f.txt:1; g.txt:2]", [("A", 2)]),
        ("Unmarked. Two.", [("Unmarked.", 0), ("Two.", 0)]),
        ("A [f.txt:1]. Unmarked tail.", [("A.", 1), ("Unmarked tail.", 0)]),
    ],
)
def test_split_claims(text: str, claims: list[tuple[str, int]]) -> None:
    got = [(c.text, len(c.markers)) for c in split_claims(text)]
    assert got == claims


def test_citation_marker_and_dict() -> None:
    c = Citation("a.txt", 3, 3, "q")
    assert c.marker == "[a.txt:3]"
    assert Citation("a.txt", 3, 4, "q").marker == "[a.txt:3-4]"
    assert c.to_dict() == {
        "source": "a.txt",
        "start_line": 3,
        "end_line": 3,
        "quote": "q",
        "page": None,
    }
    assert Citation.from_dict(c.to_dict()) == c
    paged = Citation("a.pdf", 12, 12, "q", page=3)
    assert paged.marker == "[a.pdf p.3:12]" and paged.label == "a.pdf p.3:12"
    assert parse_markers(f"x {paged.marker}") == [Marker("a.pdf", 12, 12, 3)]
