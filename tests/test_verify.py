"""The verifier: a table of citation checks and of whole-answer rewrites."""

from __future__ import annotations

import pytest

from assistant.citations import Citation
from assistant.verify import check_citation, quote_in_lines, support, verify_answer

FILES = {
    "a.txt": [
        "Title",
        "",
        "Phạm Minh Chính met the d♔elegation in Hà Nội.",
        "Second line has 329 million NZD.",
    ],
    "last.txt": ["first", "the last line has no newline"],
}


def lookup(source: str) -> list[str] | None:
    return FILES.get(source)


@pytest.mark.parametrize(
    "citation, problem",
    [
        (Citation("a.txt", 3, 3, "Phạm Minh Chính met the d♔elegation"), None),
        (Citation("a.txt", 3, 3, "Pham Minh Chinh met the delegation"), None),  # diacritics, noise
        (Citation("a.txt", 3, 3, "Phạm   Minh\nChính  met"), None),  # whitespace
        (Citation("a.txt", 3, 4, "in Hà Nội. Second line"), None),  # range spanning two lines
        (Citation("last.txt", 2, 2, "has no newline"), None),  # last line, no final newline
        (Citation("a.txt", 4, 4, "Phạm Minh Chính"), "quote not in the cited lines"),  # off by one
        (Citation("a.txt", 2, 2, "Phạm Minh Chính"), "quote not in the cited lines"),  # blank line
        (Citation("a.txt", 5, 5, "x"), "out of range"),
        (Citation("a.txt", 0, 1, "Title"), "out of range"),
        (Citation("a.txt", 4, 3, "Second"), "out of range"),
        (Citation("last.txt", 3, 3, "x"), "out of range"),
        (Citation("nope.txt", 1, 1, "Title"), "unknown source"),
        (Citation("a.txt", 1, 1, "   "), "empty quote"),
        (Citation("a.txt", 4, 4, "330 million NZD"), "quote not in the cited lines"),
    ],
)
def test_check_citation(citation: Citation, problem: str | None) -> None:
    got = check_citation(citation, lookup(citation.source))
    if problem is None:
        assert got is None
    else:
        assert got is not None and problem in got


@pytest.mark.parametrize(
    "quote, ok",
    [("329 million", True), ("329  MILLION nzd", True), ("329 billion", False), ("", False)],
)
def test_quote_in_lines(quote: str, ok: bool) -> None:
    assert quote_in_lines(quote, FILES["a.txt"]) is ok


@pytest.mark.parametrize(
    "claim, cited, at_least, at_most",
    [
        ("The line has 329 million NZD.", "Second line has 329 million NZD.", 0.99, 1.0),
        ("It committed 330 million NZD.", "Second line has 329 million NZD.", 0.0, 0.0),
        ("Chinh met the delegation", "Phạm Minh Chính met the d♔elegation", 0.99, 1.0),
        ("Cats are mammals", "Phạm Minh Chính met the d♔elegation", 0.0, 0.01),
    ],
)
def test_support(claim: str, cited: str, at_least: float, at_most: float) -> None:
    assert at_least <= support(claim, cited) <= at_most


def test_verify_keeps_good_and_drops_bad_claims() -> None:
    good = Citation("a.txt", 4, 4, "329 million NZD")
    wrong_line = Citation("a.txt", 3, 3, "329 million NZD")
    invented = Citation("ghost.txt", 1, 1, "anything")
    text = (
        f"Second line has 329 million NZD {good.marker}. "
        f"It also has 329 million NZD {wrong_line.marker}. "
        f"Ghosts exist {invented.marker}. "
        "An unmarked claim."
    )
    v = verify_answer(text, [good, wrong_line, invented], lookup)
    assert v.citations == [good]
    assert v.text == "Second line has 329 million NZD. [a.txt:4]"
    reasons = " | ".join(d.reason for d in v.dropped)
    assert "quote not in the cited lines" in reasons
    assert "unknown source" in reasons
    assert "no citation" in reasons
    assert len(v.dropped) == 3


def test_verify_drops_marker_without_quoted_citation() -> None:
    v = verify_answer("Claim [a.txt:4].", [], lookup)
    assert v.kept_claims == 0 and v.citations == []
    assert "no quoted citation" in v.dropped[0].reason


def test_verify_drops_unsupported_claim_even_with_real_quote() -> None:
    c = Citation("a.txt", 4, 4, "329 million NZD")
    v = verify_answer(f"Canada committed 1 billion USD {c.marker}.", [c], lookup)
    assert v.kept_claims == 0
    assert "not supported" in v.dropped[0].reason


def test_verify_keeps_claim_with_one_good_marker_of_two() -> None:
    good = Citation("a.txt", 4, 4, "329 million NZD")
    bad = Citation("a.txt", 1, 1, "not there")
    v = verify_answer(
        f"Second line has 329 million NZD {good.marker}{bad.marker}.", [good, bad], lookup
    )
    assert v.citations == [good]
    assert "[a.txt:1]" not in v.text
