"""The no-model answerer: composes an answer from the best-supported evidence sentences.

Owns: scoring sentences of the retrieved chunks against the analysed question, deciding whether
the evidence answers it at all, and quoting the chosen sentences verbatim with their markers.

Design, in brief. Every question term gets a weight (its corpus idf; entity and number terms count
more, filler words such as "much" or "mention" less; a word the corpus never uses counts little
unless it has a synonym the corpus uses). A sentence *covers* a term when the term (or a synonym,
another name for the same thing, or its initials) is in the sentence (full credit), elsewhere on its
line (most credit), or in the nearby lines or headline of its document (some credit: names are often
given once, then "he"). Coverage is the weighted share of the question covered. The assistant
refuses when the best sentence's coverage is below ``min_support``; when an entity or number of the
question is absent from the sentence's context; when the question asks for a kind of answer (a
count, an amount, a date, an ordinal, a venue, a person) the sentence does not hold; when a line
lacks the office, the verb or the ranking a who/which-question turns on; or when most of the
question's words are foreign to the corpus. Compound questions are answered part by part. It never
follows instructions: it only quotes.
Does not own: retrieval, verification (its output still goes through the verifier).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from functools import lru_cache

from ..aliases import alias_keys, countries
from ..answer import CANNOT_ANSWER, Backend, Context, Draft, Lookup, register
from ..chunking import sentences
from ..citations import Citation
from ..lexical import STOPWORDS, analyze, stem
from ..normalize import normalize, tokens
from ..question import (
    DATE,
    MONTHS,
    NUMBER,
    OFFICES,
    ORDINAL,
    OTHER,
    PERSON,
    PLACE,
    QUANTITY,
    VENUE,
    WHEN,
    YEAR,
    Question,
    Term,
    addresses_assistant,
    analyse,
    asked_noun,
    asks_for_country,
    counted_noun,
    excluded_words,
    expansion_of,
    focus,
    keyword_noun,
    office_owner,
    predicate_noun,
    relation,
    restricted,
    role,
    split_question,
    wh_anchor,
)
from ..retrieve import Evidence

KIND_WEIGHT = {"entity": 1.5, "number": 1.5, "plain": 1.0, "filler": 0.25}
OOV_WEIGHT = 0.2  # a plain word the corpus never uses says little about which line answers
UNKNOWN_MAX = 0.5  # refuse when this share of the question's content words is foreign to it
HOME_MENTIONS = 5  # a story naming a country this often is about it
ANCHOR_WEIGHT = 2.0  # "within the framework of which ...": words that frame the answer
LINE_CREDIT = 0.6  # term found elsewhere on the sentence's line
CONTEXT_CREDIT = 0.4  # term found in the title or the lines around it
CONTEXT_LINES = 3
STORY_LINES = 10
NEAR_BEST = 0.9  # a quoted unit must cover this share of what the best-covering unit covers
EXTRA_MIN = 0.75  # further sentences must cover this share of the first one

# Words of a name that change what it names ("North Korea" is not "Korea").
_QUALIFIERS = frozenset(
    "north south east west central northern southern eastern western upper lower new old".split()
)
# Short forms that stand for an office in news text ("FM Winston Peters").
# Titles name an office, not the person: "the Vietnamese Deputy PM" is "Son" two lines later.
_TITLE_STEMS = frozenset(
    stem(w) for w in "deputy pm fm dpm prime minister vice mr mrs ms dr excellency".split()
)
_ROLE_SHORT = {
    stem(k): set(v.split()) for k, v in
    {"minister": "fm pm dpm", "secretary": "sg", "president": "vp"}.items()
}
# A capitalised name after a preposition of place ("in Kuala Lumpur", "at Langkawi").
_PLACE = re.compile(r"\b(?:in|at|from|to|near|inside)\s+(?:the\s+)?([A-Z][\w\u00C0-\u1EF9'’-]+)")
_ORDINAL = re.compile(r"^\d+(st|nd|rd|th)$")
_ORDINAL_WORD = re.compile(
    r"\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)\b"
)
# "The meeting acknowledged ...": a sentence opening on a definite event refers to the one just
# named.
_DEFINITE = re.compile(
    r"\W*(?:the (meeting|conference|summit|forum|retreat|event|talk|session|dialogue)s?\b"
    r"|(?:it|this) (?:was|is|will be)\b)",
    re.IGNORECASE,
)
# "Who chaired X?" is not answered by a line where someone attended X; "Who said X?" may be
# answered by "X, Son stressed": only verbs of leading, hosting or winning must be on the line.
_LEAD_VERBS = frozenset(
    stem(w) for w in """chair chaired preside presided host hosted lead led head headed organise
    organised organize organized moderate moderated win won found founded sponsor sponsored
    represent represented convene convened""".split()
)
_ORDINALS = frozenset(
    "second third fourth fifth sixth seventh eighth ninth tenth "
    "2nd 3rd 4th 5th 6th 7th 8th 9th 10th".split()
)
_SUPERLATIVES = frozenset(
    stem(w) for w in """largest biggest smallest highest lowest greatest most least first last
    oldest newest earliest latest fastest strongest weakest richest poorest""".split()
)
_FIRST_DEED = re.compile(
    r"\bfirst\s+(?:come|came|appear|appeared|launch|launched|publish|published|visit|visited|"
    r"meet|met|establish|established|open|opened|start|started|begin|began|hold|held|take|took|"
    r"become|became|join|joined|set|go|went|arrive|arrived|print|printed|air|aired)\b",
    re.IGNORECASE,
)
# "the Deputy Prime Minister will also ...": a title with "the" refers back to its holder.
_TITLE_REF = re.compile(
    r"\bthe (?:(?:Deputy|Vice|Prime|Foreign) )*(?:Minister|President|Ambassador|Secretary|"
    r"Chairman|Chairwoman|Premier|Envoy|PM|FM|DPM)\b"
)
_PRONOUN = re.compile(r"\b(he|she|his|her|him|they|their|them)\b", re.IGNORECASE)
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
    novelty: float = 0.0  # share of the sentence's words that the question does not already say
    compact: float = 0.0  # question words found per word of the stretch that holds them
    off_topic: bool = False  # its line lacks the office, leadership verb or rank asked about
    own: frozenset[str] = frozenset()  # question terms in the sentence itself (not its line)

    @property
    def score(self) -> float:
        s = (self.coverage + 0.1 * self.dense - 0.01 * self.rank + 0.05 * self.novelty
             + 0.05 * self.compact)
        if self.missing_key or not self.type_ok:
            s -= 1.0
        return s


def _close(a: str, b: str, limit: int) -> bool:
    """Levenshtein distance of a and b is at most ``limit`` (small limits only)."""
    if abs(len(a) - len(b)) > limit:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return False
        prev = cur
    return prev[-1] <= limit


def _matches(term: str, bag: AbstractSet[str], fuzzy: bool = True) -> bool:
    """Exact, prefix-stem ("programm"/"programme") or, for long words and unless ``fuzzy`` is
    off, typo-tolerant match."""
    if term in bag:
        return True
    if len(term) < 5 or any(ch.isdigit() for ch in term):  # "AB1234" is not "AB1294"
        return False
    limit = 2 if len(term) >= 8 else 1
    return any(
        len(w) >= 5
        and (
            ((w.startswith(term) or term.startswith(w)) and abs(len(w) - len(term)) <= 3)
            or (fuzzy and w[0] == term[0] and _close(term, w, limit))
        )
        for w in bag
    )


_MAGNITUDE = re.compile(
    r"^(million|billion|trillion|thousand|hundred|percent|per|usd|nzd|eur|euros?|dollars?|pounds?|"
    r"yen|yuan|vnd|won|tons?|tonnes?|km|kilometres?|kilometers?|people|times)$"
)
_MONEY = re.compile(r"[$£€¥₫]\s?\d")
_CURRENCIES = frozenset(stem(w) for w in "pounds dollars euros yen yuan dong".split())
_MONEY_WORDS = frozenset(
    "value worth cost price money funding fund funds budget turnover spend spent sum".split()
)
_CURRENCY = re.compile(r"[$£€¥₫]\s?\d|\d\s?%")
_WORD_NUMBER = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|hundred|dozens?|several)\b"
)


def _number_tokens(sentence: str, exclude: set[str]) -> list[tuple[int, str]]:
    """(position, token) of standalone numbers that are not in the question, not years,
    not the day of a month and not glued to a name ("ASEAN+1")."""
    toks = tokens(sentence)
    out = []
    for i, t in enumerate(toks):
        if not _NUM.match(t) or t in exclude or _YEAR.match(t):
            continue
        if i > 0 and toks[i - 1] in MONTHS:
            continue
        if re.search(rf"[+#]\s?{re.escape(t)}\b|\b{re.escape(t)}\+", normalize(sentence)):
            continue
        out.append((i, t))
    return out


_MONEY_AFTER = re.compile(r"^(usd|nzd|eur|euros?|dollars?|pounds?|yen|yuan|vnd)$")
# Capitalised words that name offices, bodies and titles rather than people.
_NOT_NAMES = frozenset(
    """ministry minister ministers foreign affairs prime deputy president vice government party
    committee council secretary general ambassador association summit meeting meetings conference
    forum plan program programme agreement declaration vision community nations state states
    republic union bank group office department embassy mission permanent head chief central
    national international public security defence defense development action strategic
    partnership comprehensive free trade area economic the a an in on of and for to at by with
    as from this that these it its he she they we our his her their new photo source""".split()
)
_ORG_HEADS = frozenset(
    """embassy ministry agency council committee government association bank company group office
    department mission university organisation organization institute foundation secretariat
    commission authority""".split()
)
_NOT_NAME_STEMS = frozenset(stem(w) for w in _NOT_NAMES)
_REPORTING = re.compile(
    r"^(said|says|stated|stressed|noted|added|emphasi[sz]ed|affirmed|hailed|urged|called|"
    r"explained|praised|underlined|highlighted|told|announced|asserted|reaffirmed|expressed)$"
)
_TITLES = frozenset("mr mrs ms dr pm fm minister president ambassador general secretary".split())


def _has_person(sentence: str, question_tokens: set[str]) -> bool:
    """A name not given in the question: two capitalised words in a row that are not titles or
    bodies ("Winston Peters"), or one next to a title or a reporting verb ("Hang said")."""
    words = re.findall(r"[^\W\d_][\w'’-]*|[,;:()]", sentence)  # punctuation ends a name
    norm = [normalize(w).strip("'’") for w in words]
    # A sentence's first word is capitalised anyway: it counts only as the first of two names
    # set off by a comma ("Jane Roe, Trade Minister of Ruritania, said ...").
    opening = bool(re.match(r"\W*[^\W\d_][\w'’-]* [^\W\d_][\w'’-]*,", sentence))
    cap = [
        (i > 0 or opening) and w[:1].isupper() and n not in _NOT_NAMES and n not in question_tokens
        for i, (w, n) in enumerate(zip(words, norm, strict=True))
    ]
    # A name the question gives by its last word is the question's own person: "Bui Thanh Son"
    # names nobody new when the question says "Son" (but "Thailand Pham Viet Hung" still does).
    start = 0
    for i in range(len(words) + 1):
        if i < len(words) and words[i][:1].isupper() and norm[i] not in _NOT_NAMES:
            if norm[i] in question_tokens:
                for j in range(start, i):
                    cap[j] = False
            continue
        start = i + 1
    for i, n in enumerate(norm):
        # A named body answers "who" too: "the Vietnamese Embassy", "the Ministry of Finance".
        if n in _ORG_HEADS and words[i][:1].isupper() and n not in question_tokens:
            near = [i - 1, i + 2 if i + 1 < len(norm) and norm[i + 1] == "of" else i + 1]
            if any(
                0 <= j < len(words) and words[j][:1].isupper() and norm[j] not in question_tokens
                for j in near
            ):
                return True
    for i, is_cap in enumerate(cap):
        if not is_cap:
            continue
        if i + 1 < len(cap) and cap[i + 1]:
            return True
        if (i + 1 < len(norm) and _REPORTING.match(norm[i + 1])) or (
            i > 0 and norm[i - 1] in _TITLES
        ):
            return True
    return False


_SHORT_TITLES = frozenset(w for v in _ROLE_SHORT.values() for w in v)
_TITLE_GLUE = frozenset("of the and for to".split())
_SENTENCE_WORDS = re.compile(r"[^\W\d_][\w'’&-]*|[,;:()]")


def _title_word(word: str, norm: str) -> bool:
    """A word of a title or a body, not of a name: "Minister", "Secretary-General", "ASEAN"."""
    return (
        norm in _NOT_NAMES or norm in _SHORT_TITLES or (word.isupper() and len(word) > 1)
        or all(p in _NOT_NAMES for p in norm.split("-"))
    )


def _same_name(a: str, b: str) -> bool:
    """Two normalised words name the same country, as its name, people or another name for it
    (not as its capital)."""
    a, b = stem(a), stem(b)
    return a == b or _demonym(a, {b}) or (b in alias_keys(a) and a in alias_keys(b))


def _same_place(a: str, b: str) -> bool:
    """Two normalised words name the same country: as ``_same_name``, or one is its capital."""
    a, b = stem(a.removesuffix("'s")), stem(b.removesuffix("'s"))
    return _same_name(a, b) or b in alias_keys(a) or a in alias_keys(b)


def _holder(
    sentence: str,
    offices: AbstractSet[str],
    question_tokens: set[str],
    owner: str | None = None,
    need_owner: bool = False,
) -> bool:
    """Does a name not given in the question stand next to one of ``offices`` (analysed)?
    "Ruritanian Trade Minister Jane Roe" and "John Doe, Ruritania's Trade Minister" name the
    holder; "attended by ... the Secretary-General, and the Minister of Trade of Ruritania" names
    no one for either office. With ``owner``, another country's minister is not the one; with
    ``need_owner`` too, the title must name the owner ("Ruritania's FM" is not answered by
    "FM John Doe" in a story about Freedonia)."""
    words = _SENTENCE_WORDS.findall(sentence)
    norm = [normalize(w).strip("'’") for w in words]
    n = len(words)

    def capital(i: int) -> bool:
        return 0 <= i < n and words[i][:1].isupper()

    def name_at(i: int, step: int) -> bool:
        """A run of 2+ capitalised words that are not titles or bodies starts at ``i`` (reading
        in direction ``step``) and holds no word of the question."""
        run = []
        while capital(i) and not _title_word(words[i], norm[i]):
            run.append(norm[i].removesuffix("'s").removesuffix("’s"))
            i += step
        return len(run) >= 2 and not set(run) & question_tokens

    def is_office(i: int) -> bool:
        w = norm[i]
        return w in _SHORT_TITLES or any(stem(p) in offices for p in w.split("-"))

    def owned(i: int) -> bool:
        """The office at ``i`` is not someone else's ("Freedonian Trade Minister" is not
        Ruritania's): the names just before its title are the owner's."""
        j = i - 1
        while j >= 0 and capital(j):
            if norm[j] not in _NOT_NAMES and not _same_place(owner or norm[j], norm[j]):
                return False
            j -= 1
        return True

    for i in range(n):
        if not is_office(i) or not owned(i):
            continue
        # Forward over the rest of the title ("Minister of Trade and Industry Jane Roe").
        def says_owner(lo: int, hi: int) -> bool:
            return not need_owner or any(
                _same_place(owner or "", norm[k]) for k in range(max(0, lo), hi) if capital(k)
            )

        j = i + 1
        while j < n:
            if name_at(j, 1):
                if says_owner(i - 3, j):
                    return True
                break
            glue = norm[j] in _TITLE_GLUE or norm[j] == ","
            if not (capital(j) or (glue and (capital(j + 1) or norm[j + 1 : j + 2] == ["the"]))):
                break
            if norm[j] in (",", "and") and not capital(j + 1):
                break
            j += 1
        # Backward over the title to a name before it ("John Doe, Ruritania's FM").
        j = i - 1
        while j >= 0:
            if name_at(j, -1):
                if says_owner(j, i):
                    return True
                break
            if not (capital(j) or norm[j] in _TITLE_GLUE or norm[j] == ","):
                break
            j -= 1
    return False


_PAIR = re.compile(r"\b([A-Z][\w&]*)[-–]((?:New |South |North )?[A-Z][\w&]*)")


def _member(name: str) -> set[str]:
    """A pair member's words and, for a name of several words, its initials."""
    words = tokens(name)
    return set(words) | ({"".join(w[0] for w in words)} if len(words) > 1 else set())


