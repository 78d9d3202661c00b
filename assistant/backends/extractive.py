"""The no-model answerer: composes an answer from the best-supported evidence sentences.

Owns: scoring sentences of the retrieved chunks against the analysed question, deciding whether
the evidence answers it at all, and quoting the chosen sentences verbatim with their markers.

Design, in brief. Every question term gets a weight (its corpus idf; entity and number terms count
more, filler words such as "much" or "mention" less). A sentence *covers* a term when the term is in
the sentence (full credit), elsewhere on its line (most credit), or in the nearby lines or title of
its document (some credit: names are often given once, then "he"). Coverage is the weighted share
of the question covered. The assistant refuses when the best sentence's coverage is below
``min_support``, when an entity or number of the question is absent from the sentence's document
context, or when the question asks for a number or a date and the sentence holds none beyond those
in the question. It never follows instructions: it only quotes.
Does not own: retrieval, verification (its output still goes through the verifier).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..answer import CANNOT_ANSWER, Backend, Context, Draft, Lookup, register
from ..chunking import sentences
from ..citations import Citation
from ..lexical import analyze
from ..normalize import tokens
from ..question import DATE, MONTHS, NUMBER, Question, Term, analyse
from ..retrieve import Evidence

KIND_WEIGHT = {"entity": 1.5, "number": 1.5, "plain": 1.0, "filler": 0.25}
LINE_CREDIT = 0.8
CONTEXT_CREDIT = 0.5
CONTEXT_LINES = 3

_NUM = re.compile(r"^\d[\d.,]*$")
_YEAR = re.compile(r"^(1[89]|20)\d\d$")


@dataclass
class Unit:
    source: str
    line: int
    text: str  # verbatim sentence
    rank: int  # rank of its chunk in retrieval
    dense: float
    coverage: float = 0.0
    missing_key: bool = False
    type_ok: bool = True
    covered: frozenset[str] = frozenset()

    @property
    def score(self) -> float:
        s = self.coverage + 0.1 * self.dense - 0.01 * self.rank
        if self.missing_key or not self.type_ok:
            s -= 1.0
        return s


def _matches(term: str, bag: set[str]) -> bool:
    if term in bag:
        return True
    if len(term) >= 5 and not _NUM.match(term):
        return any(
            len(w) >= 5 and (w.startswith(term) or term.startswith(w)) and abs(len(w) - len(term)) <= 3
            for w in bag
        )
    return False


def _has_answer_type(qtype: str, sentence: str, question_tokens: set[str]) -> bool:
    toks = [t for t in tokens(sentence) if t not in question_tokens]
    if qtype == NUMBER:
        return any(_NUM.match(t) and not _YEAR.match(t) for t in toks) or any(
            t in {"percent", "billion", "million", "thousand", "half", "dozen"} for t in toks
        ) or bool(re.search(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|"
                             r"thirty|forty|fifty|hundred)\b", " ".join(toks)))
    if qtype == DATE:
        return any(_YEAR.match(t) or t in MONTHS for t in toks) or bool(
            re.search(r"\d{1,2}/\d{1,2}/\d{2,4}", sentence)
        )
    return True


def score_units(
    q: Question, evidence: list[Evidence], lookup: Lookup, idf: Callable[[str], float]
) -> list[Unit]:
    terms = list(q.terms)
    if not terms:
        return []
    weights = {t.text: idf(t.text) * KIND_WEIGHT[t.kind] for t in terms}
    total = sum(weights.values()) or 1.0
    q_tokens = set(tokens(q.text))
    units: list[Unit] = []
    seen: set[tuple[str, int, str]] = set()
    for rank, ev in enumerate(evidence):
        doc_lines = lookup(ev.source) or []
        for number, line in ev.chunk.lines():
            if not line.strip():
                continue
            line_bag = set(analyze(line))
            lo, hi = max(0, number - 1 - CONTEXT_LINES), min(len(doc_lines), number + CONTEXT_LINES)
            ctx_text = " ".join(doc_lines[lo:hi] + doc_lines[:1])
            ctx_bag = set(analyze(ctx_text))
            for s, e in sentences(line):
                text = line[s:e]
                if (ev.source, number, text) in seen:
                    continue
                seen.add((ev.source, number, text))
                bag = set(analyze(text))
                got = 0.0
                covered = set()
                missing_key = False
                for t in terms:
                    if _matches(t.text, bag):
                        credit = 1.0
                        covered.add(t.text)
                    elif _matches(t.text, line_bag):
                        credit = LINE_CREDIT
                        covered.add(t.text)
                    elif _matches(t.text, ctx_bag):
                        credit = CONTEXT_CREDIT
                    else:
                        credit = 0.0
                        if t.kind in ("entity", "number"):
                            missing_key = True
                    got += credit * weights[t.text]
                units.append(
                    Unit(
                        ev.source,
                        number,
                        text,
                        rank,
                        ev.dense or 0.0,
                        got / total,
                        missing_key,
                        _has_answer_type(q.qtype, text, q_tokens),
                        frozenset(covered),
                    )
                )
    units.sort(key=lambda u: -u.score)
    return units


def select(units: list[Unit], q: Question, min_support: float, max_sentences: int) -> list[Unit]:
    """The sentences to quote, best first; empty when the evidence does not answer."""
    if not units:
        return []
    best = units[0]
    if best.missing_key or not best.type_ok or best.coverage < min_support:
        return []
    chosen = [best]
    covered = set(best.covered)
    for u in units[1:]:
        if len(chosen) >= max_sentences:
            break
        if u.missing_key or not u.type_ok or u.coverage < max(min_support, 0.75 * best.coverage):
            continue
        new = u.covered - covered
        same_line_next = any(c.source == u.source and c.line == u.line for c in chosen)
        if new and not same_line_next or (same_line_next and u.coverage >= 0.9 * best.coverage):
            chosen.append(u)
            covered |= u.covered
    return chosen


@register("extractive")
class ExtractiveBackend(Backend):
    """Deterministic, model-free: quotes the best-supported sentences and cites their lines."""

    def draft(self, question: str, evidence: list[Evidence], ctx: Context) -> Draft:
        q = analyse(question)
        if not q.text.strip():
            return Draft(CANNOT_ANSWER, [], True, "no question left after removing instructions")
        units = score_units(q, evidence, ctx.lookup, ctx.idf)
        chosen = select(units, q, self.settings.min_support, self.settings.max_answer_sentences)
        if not chosen:
            return Draft(CANNOT_ANSWER, [], True, "evidence does not cover the question")
        # Quote in document order within each source, sources in order of relevance.
        parts, cites = [], []
        for u in chosen:
            c = Citation(u.source, u.line, u.line, u.text)
            parts.append(f"{u.text} {c.marker}")
            cites.append(c)
        return Draft(" ".join(parts), cites, False)
