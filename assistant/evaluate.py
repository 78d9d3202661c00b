"""Offline evaluation: a fixed question set, checked against the documents.

Owns: loading a question file (format in the README), judging one answer against its expected
facts, its short gold answer and its supporting lines, and the metrics over a run: exact match and
token F1 against the gold answer (SQuAD-style normalisation; on an unanswerable question a refusal
scores 1), contained accuracy (every expected fact in the answer), refusal accuracy and
false-refusal rate, citation validity / recall / precision, retrieval recall@k and MRR, median
answer words, latency p50/p95, how often each verifier path was taken, and the precision/refusal
curve of the calibrated confidence. Judging uses only the documents and the
question file, never the answerer's internals. Does not own: report files or charts (``report``).
"""

from __future__ import annotations

import re
import statistics
import string
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .abstain import curve
from .answer import Answer
from .citations import Citation
from .errors import QuestionFileError
from .loaders import file_line, split_page
from .normalize import normalize
from .verify import check_citation

Pages = Callable[[str], "tuple[int, ...] | None"]


@dataclass
class EvalQuestion:
    id: str
    question: str
    answerable: bool
    facts: list[list[str]]
    support: list[tuple[str, int, int]]
    tags: list[str]
    answer: str = ""  # the short gold answer; default: the first alternative of each fact
    # What shape the answer must take: single (one fact), list, two-part, description,
    # multi-file (complete-answer questions), near-miss (unanswerable); "" when not given.
    kind: str = ""
    # For each fact, the lines that state it (aligned with ``facts``); [] when not given.
    fact_support: list[list[tuple[str, int, int]]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """A question whose full answer needs several facts (a list, both parts, a description)."""
        return self.answerable and self.kind in COMPLETE_KINDS


COMPLETE_KINDS = frozenset({"list", "two-part", "description", "multi-file"})


def parse_ref(ref: str) -> tuple[str, int, int]:
    """``("file.txt", 3, 5)`` for ``file.txt:3-5``; in a paginated file ``file.pdf p.3:12``
    keeps its page in the name, ``("file.pdf p.3", 12, 12)``, lines counted within the page."""
    source, _, span = str(ref).rpartition(":")
    if not source or not span:
        raise QuestionFileError(f"support {ref!r} is not FILE:LINE or FILE:START-END")
    a, _, b = span.partition("-")
    try:
        return source, int(a), int(b or a)
    except ValueError as e:
        raise QuestionFileError(f"support {ref!r} has a bad line number") from e


def load_questions(path: str | Path) -> list[EvalQuestion]:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise QuestionFileError(f"cannot read question file {path}: {e.strerror or e}") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        why = getattr(e, "problem", None) or " ".join(str(e).split())
        raise QuestionFileError(f"question file {path} is not valid YAML{where}: {why}") from e
    items = data.get("questions") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise QuestionFileError(f"{path}: expected a list under 'questions'")
    out = []
    for i, q in enumerate(items):
        if not isinstance(q, dict) or "question" not in q:
            raise QuestionFileError(f"{path}: entry {i + 1} has no 'question'")
        facts = [[f] if isinstance(f, str) else [str(x) for x in f] for f in q.get("facts") or []]
        answerable = bool(q.get("answerable", bool(facts)))
        fact_support = [[parse_ref(r) for r in refs] for refs in q.get("fact_support") or []]
        if fact_support and len(fact_support) != len(facts):
            raise QuestionFileError(f"{path}: entry {i + 1}: fact_support does not match facts")
        out.append(
            EvalQuestion(
                id=str(q.get("id", f"q{i + 1:03d}")),
                question=str(q["question"]),
                answerable=answerable,
                facts=facts,
                support=[parse_ref(r) for r in q.get("support") or []],
                tags=[str(t) for t in q.get("tags") or []],
                answer=str(q.get("answer") or " ".join(f[0] for f in facts if f)),
                kind=str(q.get("kind") or ""),
                fact_support=fact_support,
            )
        )
    return out


def fact_present(fact: list[str], text: str) -> bool:
    t = normalize(text)
    return any(normalize(alt) in t for alt in fact if alt.strip())


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans({c: " " for c in string.punctuation + "\u2018\u2019\u201c\u201d"})


def answer_tokens(text: str) -> list[str]:
    """SQuAD-style normal form: case and diacritics folded, punctuation and articles dropped."""
    return _ARTICLES.sub(" ", normalize(text).translate(_PUNCT)).split()


def token_f1(prediction: str, gold: str) -> float:
    p, g = answer_tokens(prediction), answer_tokens(gold)
    if not p or not g:
        return float(p == g)
    common = sum((Counter(p) & Counter(g)).values())
    if not common:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def gold_answers(q: EvalQuestion) -> list[str]:
    """The gold answer and, for a one-fact question, each spelling of that fact."""
    golds = [q.answer] if q.answer else []
    if len(q.facts) == 1:
        golds += q.facts[0]
    return [g for g in dict.fromkeys(golds) if g.strip()]


def _overlaps(a: tuple[str, int, int], b: tuple[str, int, int]) -> bool:
    """Same file and overlapping lines. A name may carry a page (``file.pdf p.3``): two pages
    must be equal; a span without a page matches any page of its file."""
    (sa, pa), (sb, pb) = split_page(a[0]), split_page(b[0])
    same_page = pa is None or pb is None or pa == pb
    return sa == sb and same_page and a[1] <= b[2] and b[1] <= a[2]


@dataclass
class Verdict:
    id: str
    question: str
    answerable: bool
    tags: list[str]
    answer: str
    refused: bool
    citations: list[dict]
    outcome: str  # answered | trimmed | fallback | abstained | refused
    seconds: float
    correct: bool
    facts_found: list[bool]
    citation_valid: list[bool]
    citation_relevant: list[bool]
    cites_support: bool | None
    retrieval_rank: int | None  # 1-based rank of the first evidence chunk holding a support line
    expected: list[list[str]] = field(default_factory=list)
    support: list[str] = field(default_factory=list)
    exact: float = 0.0  # exact match with a gold answer (1 for a refused unanswerable question)
    f1: float = 0.0  # token F1 against the gold answers (1 for a refused unanswerable question)
    words: int = 0  # words of the answer without its markers (0 when refused)
    confidence: float | None = None
    signals: dict = field(default_factory=dict)
    kind: str = ""
    complete: bool = False  # a complete-answer question (list, two-part, description...)
    # Per shown claim: do its cited lines hold one of the question's support lines?
    claim_cites_support: list[bool] = field(default_factory=list)
    # Per expected fact found in the answer: is it cited at a line that states it?
    fact_cited: list[bool] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Span = tuple[str, int, int]


def to_file(name: str, a: int, b: int, pages: Pages | None) -> Span:
    """A span whose name may carry a page (``file.pdf p.3``, lines within that page) as
    whole-file lines of the extracted text, the way the index and the verifier count; unchanged
    when the file has no pages or ``pages`` is not given."""
    source, page = split_page(name)
    if page is None or pages is None:
        return (name, a, b)
    first = file_line(pages(source), page, a)
    return (name, a, b) if first is None else (source, first, first + (b - a))


def _cited(c: Citation, pages: Pages | None) -> Span:
    return to_file(
        f"{c.source} p.{c.page}" if c.page else c.source, c.start_line, c.end_line, pages
    )


def judge(
    q: EvalQuestion, ans: Answer, lookup, seconds: float, pages: Pages | None = None
) -> Verdict:
    """How ``ans`` fares on ``q``: read from its claims and citations, never from its text.
    ``pages(source)`` (``Assistant.pages``) maps page citations and page references
    (``file.pdf p.3:12``) to the whole-file lines the documents are checked against."""
    support = [to_file(*ref, pages) for ref in q.support]
    plain = "" if ans.refused else " ".join(c.text for c in ans.claims)
    facts_found = [fact_present(f, plain) for f in q.facts]
    if q.answerable:
        correct = (not ans.refused) and all(facts_found)
    else:
        correct = ans.refused
    valid, relevant = [], []
    for c in ans.citations:
        source, a, b = _cited(c, pages)
        lines = lookup(split_page(source)[0])
        valid.append(check_citation(Citation(source, a, b, c.quote), lines) is None)
        cited = " ".join(lines[a - 1 : b]) if lines else ""
        relevant.append(any(fact_present(f, cited) for f in q.facts))
    spans = [_cited(c, pages) for c in ans.citations]
    cites_support = (
        any(_overlaps(s, sup) for s in spans for sup in support)
        if q.answerable and not ans.refused
        else None
    )
    rank = None
    for i, ev in enumerate(ans.evidence, start=1):
        span = (ev.chunk.source, ev.chunk.start_line, ev.chunk.end_line)
        if any(_overlaps(span, sup) for sup in support):
            rank = i
            break
    if not q.answerable:
        exact = f1 = float(ans.refused)
    elif ans.refused:
        exact = f1 = 0.0
    else:
        golds = gold_answers(q)
        exact = float(any(answer_tokens(plain) == answer_tokens(g) for g in golds))
        f1 = max((token_f1(plain, g) for g in golds), default=0.0)
    claim_cites, fact_cited = _claim_citations(q, ans, pages)
    return Verdict(
        q.id,
        q.question,
        q.answerable,
        q.tags,
        ans.text,
        ans.refused,
        [c.to_dict() for c in ans.citations],
        ans.outcome.value,
        seconds,
        correct,
        facts_found,
        valid,
        relevant,
        cites_support,
        rank,
        q.facts,
        [f"{s}:{a}" if a == b else f"{s}:{a}-{b}" for s, a, b in q.support],
        exact,
        round(f1, 4),
        len(plain.split()),
        ans.confidence,
        dict(ans.signals),
        q.kind,
        q.complete,
        claim_cites,
        fact_cited,
    )


def _claim_citations(
    q: EvalQuestion, ans: Answer, pages: Pages | None = None
) -> tuple[list[bool], list[bool]]:
    """Claim citation precision and recall inputs: for each shown claim (answerable questions
    only), whether it cites one of the question's support lines; for each expected fact the
    answer states, whether a claim stating it cites one of the lines that state that fact
    (``fact_support``, or the question's support lines when the file gives none)."""
    if not q.answerable or ans.refused:
        return [], []

    def spans(claim) -> list[Span]:  # type: ignore[no-untyped-def]
        return [_cited(c, pages) for c in claim.citations]

    support = [to_file(*ref, pages) for ref in q.support]
    claim_cites = [any(_overlaps(s, sup) for s in spans(c) for sup in support) for c in ans.claims]
    fact_cited = []
    for i, fact in enumerate(q.facts):
        stating = [c for c in ans.claims if fact_present(fact, c.text)]
        if not stating:
            continue
        where = [to_file(*r, pages) for r in q.fact_support[i]] if q.fact_support else support
        fact_cited.append(any(_overlaps(s, w) for c in stating for s in spans(c) for w in where))
    return claim_cites, fact_cited


def apply_threshold(verdicts: list[Verdict], threshold: float) -> list[Verdict]:
    """The verdicts as they would be had answers with a confidence below ``threshold`` been
    refused (what ``Assistant.ask`` does with ``abstain_threshold``): one run with threshold 0
    gives the metrics at any threshold, and the whole precision/refusal curve."""
    out = []
    for v in verdicts:
        if v.refused or v.confidence is None or v.confidence >= threshold:
            out.append(v)
            continue
        refused = replace(
            v,
            answer="",
            refused=True,
            citations=[],
            outcome="abstained",
            correct=not v.answerable,
            facts_found=[False] * len(v.facts_found),
            citation_valid=[],
            citation_relevant=[],
            cites_support=None,
            exact=float(not v.answerable),
            f1=float(not v.answerable),
            words=0,
        )
        out.append(refused)
    return out


def _ms(values: list[float], percentile: float) -> float:
    """The ``percentile`` of ``values`` (seconds) in milliseconds; 0 for none."""
    return round(float(np.percentile(values, percentile)) * 1000, 1) if values else 0.0


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def metrics(verdicts: list[Verdict]) -> dict[str, Any]:
    ans = [v for v in verdicts if v.answerable]
    una = [v for v in verdicts if not v.answerable]
    cites = [ok for v in verdicts for ok in v.citation_valid]
    rel = [ok for v in verdicts for ok in v.citation_relevant if v.answerable]
    answered = [v for v in ans if not v.refused]
    ranks = [v.retrieval_rank for v in ans]
    secs = [v.seconds for v in verdicts]
    # Refused questions stay refused at every threshold; an answer without a confidence (a
    # backend with no calibration, e.g. extractive) is shown at every threshold.
    scored = [
        (
            -1.0 if v.refused else (1.0 if v.confidence is None else v.confidence),
            v.answerable,
            v.correct,
        )
        for v in verdicts
    ]
    complete = [v for v in ans if v.complete]
    words = [v.words for v in verdicts if not v.refused]
    claim_cites = [ok for v in verdicts for ok in v.claim_cites_support]
    fact_cited = [ok for v in verdicts for ok in v.fact_cited]
    return {
        "questions": len(verdicts),
        # Complete answers: every fact of a list / two-part / description question.
        "complete_questions": len(complete),
        "all_facts_accuracy": _ratio(sum(v.correct for v in complete), len(complete)),
        "fact_recall": _ratio(
            sum(sum(v.facts_found) / len(v.facts_found) for v in ans if v.facts_found),
            sum(1 for v in ans if v.facts_found),
        ),
        "claim_citation_precision": _ratio(sum(claim_cites), len(claim_cites)),
        "claim_citation_recall": _ratio(sum(fact_cited), len(fact_cited)),
        "exact_match": _ratio(sum(v.exact for v in verdicts), len(verdicts)),
        "token_f1": _ratio(sum(v.f1 for v in verdicts), len(verdicts)),
        "token_f1_answerable": _ratio(sum(v.f1 for v in ans), len(ans)),
        "answer_accuracy": _ratio(sum(v.correct for v in ans), len(ans)),
        "refusal_accuracy": _ratio(sum(v.refused for v in una), len(una)),
        "false_refusal_rate": _ratio(sum(v.refused for v in ans), len(ans)),
        "citation_validity": _ratio(sum(cites), len(cites)) if cites else 1.0,
        "citation_recall": _ratio(sum(bool(v.cites_support) for v in answered), len(answered)),
        "citation_precision": _ratio(sum(rel), len(rel)),
        "retrieval_recall_at_k": _ratio(sum(r is not None for r in ranks), len(ranks)),
        "mrr": _ratio(sum(1.0 / r for r in ranks if r), len(ranks)),
        "latency_p50_ms": _ms(secs, 50),
        "latency_p95_ms": _ms(secs, 95),
        "median_answer_words": statistics.median(words) if words else 0.0,
        "outcomes": dict(Counter(v.outcome for v in verdicts)),
        "curve": curve(scored),
    }


def run_eval(
    assistant, questions: list[EvalQuestion], backend: str | None = None, progress=None
) -> list[Verdict]:
    """Ask every question through ``assistant.ask`` (the same path as the CLI and API)."""
    assistant.ensure_index()
    out = []
    for q in questions:
        t = time.perf_counter()
        a = assistant.ask(q.question, backend=backend)
        out.append(judge(q, a, assistant.lookup, time.perf_counter() - t, assistant.pages))
        if progress:
            progress(1)
    return out