def _other_pair(sentence: str, pairs: list[tuple[str, set[str]]]) -> bool:
    """The sentence names a pair with the question's first member but another second one
    ("ASEAN-New Zealand" for "ASEAN-Japan"), and never the question's second member."""
    words = set(tokens(sentence))
    words |= acronyms(sentence)  # "New Zealand" also says "nz"
    found = [(m.group(1).lower(), _member(m.group(2))) for m in _PAIR.finditer(sentence)]
    return any(
        a == qa and not (b & qb) and not (qb & words) and not any(
            _same_place(x, y) for x in b for y in qb)
        for qa, qb in pairs for a, b in found
    )


def _counts_in_words(sentence: str, counted: str | None) -> bool:
    """A count spelled out ("three pillars"); when the question says what it counts, the number
    word must count that ("the two sides" does not say how many action lines)."""
    text = normalize(sentence)
    if counted is None:
        return bool(_WORD_NUMBER.search(text))
    toks = tokens(text)
    return any(
        _WORD_NUMBER.fullmatch(t)
        and any(stem(x) == counted or x == counted for x in toks[i + 1 : i + 4])
        for i, t in enumerate(toks)
    )


def _is_date_part(toks: list[str], i: int) -> bool:
    """``toks[i]`` is a year or a day of a date ("July 8-11", "10 July"): a date, not a count."""
    before = [normalize(t) for t in toks[max(0, i - 2) : i]]
    after = normalize(toks[i + 1]) if i + 1 < len(toks) else ""
    return bool(_YEAR.match(toks[i])) or after in MONTHS or bool(before) and (
        before[-1] in MONTHS or (len(before) == 2 and before[0] in MONTHS and _NUM.match(before[1]))
    )


