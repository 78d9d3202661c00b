"""Preparing a question before it is searched and answered.

Owns: removing sentences aimed at the assistant ("ignore previous instructions...") from a
question. Pure functions only, and domain-general: nothing here knows what any corpus is about
(no gazetteer, no thesaurus, no answer-type rules fitted to one set of documents). Does not own:
retrieval, answering, or judging evidence (``abstain``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_INJECTION = re.compile(
    r"(\b(ignore|disregard|forget|override|bypass)\b[^.?!]{0,60}?\b(instruction|instructions|prompt|"
    r"prompts|rules|guidelines|above|previous|prior|everything|context|system|documents?|sources?|evidence)\b"
    r"|\byou are now\b|\bact as\b|\bpretend (to be|that|you)\b|\bsystem prompt\b|\bdeveloper mode\b"
    r"|\bjailbreak\b|\b(admin|system|assistant|developer|root)(\s+(note|message|prompt|override))?\s*:"
    r"|\bfrom now on\b|\bnew instructions?\b|</?[a-z_]+>|\bdo not (answer|cite|refuse)\b"
    r"|^\W*(just\s+|now\s+|please\s+)?(say|reply|respond|output|print|repeat|write (a|an|me a)|"
    r"pretend|"
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
            m = re.search(
                r"\b(and|then|but)\s+"
                r"(?=(tell|what|who|when|where|how|which|why|explain|list|give)\b)",
                sentence,
                re.IGNORECASE,
            )
            if m and not _INJECTION.search(sentence[m.end() :]):
                kept.append(sentence[m.end() :])
            continue
        kept.append(sentence)
    return " ".join(kept).strip(), found


@dataclass(frozen=True)
class Question:
    text: str  # what is searched and answered: the question without injected instructions
    injected: bool  # whether sentences aimed at the assistant were removed


def analyse(question: str) -> Question:
    text, found = strip_injection(question)
    return Question(text, found)
