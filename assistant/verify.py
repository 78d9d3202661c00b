"""The citation verifier: pure functions that decide what the user is allowed to see.

Owns: checking one citation against the real lines of its file (the source exists, the lines are in
range, the quote occurs in those lines, insensitive to whitespace, case and diacritics), checking
that a claim is supported by what it cites (its numbers and most of its key terms occur there), and
rewriting an answer so that only verified claims, each with verified markers, remain. Every function
takes the lines through a ``lookup(source) -> list[str] | None`` callable and has no other input.
Does not own: producing answers or choosing quotes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .citations import Citation, split_claims
from .lexical import analyze
from .normalize import normalize, tokens

Lookup = Callable[[str], "list[str] | None"]

_NUMBER = re.compile(r"^\d[\d.,]*$")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", normalize(text))


def quote_in_lines(quote: str, lines: list[str]) -> bool:
    """True when ``quote`` occurs in ``lines`` (joined), ignoring whitespace, case, diacritics."""
    q = _squash(quote)
    return bool(q) and q in _squash(" ".join(lines))


def check_citation(c: Citation, lines: list[str] | None) -> str | None:
    """None when the citation is valid, else the reason it is not."""
    if lines is None:
        return f"unknown source {c.source!r}"
    if not (1 <= c.start_line <= c.end_line <= len(lines)):
        return f"lines {c.start_line}-{c.end_line} out of range (1-{len(lines)})"
    if not c.quote.strip():
        return "empty quote"
    if not quote_in_lines(c.quote, lines[c.start_line - 1 : c.end_line]):
        return "quote not in the cited lines"
    return None


def support(claim: str, cited_text: str) -> float:
    """Share of the claim's key terms found in the cited text; 0 if a claim number is missing."""
    cited_tokens = set(tokens(cited_text))
    for t in tokens(claim):
        if _NUMBER.match(t) and t not in cited_tokens:
            return 0.0
    terms = set(analyze(claim))
    if not terms:
        return 1.0
    return len(terms & set(analyze(cited_text))) / len(terms)


@dataclass
class Dropped:
    claim: str
    reason: str


@dataclass
class Verified:
    text: str
    citations: list[Citation]
    dropped: list[Dropped] = field(default_factory=list)
    kept_claims: int = 0


def verify_answer(
    text: str, citations: list[Citation], lookup: Lookup, min_support: float = 0.5
) -> Verified:
    """Keep only claims with at least one verified, supporting citation.

    A marker counts when a citation with the same source and lines is in ``citations``, that
    citation passes ``check_citation``, and the claim is supported by the cited lines. Failing
    markers are removed; a claim left with no marker is removed with the reason recorded.
    """
    by_span: dict[tuple[str, int, int], Citation] = {}
    for c in citations:
        by_span.setdefault((c.source, c.start_line, c.end_line), c)
    cache: dict[str, list[str] | None] = {}

    def lines_of(source: str) -> list[str] | None:
        if source not in cache:
            cache[source] = lookup(source)
        return cache[source]

    kept_parts: list[str] = []
    kept_citations: list[Citation] = []
    dropped: list[Dropped] = []
    for claim in split_claims(text):
        good: list[Citation] = []
        reason = "no citation"
        for m in claim.markers:
            c = by_span.get((m.source, m.start_line, m.end_line))
            if c is None:
                reason = f"marker {m} has no quoted citation"
                continue
            lines = lines_of(c.source)
            problem = check_citation(c, lines)
            if problem is None and lines is not None:
                cited = " ".join(lines[c.start_line - 1 : c.end_line])
                if support(claim.text, cited) < min_support:
                    problem = "claim not supported by the cited lines"
            if problem is None:
                good.append(c)
            else:
                reason = f"{m}: {problem}"
        if good and claim.text:
            kept_parts.append(claim.text + " " + "".join(c.marker for c in good))
            for c in good:
                if c not in kept_citations:
                    kept_citations.append(c)
        elif claim.text:
            dropped.append(Dropped(claim.text, reason))
    return Verified(" ".join(kept_parts), kept_citations, dropped, len(kept_parts))