def _has_answer_type(
    qtype: str, sentence: str, question_tokens: set[str], counted: str | None = None
) -> bool:
    """Does the sentence hold the kind of answer asked for (beyond what the question says)?"""
    if qtype in (QUANTITY, NUMBER):
        toks = tokens(sentence)
        nums = _number_tokens(sentence, question_tokens)
        if qtype == QUANTITY:
            if question_tokens & _MONEY_WORDS:  # a value in money: a percentage is not one
                return bool(_MONEY.search(sentence)) or any(
                    i + 1 < len(toks) and _MAGNITUDE.match(toks[i + 1])
                    and toks[i + 1] not in ("percent", "per", "times", "people")
                    for i, _ in nums
                )
            return bool(_CURRENCY.search(sentence)) or any(
                i + 1 < len(toks) and _MAGNITUDE.match(toks[i + 1]) for i, _ in nums
            )
        # A count: not a sum of money.
        counts = [
            (i, t) for i, t in nums
            if not re.search(rf"[$£€¥₫]\s?{re.escape(t)}\b|\b{re.escape(t)}\s?%", sentence)
            and not any(
                _MONEY_AFTER.match(x) or x in ("percent", "per") for x in toks[i + 1 : i + 3]
            )
            and not _is_date_part(toks, i)
        ]
        # "How many years ...?" is answered by "the 30th anniversary".
        years = "year" in question_tokens or "years" in question_tokens
        return bool(counts) or _counts_in_words(sentence, counted) or (
            years and bool(re.search(r"\b\d+(st|nd|rd|th) anniversary\b", normalize(sentence)))
        )
    if qtype == PERSON:
        return _has_person(sentence, question_tokens)
    if qtype == VENUE:
        # A place the question does not already name ("Kazakhstan" is named by "kazakh"; a
        # capital is more than its country: "in Dhaka" answers "where in Bangladesh").
        return any(
            normalize(m.group(1)) not in MONTHS
            and not all(
                w in question_tokens or any(_same_name(w, x) for x in question_tokens)
                for w in tokens(m.group(1))
            )
            for m in _PLACE.finditer(sentence)
        )
    if qtype == ORDINAL:
        ordinals = [t for t in tokens(sentence) if _ORDINAL.match(t)]
        return any(t not in question_tokens for t in ordinals) or bool(
            _ORDINAL_WORD.search(normalize(sentence))) or any(
            stem(t) in _SUPERLATIVES and t not in question_tokens for t in tokens(sentence))
    # Years that date something, not years inside a name ("Community Vision 2045").
    years = [
        m.group(2) for m in _YEAR_IN_TEXT.finditer(sentence)
        if m.group(2) not in question_tokens
        and not (
            (m.group(1) or "")[:1].isupper()
            and normalize(m.group(1)) not in MONTHS | STOPWORDS
        )
    ]
    toks = [t for t in tokens(sentence) if t not in question_tokens]
    has_month_day = bool(_MONTH_DAY.search(normalize(sentence))) or bool(
        re.search(r"\d{1,2}/\d{1,2}/\d{2,4}", sentence)
    )
    if qtype == DATE:
        return has_month_day
    if qtype == YEAR:
        return bool(years)
    if qtype == WHEN:
        return has_month_day or bool(years) or any(t in MONTHS for t in toks) or bool(
            re.search(r"\b(today|yesterday|tomorrow|last|next|ago|since|decade|century|\d{4}s)\b",
                      normalize(sentence)))
    return True


