"""The answer pipeline: retrieve -> draft -> verify -> abstain -> fallback, in one place.

Owns: the order of the steps and the policy between them: a backend's draft is verified claim by
claim (``verify``); a model's verified answer is shown only when its calibrated confidence clears
the threshold (``abstain``); a model that could not answer at all (server down, timeout, garbage)
is replaced by the no-model answerer's verified quote; everything else is a refusal. It produces
the ``Answer`` with its outcome, plain-language notes, per-claim support and timings.
Pure with respect to the caller's objects: every input comes as an argument and nothing is kept
between calls, so many questions run at once. Does not own: how evidence is found
(``retrieve``), how a backend writes (``backends``), checking one citation (``verify``) or the
signals' weights (``abstain``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from .abstain import load_calibration, measure
from .answer import Answer, Claim, Outcome
from .backends.base import FALLBACK, Backend, Context, Draft, TextDelta
from .errors import redact
from .loaders import paginate
from .retrieve import Evidence
from .settings import Settings
from .verify import verify_claims

Retrieve = Callable[[str, "int | None"], list[Evidence]]


@dataclass(frozen=True)
class Step:
    """What the pipeline needs for one question; built by the API for each call."""

    settings: Settings
    retrieve: Retrieve  # query, top_k -> evidence
    backend: Backend
    fallback: Callable[[], Backend]  # the no-model answerer, made only when needed
    ctx: Context
    backend_note: str = ""  # why the requested backend could not be used, if it could not


def run(
    step: Step,
    question: str,
    query: str | None = None,
    top_k: int | None = None,
    *,
    stream: bool = False,
) -> Iterator[TextDelta | Answer]:
    """Answer ``question`` (or its standalone form ``query``, for a follow-up): yield the
    backend's text pieces as it writes them (``stream``), then the verified ``Answer``."""
    t0 = time.perf_counter()
    query = query or question
    timings: dict[str, float] = {}
    evidence = step.retrieve(query, top_k)
    timings["retrieve"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    draft = Draft(note="the backend ended without a draft")
    events = step.backend.run(query, evidence, step.ctx, stream=stream)
    try:
        for ev in events:
            if isinstance(ev, Draft):
                draft = ev
            elif stream:
                yield ev
    finally:
        events.close()  # a caller that stops early releases the backend at once
    timings["draft"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    answer = decide(step, query, draft, evidence)
    timings["verify"] = time.perf_counter() - t2
    answer.question, answer.query = question, query if query != question else ""
    if step.backend_note and step.backend.name == FALLBACK:
        answer.notes.insert(0, step.backend_note)
    timings["total"] = time.perf_counter() - t0
    answer.timings = timings
    yield answer


def decide(step: Step, question: str, draft: Draft, evidence: list[Evidence]) -> Answer:
    """The answer a draft earns: verified claims (all, or the supported part), an abstention, the
    no-model answer when the model failed, or a refusal."""
    be, ctx = step.backend, step.ctx

    def make(claims: Sequence[Claim], outcome: Outcome, **kw) -> Answer:
        # The one place whole-file lines become page-and-line (PDF): what the reader opens.
        claims = [
            replace(c, citations=tuple(paginate(x, ctx.pages(x.source)) for x in c.citations))
            for c in claims
        ]
        return Answer(
            question,
            list(claims),
            outcome,
            be.name,
            model=draft.model,
            raw=draft.raw,
            evidence=evidence,
            **kw,
        )

    if draft.refused:
        return make([], Outcome.REFUSED, signals=draft.signals or {})
    kept, dropped = verify_claims(draft.claims, ctx.lookup)
    dropped = [type(d)(d.text, redact(d.reason)) for d in dropped]
    if kept:
        outcome = Outcome.TRIMMED if dropped else Outcome.ANSWERED
        notes = [TRIMMED_NOTE] if dropped else []
        if draft.signals is None:  # the no-model answerer: its quote is its own evidence
            return make(kept, outcome, dropped=dropped, notes=notes)
        sig = measure(
            question,
            " ".join(c.render() for c in kept),
            near(kept, ctx.lookup),
            evidence,
            ctx.idf,
            draft.signals,
        )
        cal = load_calibration(be.calibration if "p_answer" in draft.signals else None)
        confidence = round(cal.confidence(sig), 4)
        limit = step.settings.abstain_threshold
        if confidence < (cal.threshold if limit is None else limit):
            # Not shown: a verified quote is not enough when the signals say the evidence
            # does not answer the question.
            return make(
                [], Outcome.ABSTAINED, dropped=dropped, confidence=confidence, signals=sig.to_dict()
            )
        return make(
            kept,
            outcome,
            dropped=dropped,
            notes=notes,
            confidence=confidence,
            signals=sig.to_dict(),
        )
    if draft.failed and be.name != FALLBACK:
        why = redact(draft.note) or "no reply"
        fb = step.fallback().draft(question, evidence, ctx)
        if not fb.refused:
            kept_fb, _ = verify_claims(fb.claims, ctx.lookup)
            if kept_fb:
                return make(
                    kept_fb,
                    Outcome.FALLBACK,
                    dropped=dropped,
                    notes=[FALLBACK_NOTE.format(why=why)],
                )
        return make([], Outcome.REFUSED, dropped=dropped, notes=[FAILED_NOTE.format(why=why)])
    return make([], Outcome.REFUSED, dropped=dropped, signals=draft.signals or {})


# What the user is told, in plain words, when the answer is not the model's own as written.
TRIMMED_NOTE = "Part of the answer was removed because the cited lines did not support it."
FALLBACK_NOTE = (
    "The model could not answer ({why}); this answer is quoted from the documents instead."
)
FAILED_NOTE = (
    "The model could not answer ({why}), and no passage of the documents answers the question."
)


def near(claims: Sequence[Claim], lookup: Callable[[str], list[str] | None]) -> str:
    """The cited lines of ``claims`` with one line of context on each side, as one text."""
    cited = []
    for c in dict.fromkeys(c for claim in claims for c in claim.citations):
        lines = lookup(c.source) or []
        lo, hi = max(1, c.start_line - 1), min(len(lines), c.end_line + 1)
        cited.append(" ".join(lines[lo - 1 : hi]))
    return " ".join(cited)
