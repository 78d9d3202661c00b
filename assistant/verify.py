"""The citation verifier: pure functions that decide what the user is allowed to see.

Owns: checking one citation against the real lines of its file (the source exists, the lines are in
range, the quote occurs in those lines, insensitive to whitespace, case and diacritics), checking
that a claim is supported by what it cites (its numbers and most of its key terms occur there), and
keeping of each claim only its verified citations (a claim left with none is dropped, with the
reason), and its support, which ``abstain`` weighs. Every function
takes the lines through a ``lookup(source) -> list[str] | None`` callable and has no other input.
Does not own: producing answers or choosing quotes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .answer import Claim, Dropped
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


def verify_claim(claim: Claim, lookup: Lookup, min_support: float = 0.5) -> Claim | str:
    """``claim`` with only its verified, supporting citations (and its support: the best share of
    its terms found on a cited line), or the reason none verified."""
    good: list[Citation] = []
    best = 0.0
    reason = "no citation"
    for c in claim.citations:
        lines = lookup(c.source)
        problem = check_citation(c, lines)
        score = 0.0
        if problem is None and lines is not None:
            score = support(claim.text, " ".join(lines[c.start_line - 1 : c.end_line]))
            if score < min_support:
                problem = "claim not supported by the cited lines"
        if problem is None:
            good.append(c)
            best = max(best, score)
        else:
            reason = f"{c.marker}: {problem}"
    if not good or not claim.text.strip():
        return reason
    return Claim(claim.text, tuple(dict.fromkeys(good)), round(best, 4))


def verify_claims(
    claims: Sequence[Claim], lookup: Lookup, min_support: float = 0.5
) -> tuple[list[Claim], list[Dropped]]:
    """The claims with at least one verified, supporting citation (each keeping only those),
    and the ones removed with the reason. Pure: the lines come only through ``lookup``."""
    cache: dict[str, list[str] | None] = {}

    def lines_of(source: str) -> list[str] | None:
        if source not in cache:
            cache[source] = lookup(source)
        return cache[source]

    kept: list[Claim] = []
    dropped: list[Dropped] = []
    for claim in claims:
        got = verify_claim(claim, lines_of, min_support)
        if isinstance(got, Claim):
            kept.append(got)
        elif claim.text.strip():
            dropped.append(Dropped(claim.text, got))
    return kept, dropped


def claims_from_text(text: str, citations: Sequence[Citation]) -> list[Claim]:
    """The claims of a text with ``[file:line]`` markers, each marker resolved to the citation of
    the same span in ``citations`` (a marker with none is left out: its claim fails)."""
    by_span: dict[tuple[str, int, int], Citation] = {}
    for c in citations:
        by_span.setdefault((c.source, c.start_line, c.end_line), c)
    out = []
    for claim in split_claims(text):
        cites = [by_span.get((m.source, m.start_line, m.end_line)) for m in claim.markers]
        out.append(Claim(claim.text, tuple(c for c in cites if c is not None)))
    return out