_YEAR_IN_TEXT = re.compile(r"(?:([^\W\d_][\w'’]*)\W{0,2}\s+|^|(?<=\W))((?:1[89]|20)\d\d)\b")
_MONTH_DAY = re.compile(
    rf"\b({'|'.join(MONTHS)}) \d{{1,2}}\b|\b\d{{1,2}} ({'|'.join(MONTHS)})\b"
)
_CAP_RUN = re.compile(r"(?:\b[A-Z][\w\u00C0-\u1EF9]*(?:['’]s\b)?(?:[ -]+|$)){2,}")
_CAP_OF_RUN = re.compile(r"\b[A-Z]\w*(?: [A-Z]\w*)* of(?: the)? [A-Z]\w*(?: [A-Z]\w*)*")


def acronyms(text: str) -> set[str]:
    """Initials of capitalised phrases ("New Zealand" -> "nz", "Prime Minister" -> "pm")."""
    out = set()
    for m in _CAP_RUN.finditer(text):
        words = [w for w in re.split(r"[ -]+", m.group(0)) if w]
        for i in range(len(words)):
            for j in range(i + 2, len(words) + 1):
                out.add("".join(w[0] for w in words[i:j]).lower())
    for m in _CAP_OF_RUN.finditer(text):  # "Memorandum of Understanding" -> "mou"
        out.add("".join(w[0] for w in m.group(0).split()).lower())
    return out


@lru_cache(maxsize=8192)
def _bag(text: str) -> frozenset[str]:
    """Analysed words and capitalised-phrase initials of ``text`` (cached: the same lines and
    documents come back question after question)."""
    return frozenset(analyze(text)) | acronyms(text)


_DEMONYM_ENDINGS = ("n", "an", "ian", "ese", "i", "ish")


def _demonym(term: str, bag: AbstractSet[str]) -> bool:
    """"Cuban" for "Cuba" and back: a place and its people's adjective name the same country."""
    return any(
        len(w) >= 4 and len(term) >= 4
        and any(term == w + e or w == term + e for e in _DEMONYM_ENDINGS)
        for w in bag
    )


def _ordinal_of(number: str) -> str:
    """"25" -> "25th": "turns 25" is the 25th anniversary."""
    n = int(number)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _covers(t: Term, bag: AbstractSet[str], fuzzy: bool = True) -> bool:
    """``t`` is in the bag: as itself, its initials, another name for it or a synonym."""
    return (
        _matches(t.text, bag, fuzzy)
        or (t.kind == "number" and t.text.isdigit() and _ordinal_of(t.text) in bag)
        # "the 58th AMM" is "AMM 58"
        or (t.kind == "number" and bool(_ORDINAL.match(t.text)) and t.text[:-2] in bag)
        or (t.kind == "entity" and _demonym(t.text, bag))
        # Two-letter initials collide with too much ("ASEAN Chairmanship" is no "ASEAN-Canada"):
        # only those the gazetteer knows as a name ("nz") stand for their phrase.
        or bool(t.acronym and t.acronym in bag and (len(t.acronym) > 2 or alias_keys(t.acronym)))
        or not alias_keys(t.text).isdisjoint(bag)
        or any(all(w in bag for w in alt) for alt in t.alts)
    )


def compactness(words: list[str], found: set[str]) -> float:
    """How close together the question's words stand in the sentence: the number of distinct
    question words divided by the length of the shortest stretch holding all of them."""
    hits = [(i, w) for i, w in enumerate(words) if w in found]
    need = {w for _, w in hits}
    if len(need) < 2:
        return 0.0
    best = len(words)
    count: dict[str, int] = {}
    lo = 0
    for i, w in hits:
        count[w] = count.get(w, 0) + 1
        while len(count) == len(need):
            best = min(best, i - hits[lo][0] + 1)
            lw = hits[lo][1]
            count[lw] -= 1
            if not count[lw]:
                del count[lw]
            lo += 1
    return len(need) / best


