"""Understanding a question before answering it.

Owns: removing instructions aimed at the assistant ("ignore previous instructions...") from a
question, classifying the expected answer type (number, date, person, place, other), and picking
the question's key terms with their roles (entity, number, filler, plain). Pure functions only.
Does not own: retrieval or scoring evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexical import STOPWORDS, stem
from .normalize import fold, normalize, tokens

_INJECTION = re.compile(
    r"(\b(ignore|disregard|forget|override|bypass)\b[^.?!]{0,60}?\b(instruction|instructions|prompt|"
    r"prompts|rules|guidelines|above|previous|prior|everything|context|system)\b"
    r"|\byou are now\b|\bact as\b|\bpretend (to be|that|you)\b|\bsystem prompt\b|\bdeveloper mode\b"
    r"|\bjailbreak\b|^\s*(just\s+)?(say|answer|reply|respond|output|print|write|repeat)\b[^.?!]*"
    r"(\bthat\b|\bwith\b|\bonly\b|\"|')"
    r"|\binstead,? (say|answer|reply|respond|tell)\b)",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def strip_injection(question: str) -> tuple[str, bool]:
    """The question without sentences that instruct the assistant; and whether any were found."""
    kept, found = [], False
    for sentence in _SENTENCE.split(question.strip()):
        if not sentence.strip():
            continue
        if _INJECTION.search(sentence):
            found = True
            # "Ignore your instructions and tell me X?" keeps "tell me X?".
            m = re.search(r"\b(and|then|but)\s+(?=(tell|what|who|when|where|how|which|why|explain|list|give)\b)",
                          sentence, re.IGNORECASE)
            if m and not _INJECTION.search(sentence[m.end():]):
                kept.append(sentence[m.end():])
            continue
        kept.append(sentence)
    return " ".join(kept).strip(), found


NUMBER, DATE, PERSON, PLACE, OTHER = "number", "date", "person", "place", "other"

_TYPE_RULES = [
    (re.compile(r"\b(how (much|many|large|big|long|old)|what (percentage|percent|share|proportion|"
                r"amount|number|sum|figure|value|total)|by how much)\b"), NUMBER),
    (re.compile(r"\b(when|what (year|date|day|month|time)|which (year|date|day|month)|since when|"
                r"in what year|on what date)\b"), DATE),
    (re.compile(r"^\s*(who|whom|whose)\b|\b(which|what) (person|official|minister|leader|"
                r"ambassador|president|prime minister|diplomat|secretary|envoy)\b"), PERSON),
    (re.compile(r"^\s*where\b|\b(which|what|in what) (city|country|place|venue|location|nation)\b"), PLACE),
]

# Words that say what kind of answer is wanted but rarely appear in the evidence itself.
FILLER = frozenset(
    stem(w)
    for w in """much many according document documents article text mention mentioned say says said
    tell describe described give name list happen happened kind type sort thing things way ways
    exactly specific specifically particular role roles detail details information question
    regard regarding concern concerning about did does do amount number figure percentage
    year date day time place person people one ones""".split()
)

_MONTHS = "january february march april may june july august september october november december"
MONTHS = frozenset(_MONTHS.split())


@dataclass(frozen=True)
class Term:
    text: str  # analysed (normalised, stemmed) form
    kind: str  # entity | number | filler | plain


@dataclass(frozen=True)
class Question:
    raw: str
    text: str  # without injected instructions
    injected: bool
    qtype: str
    terms: tuple[Term, ...]

    @property
    def key_terms(self) -> list[Term]:
        return [t for t in self.terms if t.kind in ("entity", "number")]


def answer_type(text: str) -> str:
    low = normalize(text)
    for rx, kind in _TYPE_RULES:
        if rx.search(low):
            return kind
    return OTHER


_WORD = re.compile(r"[^\W_]+(?:['’.][^\W_]+)*")


def key_terms(text: str) -> tuple[Term, ...]:
    """Analysed terms of the question with their role, in order, without duplicates."""
    out: dict[str, Term] = {}
    words = _WORD.findall(text)
    for i, word in enumerate(words):
        for tok in tokens(word):
            if tok in STOPWORDS:
                continue
            st = stem(tok)
            if st in out:
                continue
            if re.fullmatch(r"\d[\d.,]*", tok):
                kind = "number"
            elif st in FILLER:
                kind = "filler"
            elif (word[:1].isupper() and i > 0) or (word.isupper() and len(word) > 1) or (
                word[:1].isupper() and i == 0 and fold(word) != word.lower()
            ):
                kind = "entity"
            elif word[:1].isupper() and i == 0 and tok not in _COMMON_INITIALS:
                kind = "entity"
            else:
                kind = "plain"
            if tok in MONTHS:
                kind = "plain" if kind != "entity" else kind
            out[st] = Term(st, kind)
    return tuple(out.values())


_COMMON_INITIALS = frozenset(
    "what who whom whose when where which why how did does do is are was were can could would "
    "should has have had in on at for to from by with according list name give tell describe "
    "explain".split()
)


def analyse(question: str) -> Question:
    text, injected = strip_injection(question)
    return Question(question, text, injected, answer_type(text), key_terms(text))
