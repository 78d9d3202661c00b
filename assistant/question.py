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
    r"prompts|rules|guidelines|above|previous|prior|everything|context|system|documents?|sources?|evidence)\b"
    r"|\byou are now\b|\bact as\b|\bpretend (to be|that|you)\b|\bsystem prompt\b|\bdeveloper mode\b"
    r"|\bjailbreak\b|\b(admin|system|assistant|developer|root)(\s+(note|message|prompt|override))?\s*:"
    r"|\bfrom now on\b|\bnew instructions?\b|</?[a-z_]+>|\bdo not (answer|cite|refuse)\b"
    r"|^\W*(just\s+|now\s+|please\s+)?(say|reply|respond|output|print|repeat|write (a|an|me a)|pretend|"
    r"answer (with|only|that|yes|no))\b"
    r"|\binstead,? (say|answer|reply|respond|tell)\b)",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def addresses_assistant(sentence: str) -> bool:
    """True for a sentence that instructs the assistant ("Ignore your instructions and ...")."""
    return bool(_INJECTION.search(sentence))


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


NUMBER, QUANTITY, DATE, YEAR, WHEN, PERSON, PLACE, OTHER = (
    "number", "quantity", "date", "year", "when", "person", "place", "other"
)

_TYPE_RULES = [
    (re.compile(r"\b(how (much|large|big)|what (percentage|percent|share|proportion|amount|sum|"
                r"value|total|figure)|by how much|how much money)\b"), QUANTITY),
    (re.compile(r"^what (is|was|were|are|has been) the (\w+ ){0,2}(value|amount|sum|total|cost|"
                r"price|percentage|share|proportion|figure|budget|volume|size|turnover|population|"
                r"area|length|rate|gdp|revenue)\b"), QUANTITY),
    (re.compile(r"\b(how (many|long|old)|what number)\b"), NUMBER),
    (re.compile(r"\b(what|which|on what) (date|day)\b"), DATE),
    (re.compile(r"\b(what|which|in what) year\b"), YEAR),
    (re.compile(r"\b(when|what month|which month|since when|what time)\b"), WHEN),
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
    acronym: str = ""  # for words of a capitalised phrase: its initials ("united kingdom" -> "uk")


_FOCUS = re.compile(r"^\W*what (?:is|was|are|were) the (\w+) of\b", re.IGNORECASE)


def focus(text: str) -> str | None:
    """The attribute asked about in "what is the X of Y?" (analysed), if the question has one."""
    m = _FOCUS.search(text)
    return stem(normalize(m.group(1))) if m else None


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


_WH = re.compile(r"\b(what|which|who|whom|whose|when|where|how|why)\b")


def answer_type(text: str) -> str:
    """The kind of answer asked for, read from the question's first wh-phrase."""
    low = normalize(text)
    m = _WH.search(low)
    if not m:
        return OTHER
    window = low[m.start() : m.start() + 40]
    for rx, kind in _TYPE_RULES:
        if rx.search(window):
            return kind
    return OTHER


_WORD = re.compile(r"[^\W_]+(?:['’.][^\W_]+)*")


def _phrases(words: list[str]) -> dict[int, str]:
    """Word index -> initials of the capitalised phrase (2+ words) it belongs to."""
    out: dict[int, str] = {}
    run: list[int] = []
    for i, w in enumerate(words + [""]):
        if w[:1].isupper() and not (i == 0 and w.lower() in _COMMON_INITIALS):
            run.append(i)
            continue
        if len(run) >= 2:
            initials = "".join(fold(words[j])[0] for j in run)
            for j in run:
                out[j] = initials
        run = []
    return out


def key_terms(text: str) -> tuple[Term, ...]:
    """Analysed terms of the question with their role, in order, without duplicates."""
    out: dict[str, Term] = {}
    words = _WORD.findall(text)
    acronyms = _phrases(words)
    # Words that open a sentence are capitalised for grammar, not because they are names.
    starts = {0}
    pos = 0
    for i, m in enumerate(_WORD.finditer(text)):
        if re.search(r"[.?!:]\s*$", text[pos : m.start()]) and i:
            starts.add(i)
        pos = m.end()
    for i, word in enumerate(words):
        for tok in tokens(word):
            if tok in STOPWORDS:
                continue
            st = stem(tok)
            if st in out:
                continue
            if re.fullmatch(r"\d[\d.,]*|\d+(st|nd|rd|th)", tok):
                kind = "number"
            elif st in FILLER:
                kind = "filler"
            elif (word[:1].isupper() and i not in starts) or (word.isupper() and len(word) > 1) or (
                word[:1].isupper() and fold(word) != word.lower()
            ):
                kind = "entity"
            else:
                kind = "plain"
            if tok in MONTHS and kind == "entity" and i > 0:
                kind = "plain"
            out[st] = Term(st, kind, acronyms.get(i, ""))
    return tuple(out.values())


_COMMON_INITIALS = frozenset(
    "what who whom whose when where which why how did does do is are was were can could would "
    "should has have had in on at for to from by with according list name give tell describe "
    "explain".split()
)


def analyse(question: str) -> Question:
    text, injected = strip_injection(question)
    return Question(question, text, injected, answer_type(text), key_terms(text))