_OFFICE_STEMS = OFFICES | {stem("prime")}  # "Prime Minister" is an office of its own
_RANK = frozenset("deputy vice former acting assistant interim".split())


def _names_office(
    t: Term, line: str, line_bag: AbstractSet[str], question_tokens: set[str]
) -> bool:
    """Does the line name the office asked about? "Deputy Minister" is not "Minister" unless the
    question says "deputy" too."""
    # No typo tolerance: the office is "minister", not "ministry".
    if not (_covers(t, line_bag, fuzzy=False) or _ROLE_SHORT.get(t.text, set()) & line_bag):
        return False
    return _unqualified(t, line, question_tokens, _RANK)


def _unqualified(
    t: Term, line: str, question_tokens: set[str], qualifiers: AbstractSet[str]
) -> bool:
    """Some mention of ``t`` on the line is not qualified by a word the question does not use:
    "third largest" does not answer "largest", "Deputy Minister" does not answer "Minister"."""
    if question_tokens & qualifiers:
        return True
    toks = tokens(line)
    hits = [i for i, w in enumerate(toks) if _covers(t, {stem(w), w})]
    return not hits or any(i == 0 or toks[i - 1] not in qualifiers for i in hits)


def _standalone(t: Term, sentence: str) -> bool:
    """``t`` occurs in the sentence on its own, not only inside a compound name: "Japan alone"
    is not answered by a figure for the "EU-Japan-Korea Partnership Fund"."""
    words = re.findall(r"[^\W_][\w'’]*(?:-[^\W_][\w'’]*)*", sentence)
    return any("-" not in w and _covers(t, _bag(w)) for w in words)


