"""The ``extractive`` backend: the fast, no-model answerer, and the fallback of the model backends.

Owns: scoring every sentence of the retrieved evidence by how much of the question it covers
(each question term weighted by the corpus's own idf, so rare words count more), and quoting the
best sentence verbatim with its ``file:line`` marker, or refusing when no sentence covers enough
of the question (``min_support``) or a number of the question is missing from it.

Domain-general by construction: it knows English function words (``lexical.STOPWORDS``) and
nothing about any corpus's topics: no gazetteer, no thesaurus, no answer-type rules fitted to one
set of documents. What it cannot do is say *which part* of the sentence answers; the model
backends do that, and fall back here only when no model can run. Does not own: verification (every
answer it drafts still goes through ``verify``) or the decision to abstain for model answers
(``abstain``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..answer import Claim
from ..chunking import sentences
from ..citations import Citation
from ..lexical import coverage, question_weights
from ..normalize import tokens
from ..question import addresses_assistant, analyse
from ..retrieve import Evidence
from .base import Backend, Context, Draft, Event, Lookup, register

_DIGITS = re.compile(r"\d")
MAX_WORDS = 40  # a longer sentence is cut to the clauses around its best-covering one


@dataclass(frozen=True)
class Unit:
    """One sentence of the evidence, and how well it covers the question."""

    source: str
    line: int
    text: str  # verbatim
    coverage: float  # idf-weighted share of the question's terms found in the sentence
    rank: int  # retrieval rank of its chunk (0 = best)


def _numbers(text: str) -> set[str]:
    return {t for t in tokens(text) if _DIGITS.search(t)}


def known_weights(question: str, idf: Callable[[str], float]) -> dict[str, float]:
    """``question_weights`` with the words the corpus never uses (a typo, a form the stemmer
    does not fold) weighing a third of their idf: no sentence can hold them, so they must not
    decide alone whether one covers the question."""
    unseen = idf("\x00")  # a term no corpus holds: the idf every unseen term gets
    return {t: w / 3 if idf(t) >= unseen else w for t, w in question_weights(question, idf).items()}


def score_units(question: str, evidence: list[Evidence], idf: Callable[[str], float]) -> list[Unit]:
    """Every sentence of the evidence with its coverage of the question, best first."""
    weights = known_weights(question, idf)
    q_numbers = _numbers(question)
    units: list[Unit] = []
    seen: set[tuple[str, int, str]] = set()
    for rank, ev in enumerate(evidence):
        for line_no, line in ev.chunk.lines():
            for s, e in sentences(line):
                text = line[s:e].strip()
                key = (ev.source, line_no, text)
                if not text or key in seen or addresses_assistant(text):
                    continue  # an instruction planted in a document is never an answer
                seen.add(key)
                cov = coverage(weights, text)
                if q_numbers - _numbers(text):
                    cov = 0.0  # a number the question gives must be in the sentence
                units.append(Unit(ev.source, line_no, text, cov, rank))
    units.sort(key=lambda u: (-u.coverage, u.rank, u.line))
    return units


def shorten(text: str, weights: dict[str, float], limit: int = MAX_WORDS) -> str:
    """``text`` if it is short; else the run of its clauses around the one that covers the
    question best, at most ``limit`` words (verbatim, so the quote still verifies)."""
    if len(text.split()) <= limit:
        return text
    clauses = [c.strip() for c in re.split(r"(?<=[,;:])\s+", text) if c.strip()]
    best = max(range(len(clauses)), key=lambda i: coverage(weights, clauses[i]))
    lo = hi = best
    while True:
        grown = False
        for j in (hi + 1, lo - 1):
            if 0 <= j < len(clauses):
                a, b = min(lo, j), max(hi, j)
                if len(" ".join(clauses[a : b + 1]).split()) <= limit:
                    lo, hi, grown = a, b, True
        if not grown:
            break
    return " ".join(clauses[lo : hi + 1])


def extract(question: str, evidence: list[Evidence], ctx: Context, min_support: float) -> Draft:
    """The best-covering sentence as a cited answer, or the refusal."""
    q = analyse(question).text
    if not q.strip() or not evidence:
        return Draft(refused=True, note="no question or no evidence")
    units = score_units(q, evidence, ctx.idf)
    if not units or units[0].coverage < min_support:
        return Draft(refused=True, note="no sentence of the evidence covers the question")
    best = units[0]
    text = shorten(best.text, known_weights(q, ctx.idf))
    return Draft((Claim(text, (Citation(best.source, best.line, best.line, text),)),))


@register("extractive")
class ExtractiveBackend(Backend):
    """Quotes the evidence sentence that covers the question best; no model."""

    def run(
        self, question: str, evidence: list[Evidence], ctx: Context, *, stream: bool = False
    ) -> Iterator[Event]:
        yield extract(question, evidence, ctx, self.settings.min_support)


__all__ = ["ExtractiveBackend", "Unit", "extract", "score_units", "shorten", "Lookup"]
