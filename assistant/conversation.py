"""Follow-up questions: turn a question that leans on the conversation into a standalone one.

Owns: deciding whether a question is a follow-up, and rewriting it from the previous standalone
question with a few deterministic rules (no model, so every backend, the no-model one included,
gets the same query), and the ``Conversation`` that keeps one conversation's history and asks the
``Assistant`` with the rewritten question. Does not own: answering (``api``, ``pipeline``).

The rules work on the *shape* of the question, never on particular words of the documents:

- A question is a follow-up when it opens with a connector ("and", "what about", "how about",
  ...), is a short fragment ("The UK?", "And in 2024?"), or uses a pronoun ("it", "he", "their",
  ...) with no name before it in the same question.
- Names are runs of capitalised words ("Grand Duchy of Fenwick", "Ruritania-UK Trade Board").
- A fragment is put into the previous question: its name replaces the previous question's name
  that it does not repeat ("What about Graustark?" after "How many goats did Ruritania export to
  Freedonia?" -> "How many goats did Graustark export to Freedonia?"); a number replaces the
  previous number; anything else is added to the end.
- A full question keeps its own wording. Pronouns are replaced by the previous question's longest
  name that the new question does not mention. When it repeats a content word of the previous
  question, the rest of the previous question after that word is added ("And how many did
  Graustark export?" -> "How many did Graustark export to Freedonia?"), cut before any name the
  new question left out. If nothing from the previous question was used and the new question has
  no name of its own, the previous question's names are added in parentheses.

Known limits: a pronoun is resolved to one name by length, not by grammar; lower-case names are
not recognised as names; only the previous standalone question is consulted, not the answer.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .lexical import STOPWORDS, stem
from .normalize import tokens

# Words of a question that say what is asked, not what it is about: a follow-up that repeats
# only these ("and what about the date?") borrows the previous question's subject. English
# function words, not any corpus's topics.
FILLER = frozenset(
    stem(w)
    for w in """much many according document documents article text mention mentioned say says said
    tell describe described give name list happen happened kind type sort thing things way ways
    exactly specific specifically particular role roles detail details information question
    regard regarding concern concerning about did does do amount number figure percentage
    year date day time place person people one ones make made makes get gets got""".split()
)

STANDALONE, SUBSTITUTED, RESOLVED, EXTENDED, CONTEXTUALISED = (
    "standalone",
    "substituted",
    "resolved",
    "extended",
    "contextualised",
)


@dataclass(frozen=True)
class Rewrite:
    question: str  # as asked, whitespace tidied
    query: str  # the standalone question to retrieve and answer with
    how: str  # standalone | substituted | resolved | extended | contextualised

    @property
    def changed(self) -> bool:
        return self.query != self.question


# --------------------------------------------------------------------------- vocabulary
_CONNECTOR = re.compile(
    r"^\s*(?:(?:and|also|but|so|then|plus|or|now|ok(?:ay)?|well)\b[\s,]*"
    r"|(?:what|how)\s+about\b[\s,]*|what\s+of\b[\s,]*|(?:and\s+)?(?:the\s+)?same\s+"
    r"(?:question\s+)?for\b[\s,]*)+",
    re.IGNORECASE,
)
# Words that open a full question (or a request); a body that starts otherwise is a fragment.
_OPENERS = frozenset(
    """what who whom whose when where which why how did does do is are was were can could would
    should has have had will shall may might must list name give tell describe explain show find
    please according in""".split()
) - {"in"}
_PREPOSITIONS = frozenset("in on at for from to with by during since before after of about".split())
_FUNCTION = _PREPOSITIONS | frozenset("the a an and or as than that which".split())
_PERSONAL = frozenset("he him his she her hers they them their theirs".split())
_IMPERSONAL = frozenset("it its itself".split())
_DEMONSTRATIVE = frozenset("this that these those".split())
_POSSESSIVE = frozenset("his her hers their theirs its".split())
# "is it true that ...": an "it" that refers to nothing.
_DUMMY_IT = re.compile(
    r"\b(?:(?:is|was|isn't|wasn't)\s+it|it\s+(?:is|was|'s))\s+(?:true|false|possible|likely|"
    r"the\s+case|correct|right|known|said|reported|clear)\b",
    re.IGNORECASE,
)
_NAME_JOINERS = frozenset("of the for on de del da du bin binti van von".split())
_WORD = re.compile(r"[^\W_]+(?:['’\-.&][^\W_]+)*")
_NUMBER = re.compile(r"(?<![\w.,])\d[\d,.]*\d(?![\w])|(?<![\w.,])\d(?![\w.,])")


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    text: str
    article: str  # "the " when the name is preceded by "the", else ""

    def key(self) -> str:
        return " ".join(tokens(self.text))


def _words(text: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(text))


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper() or (any(c.isupper() for c in word) and any(c.isdigit() for c in word))


def names(text: str) -> list[_Span]:
    """Runs of capitalised words, with "of/the/for..." allowed inside a run."""
    ws = _words(text)
    spans: list[_Span] = []
    i = 0
    while i < len(ws):
        w = ws[i].group()
        first = i == 0 or not text[: ws[i].start()].strip(" \t\"'(“")
        opener = first and w.lower() in _OPENERS | _FUNCTION | _PERSONAL | _IMPERSONAL | {"i"}
        if not _is_capitalised(w) or opener or w == "I":
            i += 1
            continue
        j = i
        while True:
            k = j + 1
            while k < len(ws) and ws[k].group().lower() in _NAME_JOINERS and k - j <= 2:
                k += 1
            gap = text[ws[j].end() : ws[k].start()] if k < len(ws) else ""
            # Words of one name are separated by spaces (after a plural possessive: "Ministers' ").
            if (
                k < len(ws)
                and _is_capitalised(ws[k].group())
                and re.fullmatch(r"['’]?[^\S\n]+(?:\w+[^\S\n]+)*", gap)
            ):
                j = k
                continue
            break
        start, end = ws[i].start(), ws[j].end()
        name = text[start:end]
        m = re.search(r"['’]s$", name)
        if m:
            end -= 2
            name = name[:-2]
        before = text[:start]
        article = "the " if re.search(r"\bthe\s+$", before, re.IGNORECASE) else ""
        spans.append(_Span(start, end, name, article))
        i = j + 1
    return spans


def _content_stems(text: str, exclude: Sequence[_Span] = ()) -> list[tuple[str, int, int]]:
    """(stem, start, end) of each content word of ``text`` outside the given names."""
    out = []
    for m in _words(text):
        if any(s.start <= m.start() < s.end for s in exclude):
            continue
        for tok in tokens(m.group()):
            if tok in STOPWORDS or _NUMBER.fullmatch(tok):
                continue
            st = stem(tok)
            if st not in FILLER:
                out.append((st, m.start(), m.end()))
    return out


def _referring_pronouns(body: str, own: Sequence[_Span]) -> list[re.Match[str]]:
    """Pronouns in ``body`` that must point back into the conversation."""
    out = []
    dummy = [m.span() for m in _DUMMY_IT.finditer(body)]
    for m in _words(body):
        w = m.group().lower()
        if any(a <= m.start() < b for a, b in dummy):
            continue
        if w in _DEMONSTRATIVE:
            # "what about that?" refers; "the fund that ..." does not.
            if not re.match(r"\s*(?:[?.!,]|$)", body[m.end() :]):
                continue
        elif w not in _PERSONAL | _IMPERSONAL:
            continue
        if any(s.end <= m.start() for s in own):
            continue  # a name earlier in the same question is the antecedent
        out.append(m)
    return out


# --------------------------------------------------------------------------- rewriting
def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _core(text: str) -> str:
    """``text`` without its final punctuation."""
    return re.sub(r"[\s?.!]+$", "", text)


def _finish(text: str, question: bool) -> str:
    text = _tidy(_core(text))
    text = re.sub(r"\s+([,;:)])", r"\1", text)
    if text:
        text = text[0].upper() + text[1:]
    return text + ("?" if question else ".")


def _same(a: _Span, b: _Span) -> bool:
    return a.key() == b.key()


def _mentioned(span: _Span, spans: Sequence[_Span]) -> bool:
    return any(_same(span, s) for s in spans)


def _preposition_before(text: str, span: _Span) -> str:
    m = re.search(r"(\w+)\s+$", text[: span.start - len(span.article)])
    word = m.group(1).lower() if m else ""
    return word if word in _PREPOSITIONS else ""


def _pair(
    prev: str, candidates: list[_Span], body: str, new: list[_Span], always: bool
) -> list[tuple[_Span, _Span]]:
    """(candidate in ``prev``, new name in ``body``) pairs: which old name each new one replaces.

    A new name replaces the old name that follows the same preposition or shares words with it;
    failing that (only when ``always``) the first old name still free.
    """
    pairs: list[tuple[_Span, _Span]] = []
    free = list(candidates)
    for n in new:
        if not free:
            break
        n_words, n_prep = set(n.key().split()), _preposition_before(body, n)

        def score(c: _Span, n_words: set[str] = n_words, n_prep: str = n_prep) -> float:
            c_words = set(c.key().split())
            overlap = len(n_words & c_words) / max(len(n_words | c_words), 1)
            return overlap + (1.0 if n_prep and n_prep == _preposition_before(prev, c) else 0.0)

        best = max(free, key=lambda c: (score(c), -c.start))
        if score(best) > 0 or always:
            pairs.append((best if score(best) > 0 else free[0], n))
            free.remove(pairs[-1][0])
    return pairs


def _replace(text: str, pairs: list[tuple[_Span, str]]) -> str:
    """Replace each span (with its article) by a string, right to left so offsets stay valid."""
    for span, new in sorted(pairs, key=lambda p: p[0].start, reverse=True):
        start = span.start - len(span.article)
        text = text[:start] + new + text[span.end :]
    return text


def _add(prev: str, fragment: str) -> str:
    fragment = _core(fragment).strip()
    first = fragment.split(" ", 1)[0].lower()
    if first in _PREPOSITIONS:
        return f"{_core(prev)} {fragment}"
    return f"{_core(prev)} ({fragment})"


def _tail(prev: str, body: str, prev_names: list[_Span], replaced: list[_Span]) -> str:
    """What ``prev`` says after the last content word it shares with ``body``.

    The tail is cut before the first name of ``prev`` that the question replaced by its own.
    """
    body_stems = {s for s, _, _ in _content_stems(body, names(body))}
    shared = [(s, a, b) for s, a, b in _content_stems(prev, prev_names) if s in body_stems]
    if not shared:
        return ""
    offset = shared[-1][2]
    tail = prev[offset:]
    for p in replaced:
        if p.start >= offset:
            tail = tail[: max(p.start - len(p.article) - offset, 0)]
            break
    words = _core(tail).split()
    while words and words[-1].lower().strip(",;:") in _FUNCTION:
        words.pop()
    tail = " ".join(words).strip(" ,;:")
    if not {s for s, _, _ in _content_stems(tail)} - body_stems:
        return ""  # nothing the question does not already say
    return tail


def _resolve(body: str, refs: list[re.Match[str]], antecedent: _Span) -> str:
    name = antecedent.article + antecedent.text
    for m in reversed(refs):
        word = m.group().lower()
        out = name + ("'s" if word in _POSSESSIVE else "")
        body = body[: m.start()] + out + body[m.end() :]
    return body


def rewrite(question: str, history: Sequence[str]) -> Rewrite:
    """The standalone form of ``question`` given earlier standalone questions (oldest first)."""
    q = _tidy(question)
    if not history or not q:
        return Rewrite(q, q, STANDALONE)
    prev = _tidy(history[-1])
    m = _CONNECTOR.match(q)
    connector = bool(m and m.end() < len(q))
    body = q[m.end() :] if connector and m else q
    body_words = [w.group().lower() for w in _words(body)]
    if not body_words:
        return Rewrite(q, q, STANDALONE)
    fragment = body_words[0] not in _OPENERS and (
        connector or (len(body_words) <= 3 and q.endswith("?"))
    )
    own = names(body)
    refs = [] if fragment else _referring_pronouns(body, own)
    if not (connector or fragment or refs):
        return Rewrite(q, q, STANDALONE)

    prev_names = names(prev)
    new = [b for b in own if not _mentioned(b, prev_names)]
    candidates = [p for p in prev_names if not _mentioned(p, own)]
    asks = prev.endswith("?") or q.endswith("?")

    if fragment:
        if new and candidates:
            pairs = _pair(prev, candidates, body, new, always=True)
            out = _replace(prev, [(c, n.article + n.text) for c, n in pairs])
            extra = [n.article + n.text for n in new if n not in [p[1] for p in pairs]]
            if extra:
                out = f"{_core(out)} ({', '.join(extra)})"
            return Rewrite(q, _finish(out, asks), SUBSTITUTED)
        nums_body, nums_prev = _NUMBER.findall(body), list(_NUMBER.finditer(prev))
        if nums_body and nums_prev and not new:
            first = nums_prev[0]
            out = prev[: first.start()] + nums_body[0] + prev[first.end() :]
            return Rewrite(q, _finish(out, asks), SUBSTITUTED)
        if not _content_stems(body) and not new and not nums_body:
            return Rewrite(q, _finish(prev, asks), SUBSTITUTED)  # "What about that?"
        return Rewrite(q, _finish(_add(prev, body), asks), CONTEXTUALISED)

    # A full question: keep its wording, fill in what it leaves to the conversation.
    shares = bool(
        {s for s, _, _ in _content_stems(body, own)}
        & {s for s, _, _ in _content_stems(prev, prev_names)}
    )
    replaced = [c for c, _ in _pair(prev, candidates, body, new, always=shares)]
    query, how = body, STANDALONE
    if refs:
        antecedents = [c for c in candidates if c not in replaced]
        if antecedents:
            antecedent = max(antecedents, key=lambda s: (len(s.text), -s.start))
            query, how = _resolve(body, refs, antecedent), RESOLVED
    tail = _tail(prev, query, prev_names, replaced)
    if tail:
        query, how = f"{_core(query)} {tail}", (RESOLVED if how == RESOLVED else EXTENDED)
    if how == STANDALONE and not new:
        context = [p.text for p in candidates]
        if not context:
            context = [prev[a:b] for _, a, b in _content_stems(prev, prev_names)][:6]
        if context:
            query, how = f"{_core(query)} ({', '.join(dict.fromkeys(context))})", CONTEXTUALISED
    return Rewrite(q, _finish(query, q.endswith("?") or body_words[0] in _OPENERS), how)


class Conversation:
    """One conversation with an ``Assistant``: each question is read in the light of the ones
    before it (``rewrite``), answered through the same pipeline as ``Assistant.ask``, and
    remembered. The CLI's ``assistant chat``, the UI's sessions and API callers all use this.

    Not shared between users: one conversation per person (the UI keeps one per browser
    session). Many conversations may ask one ``Assistant`` at once.
    """

    def __init__(self, assistant: Any, id: str | None = None) -> None:
        self.assistant = assistant
        self.id = id or uuid.uuid4().hex
        self.history: list[Rewrite] = []  # the standalone questions asked so far, oldest first

    def understand(self, question: str) -> Rewrite:
        """The standalone form of ``question`` in this conversation (not yet remembered)."""
        return rewrite(question, [r.query for r in self.history])

    def ask(self, question: str, **kw: Any) -> Any:
        """``Assistant.ask`` for a question that may lean on the conversation."""
        *_, answer = self.stream(question, **kw)
        return answer

    def stream(self, question: str, **kw: Any) -> Iterator[Any]:
        """``Assistant.stream`` for a question that may lean on the conversation; the question
        is remembered once its answer is complete."""
        from .api import clean_question

        rw = self.understand(clean_question(question))
        answer = None
        for item in self.assistant.stream(rw.question, query=rw.query, **kw):
            answer = item
            yield item
        if answer is not None:
            self.history.append(rw)

    def reset(self) -> None:
        """Forget the conversation so far: the next question stands alone."""
        self.history.clear()