# Countries by one word: a one-word name, or the last word after "New", "South", ... ("zealand");
# never the generic last word of a longer name ("states", "kingdom", "union").
_PLACE_WORDS = frozenset(
    stem(words[-1]) for words in (normalize(c).split() for c in countries())
    if len(words) == 1 or (len(words) == 2 and words[0] in _QUALIFIERS | {"great"})
)
_NUMBER_WORDS = {
    w: str(i) for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100"}
_SPAN = re.compile(
    rf"\b(\d+|{'|'.join(_NUMBER_WORDS)})[\s-]+(year|month|week|day|decade|hour)s?\b"
)


def spans(text: str) -> set[tuple[str, str]]:
    """Lengths of time a text states, as (number, unit): "over the past ten years" ->
    {("10", "year")}."""
    return {
        (_NUMBER_WORDS.get(n, n), unit) for n, unit in _SPAN.findall(normalize(text))
    }


def _other_span(asked: set[tuple[str, str]], sentence: str) -> bool:
    """The sentence gives a length of time in the unit asked about, but never the length asked
    about: "in five years" does not answer "over the past ten years"."""
    said = spans(sentence)
    return any(
        (n, unit) not in said and any(u == unit for _, u in said) for n, unit in asked
    )


def _names_country(sentence: str, question_tokens: set[str]) -> bool:
    """The sentence names a country (or its people) that the question does not."""
    return any(
        _is_country(stem(w)) and not any(_same_name(w, x) for x in question_tokens)
        for w in tokens(sentence)
    )


def _names_any(sentence: str, places: set[str]) -> bool:
    """The sentence names one of ``places`` (normalised words) or its people."""
    return any(_same_name(w, p) for w in tokens(sentence) for p in places)


def _is_country(term: str) -> bool:
    """An analysed word names a country the gazetteer knows, or its people ("philippine")."""
    return term != "us" and (
        term in _PLACE_WORDS
        or bool(alias_keys(term) & _PLACE_WORDS)
        or _demonym(term, _PLACE_WORDS)
    )


# A name as a sentence writes it: capitalised words, possibly joined by "of" ("Development Bank
# of Latin America").
_NAME_RUN = re.compile(
    r"[A-Z\u00C0-\u1EF8][\w\u00C0-\u1EF9'’-]*(?:\s+(?:of\s+(?:the\s+)?)?"
    r"[A-Z\u00C0-\u1EF8][\w\u00C0-\u1EF9'’-]*)*"
)


def name_phrases(terms: tuple[Term, ...] | list[Term]) -> dict[int, list[Term]]:
    """The question's names of two or more words, each as its terms in order."""
    out: dict[int, list[Term]] = {}
    for t in terms:
        if t.kind == "entity" and t.phrase >= 0:
            out.setdefault(t.phrase, []).append(t)
    return {k: v for k, v in out.items() if len(v) >= 2}


def phrase_reading(phrase: list[Term], terms: list[Term], sentence: str) -> str | None:
    """How a sentence that gives only part of a name of the question reads it.

    None: the sentence does not name the thing by the name's last word (or gives all of it).
    "short": it gives the name's tail as a name ("Curie" for "Marie Curie"), so the rest may
    come from the document. "other": it names another thing of that kind, set apart by a
    country ("the Savings Bank of Japan" is not "the Korean Savings Bank"; "the Japan-Canada
    Partnership" is not "the Canada-Korea Partnership").
    """
    bag = _bag(sentence)
    here = [_covers(t, bag) for t in phrase]
    if all(here) or not here[-1]:
        return None
    holding = [m for m in _NAME_RUN.finditer(sentence) if _covers(phrase[-1], _bag(m.group(0)))]
    if not holding:
        return None  # "organization" in lowercase: a common word, not this name
    short = False
    for m in holding:
        foreign = [
            w for w in analyze(m.group(0))
            if w not in STOPWORDS and not any(_covers(t, {w}) for t in terms)
        ]
        if any(w in _PLACE_WORDS for w in foreign):
            return "other"
        held = [_covers(t, _bag(m.group(0))) for t in phrase]
        short = short or all(held[held.index(True):])
    return "short" if short else None


_CASED_WORD = re.compile(r"(?<![.!?:\"“]\s)(?<!^)\b([^\W\d_][\w'’-]*)", re.MULTILINE)


def with_names_cased(q: Question, evidence: list[Evidence]) -> Question:
    """A question typed all in lowercase ("who leads the red cross in norway") loses its
    names; a word the evidence only ever writes capitalised inside a sentence is a name."""
    if any(ch.isupper() for ch in q.text):
        return q  # typed with capitals: a word the user left lowercase is not a name
    seen: dict[str, bool] = {}
    for ev in evidence:
        for m in _CASED_WORD.finditer(ev.chunk.text):
            word = m.group(1)
            for tok in tokens(word):
                st = stem(tok)
                seen[st] = seen.get(st, True) and word[:1].isupper()
    terms = [
        replace(t, kind="entity")
        if t.kind == "plain" and (
            (seen.get(t.text) and t.text not in _NOT_NAME_STEMS) or _is_country(t.text)
        ) else t
        for t in q.terms
    ]
    # Names next to each other in the question form one name ("anwar ibrahim"), which a line may
    # give by its last word only.
    position = {stem(tok): i for i, tok in enumerate(tokens(q.text))}
    phrase = max((t.phrase for t in q.terms), default=-1) + 1
    run: list[int] = []
    for k in range(len(terms) + 1):
        t = terms[k] if k < len(terms) else None
        if (
            t is not None and t.kind == "entity" and t.phrase < 0 and t.text in position
            and (not run or position[t.text] == position[terms[run[-1]].text] + 1)
        ):
            run.append(k)
            continue
        if len(run) >= 2:
            initials = "".join(terms[j].text[0] for j in run)
            for j in run:
                terms[j] = replace(terms[j], phrase=phrase, last=j == run[-1], acronym=initials)
            phrase += 1
        run = [k] if t is not None and t.kind == "entity" and t.phrase < 0 else []
    return replace(q, terms=tuple(terms))


# Words for what a line shows without naming it: an acronym in brackets, a person's titles.
_ABOUT_WORDING = frozenset(
    stem(w) for w in "abbreviation abbreviations acronym acronyms initials meaning definition "
    "spelling term word phrase wording post posts position positions role roles title titles "
    "job capacity rank purpose reason".split()  # a purpose is said by "to ...", a reason by "as"
)


def _oov(idf: Callable[[str], float]) -> float:
    """The idf of a word the corpus never uses (anything at or above it is unknown)."""
    return idf("\x00never-a-term") - 1e-9


def _known(t: Term, idf: Callable[[str], float], names: bool = False) -> bool:
    """The corpus uses ``t`` or a synonym of it (with ``names``, or another name for it)."""
    oov = _oov(idf)
    return (
        idf(t.text) < oov
        or any(len(a) == 1 and idf(a[0]) < oov for a in t.alts)
        or (names and any(idf(k) < oov for k in alias_keys(t.text)))
    )


def _unknown_attribute(q: Question, idf: Callable[[str], float]) -> bool:
    """"What was the magnitude of X?" when no document ever says "magnitude" (or a synonym)."""
    if q.qtype not in (OTHER, PERSON, PLACE, VENUE):
        return False  # "What time frame ...?" asks for a period, whatever it is called
    asked = {focus(q.text), asked_noun(q.text)} - {None} - _ABOUT_WORDING
    return any(
        t.text in asked and t.kind == "plain" and not _known(t, idf) for t in q.terms
    )


def unknown_share(q: Question, idf: Callable[[str], float]) -> float:
    """Share of the question's content words (names and plain words) that the corpus never uses,
    not even as a synonym or another name for the same thing; 0 when fewer than two are unknown.
    "Which enzyme digests lactose in infants?" asks about a world the documents do not cover."""
    # A currency the documents write as a symbol ("£40 million") is not foreign to them.
    content = [t for t in q.terms if t.kind in ("plain", "entity") and t.text not in _CURRENCIES]
    unknown = [t for t in content if not _known(t, idf, names=True)]
    return len(unknown) / len(content) if len(unknown) >= 2 else 0.0


# Nouns that name a property the answer states ("What theme did X pick?", "What status ...?"):
# the sentence must say the noun too. A noun naming a class ("which paper", "what agreement") is
# answered by a member of the class, which rarely repeats the class noun.
_PROPERTY_NOUNS = frozenset(
    stem(w) for w in """theme motto slogan office magnitude population capital currency budget
    status topic message principle priority deadline duration anniversary""".split()
)


def _attribute_noun(text: str) -> str | None:
    """"What theme did X pick?": a descriptive noun the answer must say (not a class noun). A
    query typed as keywords ends on it ("fair theme", "2030 plan budget")."""
    noun = asked_noun(text) or keyword_noun(text)
    return noun if noun in _PROPERTY_NOUNS else None


def term_weights(q: Question, idf: Callable[[str], float]) -> dict[str, float]:
    """Question term -> weight. Words the corpus never uses weigh little unless they are names."""
    oov = _oov(idf)
    asked = focus(q.text)  # "what is the population of X": the attribute must be there
    did = relation(q.text)  # "who chaired X": a line naming someone who attended X is not it
    out = {}
    anchor = wh_anchor(q.text)
    for t in q.terms:
        kind_weight = KIND_WEIGHT["entity" if t.text == did else t.kind]
        if t.text in anchor and t.kind == "plain":
            kind_weight *= ANCHOR_WEIGHT
        w = idf(t.text) * kind_weight
        if t.kind in ("plain", "filler") and idf(t.text) >= oov and t.text != asked:
            # Unknown to the corpus: it counts only if the corpus uses a word that means the same.
            known = [idf(a[0]) for a in t.alts if len(a) == 1 and idf(a[0]) < oov]
            w = max(known) * kind_weight if known else w * OOV_WEIGHT
        out[t.text] = w
    return out


def score_units(
    q: Question, evidence: list[Evidence], lookup: Lookup, idf: Callable[[str], float]
) -> list[Unit]:
    terms = list(q.terms)
    if not terms:
        return []
    weights = term_weights(q, idf)
    total = sum(weights.values()) or 1.0
    q_tokens = set(tokens(q.text))
    q_stems = {t.text for t in terms}
    # The question's name phrases, by the word that ends them ("Marie Curie" -> curie).
    phrases = name_phrases(terms)
    asked_spans = spans(q.text)
    # "Where did X meet Y?": the sentence must name a place the question does not, except that
    # a place inside one of the question's names may be the answer ("the Dhaka Committee met in
    # Dhaka").
    where = q.qtype == PLACE and bool(re.match(r"\W*where\b", q.text, re.IGNORECASE))
    # "Which country ...?": a sentence naming no country besides the question's does not answer.
    which_country = asks_for_country(q.text)
    set_aside = {w for w in excluded_words(q.text) if _is_country(stem(w))}
    place_tokens = q_tokens - {w for m in _CAP_RUN.finditer(q.text) for w in tokens(m.group(0))}
    # Words the corpus never uses (nor a synonym of them) cannot tell lines apart: no checks.
    # The office asked about must be on the quoted line: "Who is X's ambassador?" is not answered
    # by a line that names someone else's office ("Deputy Minister" is not "Minister").
    office = role(q.text)
    offices = [t for t in terms if t.text in office and _known(t, idf)]
    # Any office the question names ("When did X become Prime Minister?") must be on the line
    # as that office, not only as "Deputy Prime Minister".
    titled = [t for t in terms if t.text in _OFFICE_STEMS] if not q_tokens & _RANK else []
    counted = counted_noun(q.text)
    # "Which is X's largest partner?": a line that ranks nothing does not answer it.
    # ("When did X first appear?" uses "first" of a deed, not of a rank.)
    ranked = [
        t for t in terms
        if t.text in _SUPERLATIVES and not (t.text == "first" and _FIRST_DEED.search(q.text))
    ]
    # "What is the population of X?" / "... for cybersecurity specifically": the attribute or
    # scope named must be in the quoted sentence itself.
    asked = (focus(q.text), predicate_noun(q.text), _attribute_noun(q.text))
    attribute = next(
        (t for t in terms
         if t.text in asked and t.kind == "plain" and _known(t, idf)
         and t.text not in _ABOUT_WORDING),  # "the position of X": a title, never the word
        None,
    )
    scope = restricted(q.text)
    narrowed = next((t for t in terms if t.text == scope), None)
    # "Who chaired X?": a line where someone merely attended X does not answer it.
    verb = relation(q.text)
    did = next(
        (t for t in terms
         if t.text == verb and t.kind == "plain"
         and not (q.qtype in (VENUE, PLACE) and t.text == stem("host"))  # "Which city hosted?"
         and ({t.text} | {a[0] for a in t.alts if len(a) == 1}) & _LEAD_VERBS),
        None,
    )

    # "Who is X's foreign minister?": the name must stand next to the office, not elsewhere.
    holds = {
        w for t in terms if office and t.text == office[-1] and q.qtype == PERSON
        for w in (t.text, *(a[0] for a in t.alts if len(a) == 1))
    }

    owner = office_owner(q.text)
    # "What does X stand for?": the sentence that spells it out gives "(X)" after the full name.
    spelled = expansion_of(q.text)

    # "the ASEAN-Japan meeting": a sentence about "the ASEAN-New Zealand meeting" (and not
    # Japan) is about another pair.
    pairs = [
        (m.group(1).lower(), _member(m.group(2)))
        for m in _PAIR.finditer(q.text)
    ]
    # Whether the story is about the owner's country (it names it again and again): then its
    # unqualified "Foreign Minister X" is that country's; otherwise the title must say whose.
    home: dict[str, bool] = {}

    doc_bags: dict[str, frozenset[str]] = {}
    units: list[Unit] = []
    seen: set[tuple[str, int, str]] = set()
    for rank, ev in enumerate(evidence):
        doc_lines = lookup(ev.source) or []
        if ev.source not in doc_bags:
            doc_bags[ev.source] = _bag(" ".join(doc_lines))
            if owner:  # each distinct word tested once, not each of its mentions
                counts = Counter(tokens(" ".join(doc_lines)))
                home[ev.source] = sum(
                    c for w, c in counts.items() if _same_place(owner, w)
                ) >= HOME_MENTIONS
        for number, line in ev.chunk.lines():
            if not line.strip():
                continue
            line_bag = _bag(line)
            lo, hi = max(0, number - 1 - CONTEXT_LINES), min(len(doc_lines), number + CONTEXT_LINES)
            ctx_bag = _bag(" ".join(doc_lines[lo:hi]))
            before_bag = _bag(" ".join(doc_lines[lo : number - 1]))
            prev_bag = _bag(doc_lines[number - 2]) if 2 <= number <= len(doc_lines) + 1 else set()
            # A headline speaks for the story under it, not for a digest's unrelated later items:
            # its names count only if the story around the line mentions them too.
            story = doc_lines[max(1, number - 1 - STORY_LINES) : number + STORY_LINES]
            story_bag = _bag(" ".join(story))
            title_bag = _bag(doc_lines[0]) if doc_lines else set()
            # What the line as a whole must say, whichever of its sentences is quoted.
            line_lacks = (
                any(not _names_office(t, line, line_bag, q_tokens) for t in offices)
                or any(
                    _covers(t, line_bag) and not _unqualified(t, line, q_tokens, _RANK)
                    for t in titled
                )
                or (did is not None and not _covers(did, line_bag) and not any(
                    w.startswith(did.text) for w in line_bag  # "the chairmanship of X"
                ))
                or any(
                    not (_covers(t, line_bag) and _unqualified(t, line, q_tokens, _ORDINALS))
                    for t in ranked
                )
            )
            for s, e in sentences(line):
                text = line[s:e]
                if (ev.source, number, text) in seen or addresses_assistant(text):
                    continue  # a sentence that gives the assistant orders is data, not an answer
                seen.add((ev.source, number, text))
                bag = _bag(text)
                # Names may come from nearby lines only when this sentence refers back to someone.
                refers_back = bool(
                    _PRONOUN.search(text) or _DEFINITE.match(text) or _TITLE_REF.search(text)
                )
                got = 0.0
                covered, own = set(), set()
                missing_key = line_lacks
                reading = {k: phrase_reading(v, terms, text) for k, v in phrases.items()}
                for t in terms:
                    if reading.get(t.phrase) == "other" and not _covers(t, bag):
                        # The sentence names something else that shares words with the name
                        # asked about: the missing words cannot come from around it.
                        credit = 0.0
                        missing_key = True
                    elif _covers(t, bag):
                        credit = 1.0
                        covered.add(t.text)
                        own.add(t.text)
                    elif _covers(t, line_bag):
                        credit = LINE_CREDIT
                        covered.add(t.text)
                        if _YEAR.match(t.text):
                            missing_key = True  # "in 2023" is not answered by a 2024 figure
                    elif _YEAR.match(t.text) and _covers(t, ctx_bag) and _MONTH_DAY.search(
                        normalize(text)
                    ) and not _YEAR_IN_TEXT.search(text):
                        credit = CONTEXT_CREDIT  # "on January 19": the year is the story's
                    elif refers_back and _covers(t, prev_bag):
                        credit = LINE_CREDIT  # "It was chaired by ...": the line before says what
                    elif (_covers(t, title_bag) and (
                        t.kind not in ("entity", "number") or _covers(t, story_bag)
                    )) or (
                        _covers(t, ctx_bag) and t.kind not in ("entity", "number")
                    ) or (refers_back and _covers(t, before_bag)):  # "it" looks back, not ahead
                        credit = CONTEXT_CREDIT
                    elif reading.get(t.phrase) == "short" and t.text not in _QUALIFIERS and _covers(
                        t, doc_bags[ev.source]
                    ):
                        credit = CONTEXT_CREDIT  # "Curie's lecture" for "Marie Curie"
                    else:
                        credit = 0.0
                        if t.kind == "number" or (
                            t.kind == "entity" and t.text not in _TITLE_STEMS
                        ):
                            missing_key = True
                    got += credit * weights[t.text]
                if attribute and not _covers(attribute, bag):
                    missing_key = True
                if narrowed and not _standalone(narrowed, text):
                    missing_key = True
                if pairs and _other_pair(text, pairs):
                    missing_key = True
                if asked_spans and _other_span(asked_spans, text):
                    missing_key = True
                unspelled = bool(spelled) and f"({spelled})" not in normalize(text)
                # "Apart from the X-Ruritania talks, which other ...?": a sentence naming
                # Ruritania must name another country too; it does not set the bar either.
                new_country = (set_aside or which_country) and _names_country(text, q_tokens)
                only_set_aside = bool(set_aside) and _names_any(text, set_aside) and not new_country
                words = analyze(text)
                novel = sum(1 for w in words if w not in q_stems) / max(1, len(words))
                units.append(
                    Unit(
                        ev.source,
                        number,
                        text,
                        rank,
                        ev.dense or 0.0,
                        got / total,
                        missing_key,
                        _has_answer_type(q.qtype, text, q_tokens, counted)
                        and (not where or _has_answer_type(VENUE, text, place_tokens))
                        and not only_set_aside
                        and (not which_country or new_country
                             or _has_answer_type(VENUE, text, q_tokens))  # "in Ruritania"
                        and (not holds or _holder(
                            text, holds, q_tokens, owner, bool(owner) and not home.get(ev.source)))
                        and not unspelled,
                        frozenset(covered),
                        novel,
                        compactness(words, {w for w in words if w in q_stems}),
                        line_lacks or unspelled or only_set_aside,
                        frozenset(own),
                    )
                )
    units.sort(key=lambda u: -u.score)
    return units


def select(units: list[Unit], q: Question, min_support: float, max_sentences: int) -> list[Unit]:
    """The sentences to quote, best first; empty when the evidence does not answer.

    The unit that best covers the question decides answerability: if it misses a name or number
    of the question, or covers too little, the answer is a refusal. Among units covering nearly as
    much, the best one holding the asked-for kind of answer (a number, a date) is quoted.
    """
    if not units:
        return []
    # A line that lacks the office, verb or rank asked about does not set the bar: "Who chaired
    # X?" is not better covered by a line where someone merely attended X.
    top = max([u for u in units if not u.off_topic] or units, key=lambda u: (u.coverage, u.score))
    if top.coverage < min_support:
        return []
    ok = [
        u for u in units
        if not u.missing_key and u.type_ok and u.coverage >= NEAR_BEST * top.coverage
    ]
    if not ok and not top.missing_key and q.qtype == PERSON:
        # The best-covering sentence lacks the asked-for kind of answer; a sentence on the same
        # line may hold it ("..., said Russian President Vladimir Putin.").
        sibling = [u for u in units if u.source == top.source and u.line == top.line and u.type_ok]
        if sibling:
            return [top, sibling[0]][:max_sentences]
    if not ok:
        return []
    best = ok[0]
    chosen = [best]
    covered, own = set(best.covered), set(best.own)
    for u in ok[1:]:
        if len(chosen) >= max_sentences:
            break
        same_line = u.source == best.source and u.line == best.line
        if u.coverage < (min_support if same_line else max(min_support, EXTRA_MIN * best.coverage)):
            continue
        # A sentence of the same line that itself says what the first one leaves to its line
        # ("..., this means a balance ...") completes the answer.
        if u.covered - covered or (same_line and u.own - own):
            chosen.append(u)
            covered |= u.covered
            own |= u.own
    return chosen


@register("extractive")
class ExtractiveBackend(Backend):
    """Deterministic, model-free: quotes the best-supported sentences and cites their lines."""

    def draft(self, question: str, evidence: list[Evidence], ctx: Context) -> Draft:
        q = analyse(question)
        if not q.text.strip():
            return Draft(CANNOT_ANSWER, [], True, "no question left after removing instructions")
        if unknown_share(q, ctx.idf) >= UNKNOWN_MAX:
            why = "most of the question's words are not in the documents"
            return Draft(CANNOT_ANSWER, [], True, why)
        if _unknown_attribute(q, ctx.idf):
            return Draft(CANNOT_ANSWER, [], True, "the documents never mention what is asked for")
        q = with_names_cased(q, evidence)
        chosen = self._choose(q, evidence, ctx)
        parts = split_question(q.text)
        if len(parts) > 1:
            # "Where and when ...?": each part must be answered; quote what answers each.
            answers = [
                self._choose(with_names_cased(analyse(p), evidence), evidence, ctx) for p in parts
            ]
            if all(answers):
                chosen = _merge(answers, self.settings.max_answer_sentences + len(parts) - 1)
        if not chosen:
            return Draft(CANNOT_ANSWER, [], True, "evidence does not cover the question")
        texts, cites = [], []
        for u in chosen:
            c = Citation(u.source, u.line, u.line, u.text)
            texts.append(f"{u.text} {c.marker}")
            cites.append(c)
        return Draft(" ".join(texts), cites, False)

    def _choose(self, q: Question, evidence: list[Evidence], ctx: Context) -> list[Unit]:
        units = score_units(q, evidence, ctx.lookup, ctx.idf)
        return select(units, q, self.settings.min_support, self.settings.max_answer_sentences)


def _merge(answers: list[list[Unit]], limit: int) -> list[Unit]:
    """The parts' sentences, each part's best first, without repeats, at most ``limit``."""
    out: list[Unit] = []
    seen: set[tuple[str, int, str]] = set()
    for rank in range(max(len(a) for a in answers)):
        for a in answers:
            if rank < len(a) and (a[rank].source, a[rank].line, a[rank].text) not in seen:
                seen.add((a[rank].source, a[rank].line, a[rank].text))
                out.append(a[rank])
    return out[:limit]
