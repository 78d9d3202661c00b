"""The verifier: a table of citation checks and of whole-answer rewrites."""

from __future__ import annotations

import pytest

from assistant.answer import Claim
from assistant.citations import Citation
from assistant.verify import (
    check_citation,
    claims_from_text,
    quote_in_lines,
    support,
    verify_claim,
    verify_claims,
)

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


GOOD = Citation("a.txt", 4, 4, "329 million NZD")
WRONG_LINE = Citation("a.txt", 3, 3, "329 million NZD")
GHOST = Citation("ghost.txt", 1, 1, "anything")
ELSEWHERE = Citation("a.txt", 1, 1, "not there")


@pytest.mark.parametrize(
    "claim, kept_citations, reason",
    [
        (Claim("Second line has 329 million NZD.", (GOOD,)), (GOOD,), None),
        (Claim("It also has 329 million NZD.", (WRONG_LINE,)), (), "quote not in the cited lines"),
        (Claim("Ghosts exist.", (GHOST,)), (), "unknown source"),
        (Claim("An unmarked claim."), (), "no citation"),
        (Claim("Canada committed 1 billion USD.", (GOOD,)), (), "not supported"),
        # one good citation of two: the claim stays, with the good one only
        (Claim("Second line has 329 million NZD.", (GOOD, ELSEWHERE)), (GOOD,), None),
        (Claim("Second line has 329 million NZD.", (GOOD, GOOD)), (GOOD,), None),
        (Claim("   ", (GOOD,)), (), "no citation"),
    ],
)
def test_verify_claim(claim: Claim, kept_citations: tuple, reason: str | None) -> None:
    got = verify_claim(claim, lookup)
    if reason is None:
        assert isinstance(got, Claim) and got.citations == kept_citations
        assert got.text == claim.text and got.support is not None and got.support >= 0.5
    elif claim.text.strip():
        assert isinstance(got, str) and reason in got


def test_verify_claims_keeps_order_and_reports_each_dropped_claim() -> None:
    claims = [
        Claim("Second line has 329 million NZD.", (GOOD,)),
        Claim("It also has 329 million NZD.", (WRONG_LINE,)),
        Claim("Ghosts exist.", (GHOST,)),
        Claim("An unmarked claim."),
        Claim("Line two again: 329 million NZD.", (GOOD,)),
    ]
    kept, dropped = verify_claims(claims, lookup)
    assert [c.text for c in kept] == [claims[0].text, claims[4].text]
    assert [d.text for d in dropped] == [c.text for c in claims[1:4]]
    assert all(d.reason for d in dropped)


def test_claims_from_text_resolves_markers_to_citations() -> None:
    text = f"Second line has 329 million NZD {GOOD.marker}. Ghosts [b.txt:9]."
    claims = claims_from_text(text, [GOOD])
    assert claims == [Claim("Second line has 329 million NZD.", (GOOD,)), Claim("Ghosts.", ())]
