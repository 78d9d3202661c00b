"""Answers as data: claims with citations, an outcome, and what the pipeline learned on the way.

Owns: the ``Answer`` value every interface renders (CLI, UI, eval, JSON), the ``Claim`` it is
made of, the ``Outcome`` of a question, the versioned dictionary form (``to_dict`` /
``from_dict``, schema ``ANSWER_SCHEMA``), and the one refusal phrase. An answer is never parsed
back out of text: ``Answer.text`` is a rendering of the claims, for people.
Does not own: how claims are produced (``backends``), checked (``verify``) or accepted
(``abstain``, ``pipeline``); the ``Citation`` value (``citations``).

The dictionary form (``ANSWER_SCHEMA`` = 1)::

    {"schema": 1, "question": str, "query": str,
     "outcome": "answered|trimmed|fallback|abstained|refused", "refused": bool,
     "answer": str,                  # the claims rendered with [file:line] markers
     "claims": [{"text": str, "support": float|null,
                 "citations": [{"source", "start_line", "end_line", "quote", "page"}]}],
     "citations": [...],                                 # every distinct citation, in claim order
     "backend": str, "model": str|null, "raw": str,     # raw: the model's reply before checking
     "confidence": float|null, "signals": {str: float},
     "notes": [str], "dropped": [{"text", "reason"}], "timings": {str: float},
     "evidence": [{"source", "start_line", "end_line", "score"}]}

A change that removes or renames a field raises ``ANSWER_SCHEMA``; adding a field does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .citations import Citation

if TYPE_CHECKING:
    from .retrieve import Evidence

CANNOT_ANSWER = "The documents do not contain an answer to this question."
ANSWER_SCHEMA = 1


class Outcome(StrEnum):
    """What became of a question."""

    ANSWERED = "answered"  # the backend's claims, every one verified
    TRIMMED = "trimmed"  # some of the backend's claims failed verification and were removed
    FALLBACK = "fallback"  # the model could not answer; the no-model answerer's verified quote
    ABSTAINED = "abstained"  # verified, but the signals say the evidence does not answer
    REFUSED = "refused"  # nothing verified, or the backend said the documents do not answer


@dataclass(frozen=True)
class Claim:
    """One statement of an answer and the lines that support it."""

    text: str  # the statement, without citation markers
    citations: tuple[Citation, ...] = ()
    support: float | None = None  # the verifier's share of the claim's terms on its lines

    def render(self) -> str:
        markers = "".join(dict.fromkeys(c.marker for c in self.citations))
        return f"{self.text} {markers}".strip()

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "support": None if self.support is None else round(self.support, 4),
            "citations": [c.to_dict() for c in self.citations],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Claim:
        return cls(
            str(d["text"]),
            tuple(Citation.from_dict(c) for c in d.get("citations", [])),
            d.get("support"),
        )


def confidence_words(confidence: float | None) -> str:
    """A calibrated probability in plain words: what a reader needs, not a number."""
    if confidence is None:
        return ""
    if confidence >= 0.8:
        return "high confidence"
    if confidence >= 0.5:
        return "medium confidence"
    return "low confidence"


@dataclass(frozen=True)
class Dropped:
    """A claim the verifier removed, and why."""

    text: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"text": self.text, "reason": self.reason}


@dataclass
class Answer:
    question: str
    claims: list[Claim]
    outcome: Outcome
    backend: str
    query: str = ""  # the standalone question answered (a follow-up rewritten); "" = question
    model: str | None = None  # the model that wrote the draft, when one did
    raw: str = ""  # what the model wrote, before any checking (kept apart from the claims)
    confidence: float | None = None  # calibrated probability that the answer is right (models)
    signals: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(
        default_factory=list
    )  # for the user: why an answer was cut or replaced
    dropped: list[Dropped] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list, repr=False)

    @property
    def refused(self) -> bool:
        return self.outcome in (Outcome.ABSTAINED, Outcome.REFUSED)

    @property
    def text(self) -> str:
        """The claims rendered for people, each followed by its ``[file:line]`` markers."""
        if self.refused or not self.claims:
            return CANNOT_ANSWER
        return " ".join(c.render() for c in self.claims)

    @property
    def citations(self) -> list[Citation]:
        """Every distinct citation of the claims, in order."""
        return list(dict.fromkeys(c for claim in self.claims for c in claim.citations))

    @property
    def confidence_words(self) -> str:
        """The confidence in plain words, for people ("" when no model wrote the answer)."""
        return confidence_words(self.confidence)

    @property
    def note(self) -> str:
        return "; ".join(self.notes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": ANSWER_SCHEMA,
            "question": self.question,
            "query": self.query or self.question,
            "outcome": self.outcome.value,
            "refused": self.refused,
            "answer": self.text,
            "claims": [c.to_dict() for c in self.claims],
            "citations": [c.to_dict() for c in self.citations],
            "backend": self.backend,
            "model": self.model,
            "raw": self.raw,
            "confidence": self.confidence,
            "signals": dict(self.signals),
            "notes": list(self.notes),
            "dropped": [d.to_dict() for d in self.dropped],
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "evidence": [
                {
                    "source": e.source,
                    "start_line": e.chunk.start_line,
                    "end_line": e.chunk.end_line,
                    "score": round(float(e.score), 6),
                }
                for e in self.evidence
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Answer:
        """The answer a ``to_dict`` described (evidence chunks are not carried back)."""
        if d.get("schema") != ANSWER_SCHEMA:
            raise ValueError(f"unknown answer schema {d.get('schema')!r}")
        return cls(
            question=d["question"],
            claims=[Claim.from_dict(c) for c in d["claims"]],
            outcome=Outcome(d["outcome"]),
            backend=d["backend"],
            query=d.get("query", ""),
            model=d.get("model"),
            raw=d.get("raw", ""),
            confidence=d.get("confidence"),
            signals=dict(d.get("signals") or {}),
            notes=list(d.get("notes") or []),
            dropped=[Dropped(x["text"], x["reason"]) for x in d.get("dropped") or []],
            timings=dict(d.get("timings") or {}),
        )
