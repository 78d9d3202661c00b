"""Understanding a question before answering it.

Owns: removing instructions aimed at the assistant ("ignore previous instructions...") from a
question, classifying the expected answer type (number, date, person, place, other), and picking
the question's key terms with their roles (entity, number, filler, plain). Pure functions only.
Does not own: retrieval or scoring evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache

from .aliases import countries, phrase_synonyms, synonym_keys
from .lexical import STOPWORDS, analyze, stem
from .normalize import fold, normalize, tokens

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
                          sentence, re.IGNORECASE)
            if m and not _INJECTION.search(sentence[m.end():]):
                kept.append(sentence[m.end():])
            continue
        kept.append(sentence)
    return " ".join(kept).strip(), found


NUMBER, QUANTITY, ORDINAL, DATE, YEAR, WHEN, PERSON, VENUE, PLACE, OTHER = (
    "number", "quantity", "ordinal", "date", "year", "when", "person", "venue", "place", "other"
)

_TYPE_RULES = [
    (re.compile(r"\b(how (much|large|big)|what (percentage|percent|share|proportion|amount|sum|"
                r"value|total|figure)|by how much|how much money)\b"), QUANTITY),
    (re.compile(r"^what ([\w-]+ ){0,2}(rate|percentage|share)\b"), QUANTITY),
    (re.compile(r"^what (is|was|were|are|has been) the (\w+ ){0,2}(value|amount|sum|total|cost|"
                r"price|percentage|share|proportion|figure|budget|volume|size|turnover|population|"
                r"area|length|rate|gdp|revenue)\b"), QUANTITY),
    (re.compile(r"\bhow many ([\w.]+ )?(euros?|dollars?|usd|pounds?|yen|yuan|dong|vnd|nzd|eur)\b"),
     QUANTITY),
    (re.compile(r"\b(what|which) number (meeting|session|edition|round|summit|conference)\b"),
     ORDINAL),
    (re.compile(r"\b(how (many|long|old)|what number)\b"), NUMBER),
    (re.compile(r"\b(which|what) (edition|session|anniversary|iteration|round|instal?lment|"
                r"meeting number|ordinal)\b"), ORDINAL),
    (re.compile(r"\b(what|which|on what) ((is|are|was|were) the )?(exact |specific |precise )?"
                r"(dates?|days?)\b"), DATE),
    # "Where does X rank among ...?" asks for a rank ("second largest"), not a place.
    (re.compile(r"^where (does|did|do|is|was) [\w' -]{1,40} (rank|stand)\b"), ORDINAL),
    (re.compile(r"^(what|which) (is|was|are|were) (the )?([\w'’-]+ ){0,3}(rank|ranking)\b"
                r"|^what rank\b"), ORDINAL),
    (re.compile(r"\b(what|which|in what) (exact |specific |precise )?"
                r"(years?|period|time ?frame)\b"), YEAR),
    (re.compile(r"^(when|since when)\b|\b(what|which) (month|time)\b"), WHEN),
    # "Who did X urge ...?" asks for whoever X addressed: businesses, partners, a person.
    (re.compile(r"^\s*(who|whom) (did|does|do|will|would|should|can|could|has|have|had)\b"), OTHER),
    (re.compile(r"^\s*(who|whom)\b|\b(which|what) "
                r"((?!(did|does|do|is|was|were|are|has|have|had|will)\b)[\w-]+ ){0,3}?"
                r"(person|official|minister|"
                r"leader|ambassador|president|diplomat|secretary|envoy)\b"), PERSON),
    (re.compile(r"\b(which|what|in what|in which) (city|town|venue)\b"), VENUE),
    (re.compile(r"^\s*where\b|\b(which|what|in what) "
                r"(city|country|place|venue|location|nation)\b"), PLACE),
]

# Words that say what kind of answer is wanted but rarely appear in the evidence itself.
FILLER = frozenset(
    stem(w)
    for w in """much many according document documents article text mention mentioned say says said
    tell describe described give name list happen happened kind type sort thing things way ways
    exactly specific specifically particular role roles detail details information question
    regard regarding concern concerning about did does do amount number figure percentage
    year date day time place person people one ones make made makes get gets got""".split()
)

_MONTHS = "january february march april may june july august september october november december"
MONTHS = frozenset(_MONTHS.split())


@dataclass(frozen=True)
class Term:
    text: str  # analysed (normalised, stemmed) form
    kind: str  # entity | number | filler | plain
    acronym: str = ""  # for words of a capitalised phrase: its initials ("united kingdom" -> "uk")
    phrase: int = -1  # which capitalised phrase of the question the word belongs to (-1: none)
    last: bool = False  # the word ends its phrase ("Curie" in "Marie Curie")
    # Other ways to say it, each a run of analysed words ("envoy" -> ("ambassador",)).
    alts: tuple[tuple[str, ...], ...] = ()


_FOCUS = re.compile(
    r"^\W*what (?:is|was|are|were) the (\w+)(?: city| figure| level)? of\b", re.IGNORECASE
)
# Offices specific enough that a line naming someone else's office does not answer the question
# (not "official" or "leader": a line rarely repeats those words next to the person's name).
_ROLE_WORDS = (
    "minister|ambassador|president|diplomat|secretary|envoy|chairman|chairwoman|chairperson|"
    "director|spokesperson|spokesman|spokeswoman|governor|mayor|ceo|premier|king|queen|consul|"
    "commander|general|reporter|journalist|photographer|editor"
)
OFFICES = frozenset(stem(w) for w in _ROLE_WORDS.split("|"))  # analysed
# Words that make a different office of the same title: a prime minister is not a foreign minister.
_ROLE_KINDS = "prime|foreign|finance|defence|defense|trade|interior|justice|education|health|home"
_ROLE = re.compile(
    rf"^\W*(?:who|whom)\s+(?:is|was|are|were|serves as|served as)\s+(?:the\s+|a\s+|an\s+)?"
    rf"(?:[\w'’-]+(?:'s|’s)\s+)?(?:[\w'’-]+\s+){{0,3}}?(?:({_ROLE_KINDS})\s+)?({_ROLE_WORDS})\b"
    rf"|\b(?:which|what)\s+(?:({_ROLE_KINDS})\s+)?({_ROLE_WORDS})\b"
    rf"|^\W*(?:(?:what|which)\s+(?:is|was)\s+)?(?:the\s+)?name(?: of the| of| the)\s+"
    rf"(?:[\w'’&-]+\s+){{0,3}}?(?:({_ROLE_KINDS})\s+)?({_ROLE_WORDS})\b",
    re.IGNORECASE,
)


_ASKED_NOUN = re.compile(
    r"^\W*(?:what|which)\s+(?:[a-z][\w-]*\s+){0,2}?([a-z][\w-]*)\s+"
    r"(?:is|was|are|were|did|does|do|has|have|had|will)\b"
)


_PREDICATE = re.compile(
    r"^\W*(?:which|what)\b[^?]{0,40}?\b(?:is|was|are|were)\s+(?:the\s+|a\s+|an\s+)?"
    r"(?![a-z]+ed\b)([a-z][\w-]*)\s+(?:of|for|to|in|at|on)\b"  # a noun, not "linked to"
)


def predicate_noun(text: str) -> str | None:
    """The role a which-question asks who fills: "Which member state is coordinator for X?" ->
    coordinator (analysed); None when there is none."""
    m = _PREDICATE.search(normalize(text))
    return stem(m.group(1)) if m else None


_COUNTED = re.compile(
    r"\bhow many ((?:[a-z][\w-]*\s+){0,2}?[a-z][\w-]*)\s+"
    r"(?:is|are|was|were|did|does|do|has|have|had|"
    r"will|would|can|could|in|of|for|to|at|on|by|from|under|been|were)\b"
)


def counted_noun(text: str) -> str | None:
    """What "How many action lines ...?" counts (its last word, analysed), if it says."""
    m = _COUNTED.search(normalize(text))
    return stem(m.group(1).split()[-1]) if m else None


def asked_noun(text: str) -> str | None:
    """The noun of "What magnitude was X?" / "Which theme did Y pick?" (analysed), if any."""
    m = _ASKED_NOUN.search(normalize(text))
    return stem(m.group(1)) if m else None


# "Germany alone ..."; "... for cybersecurity specifically?" (at the end of a clause: before a
# verb, "specifically" qualifies the verb, not the word before it).
_RESTRICTED = re.compile(
    r"\b([a-z][\w-]*)\s+"
    r"(?:alone\b|itself\b|by itself\b|on (?:its|their) own\b"
    r"|(?:specifically|solely|exclusively|in particular)\s*(?:[?.,;!]|$))"
    # "... earmarked specifically for cybersecurity"
    r"|\b(?:specifically|solely|exclusively) (?:for|to|on) ([a-z][\w-]*)"
)


def _matched(m: re.Match[str]) -> str:
    """The text of the first group that took part in a match of alternatives."""
    return next(g for g in m.groups() if g)


def restricted(text: str) -> str | None:
    """The word a question narrows its scope to ("... for cybersecurity specifically" ->
    cybersecurity), analysed; None when it does not narrow it."""
    m = _RESTRICTED.search(normalize(text))
    return stem(_matched(m).split("-")[-1]) if m else None


def focus(text: str) -> str | None:
    """The attribute asked about in "what is the X of Y?" (analysed), if the question has one."""
    m = _FOCUS.search(text)
    return stem(normalize(m.group(1))) if m else None


_RELATION = re.compile(
    r"^\W*who\s+(?!(?:is|was|are|were|did|does|do|has|have|had|will|would|can|could|should|"
    r"may|might|must)\b)([^\W\d_]+(?:-[^\W\d_]+)*)"
    # "Which country co-chaired X?", "What body hosted X?": a verb of leading right after the noun
    r"|^\W*(?:which|what)\s+(?!(?:is|was|are|were|did|does|do|has|have|had|will)\b)[a-z]+"
    r"(?:\s+[a-z]+)?\s+((?:co-)?(?:chair|preside|host|lead|head|"
    r"organi[sz]e|moderate|sponsor|convene)(?:d|ed|s)|led|won|founded)\b"
    # "Which talks did Roe co-chair?", "... was Roe due to co-chair?"
    r"|\b(?:which|what)\b[^?]*?\b(?:did|does|do|will|would|was|is|were|are)\s+"
    r"(?:[\w'’-]+\s+){1,4}?(?:(?:due|set|slated|scheduled|expected|going)\s+to\s+)?"
    r"((?:co-)?(?:chair|host|preside|convene|moderate))\b"  # not "lead": a title says that
)


def relation(text: str) -> str | None:
    """The verb of "Who chaired X?" (analysed): what the person asked for did."""
    m = _RELATION.search(normalize(text))
    return stem(_matched(m).split("-")[-1]) if m else None  # "co-chaired" -> chair


def role(text: str) -> tuple[str, ...]:
    """The office a who-question asks the holder of, as analysed words ("Who is Japan's envoy
    to the UN?" -> (envoy,); "Who is the prime minister?" -> (prime, minister)); () when the
    question names no office."""
    m = _ROLE.search(normalize(text))
    if not m:
        return ()
    groups = m.groups()
    kind, title = next((groups[i], groups[i + 1]) for i in (0, 2, 4) if groups[i + 1])
    return tuple(stem(w) for w in (kind, title) if w)


_OWNERS = (
    # "Indonesia's (deputy) foreign minister", "the Indonesian foreign minister"
    re.compile(rf"\b([a-z][\w-]*(?:'s|’s|an|ese|ish))\s+(?:(?:deputy|vice|acting|former)\s+)?"
               rf"(?:(?:{_ROLE_KINDS})\s+)?(?:{_ROLE_WORDS})\b"),
    # "... the foreign minister of New Freedonia?"
    re.compile(rf"\b(?:{_ROLE_WORDS})\s+of\s+(?:the\s+)?([a-z][\w-]*(?:\s+[a-z][\w-]*)?)\W*$"),
)
_NOT_OWNERS = frozenset(
    "the a an its his her their which what who whose this that foreign prime deputy vice former "
    "acting first new current then same asean's affairs state".split()
)


_EXPANSION = re.compile(
    r"\bwhat (?:does|do|did) (?:the )?(?:acronym |abbreviation )?([\w&-]+) (?:stand for|mean)\b"
    r"|\bwhat is ([\w&-]+) short for\b|^\W*([\w&-]+) stands for\b"
    r"|\b(?:full (?:name|form)|expansion) of (?:the )?(?:acronym |abbreviation )?([\w&-]+)"
)


def expansion_of(text: str) -> str | None:
    """The abbreviation a question asks to spell out ("What does WTO stand for?" -> wto)."""
    m = _EXPANSION.search(normalize(text))
    if not m:
        return None
    word = _matched(m)
    if word in ("it", "this", "that", "they"):  # "WTO: and what is that short for?"
        caps = re.search(r"\b(?=\w*[A-Z]\w*[A-Z])[\w&-]{2,}\b", text)
        return normalize(caps.group(0)) if caps else None
    return word


_PREPOSITIONS = frozenset("of in on at to by for from with under within through over".split())


def wh_anchor(text: str) -> frozenset[str]:
    """Content words (analysed) just before a wh-word in mid-question: "under the auspices of
    which body ...?" -> {auspices}. They say where in a sentence the answer stands."""
    words = normalize(text).split()
    for i, w in enumerate(words):
        if i and _WH.fullmatch(w.strip("?,.")):
            if words[i - 1] not in _PREPOSITIONS:
                return frozenset()  # "... covers which years?": no frame around the answer
            before = " ".join(words[max(0, i - 4) : i])
            if "," in before:
                before = before.rsplit(",", 1)[1]
            return frozenset(analyze(before))
    return frozenset()


@cache
def _country_office() -> re.Pattern[str]:
    """"the Ruritania foreign minister": a country's name used as the title's modifier."""
    place = "|".join(re.escape(c) for c in sorted(countries(), key=len, reverse=True))
    return re.compile(
        rf"(?<![\w&-])({place})\s+(?:(?:deputy|vice|acting|former)\s+)?(?:(?:{_ROLE_KINDS})\s+)?"
        rf"(?:{_ROLE_WORDS})\b"
    )


def office_owner(text: str) -> str | None:
    """Whose office a question asks about, as written (normalised): "Who is Indonesia's foreign
    minister?" -> indonesia; "the foreign minister of Ruritania" -> ruritania."""
    low = normalize(text)
    m = _country_office().search(low)
    if m:
        return m.group(1).split()[-1]
    for rx in _OWNERS:
        for m in rx.finditer(low):
            word = re.sub(r"['’]s$", "", m.group(1).split()[-1])
            if word not in _NOT_OWNERS and word not in STOPWORDS and not _WH.fullmatch(word):
                return word
    return None


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


# Terse questions with no wh-word ("date of the X talks", "name of the X's envoy", "X - amount
# in USD"): the kind of answer is read from the noun that asks for it.
_PERSON_NOUNS = (
    r"(chairman|chairwoman|chair|minister|ambassador|president|official|leader|person|secretary|"
    r"secretary-general|envoy|spokesperson|director|head|chief|photographer|author|reporter)"
)
_NOUN_PHRASE_RULES = [
    (re.compile(rf"\bname (of )?(the |a |an )?((?!the )[\w'’-]+ ){{0,3}}{_PERSON_NOUNS}\b"
                rf"|\b{_PERSON_NOUNS}\b[^?]*\W name\W*$"), PERSON),
    (re.compile(r"\b(dates?|exact day|day and month)\b"), DATE),
    (re.compile(r"\b(years? covered|launch year|year of|time span|period covered)\b"), YEAR),
    (re.compile(r"\b(amount|value|turnover|ceiling|sum|total|cost|inflows?|share of|budget|"
                r"percent|percentage)\b"
                r"|\bin (usd|nzd|eur|us dollars|dollars|euros|pounds)\W*$"), QUANTITY),
    (re.compile(r"\b(rank|ranking)\W*$"), ORDINAL),
]
_TYPOS = ((re.compile(r"\bwhats\b"), "what is"), (re.compile(r"\bwich\b"), "which"))


def answer_type(text: str) -> str:
    """The kind of answer asked for, read from the question's first wh-phrase (or, when it has
    none, from the noun that asks for it)."""
    low = normalize(text)
    for rx, repl in _TYPOS:
        low = rx.sub(repl, low)
    m = _WH.search(low)
    # "When the council met in Rome, which treaty did it sign?": the opening clause sets the
    # scene; the question proper follows the comma.
    later = re.search(r"^\W*(?:when|where|while|as)\b[^?]*?,\s*(?=(?:what|which|who|whom|how|"
                      r"where|when|why)\b)", low)
    if later:
        m = _WH.search(low, later.end())
    if not m:
        return next((kind for rx, kind in _NOUN_PHRASE_RULES if rx.search(low)), OTHER)
    if re.match(r"\W*where (in [\w-]+ )?(is|was|will|were|are)\b.*"
                r"\b(held|hosted|located|take place|"
                r"took place)\b",
                low[m.start():]):
        return VENUE
    window = low[m.start() : m.start() + 40]
    if _NOUN_PHRASE_RULES[0][0].search(low[m.start() : m.start() + 70]):
        return PERSON  # "What is the name of Ruritania's trade minister ...?"
    for rx, kind in _TYPE_RULES:
        if rx.search(window):
            return kind
    return OTHER


_WORD = re.compile(r"[^\W_]+(?:['’.][^\W_]+)*")


def _phrases(words: list[str]) -> dict[int, tuple[str, int, bool]]:
    """Word index -> (initials of the capitalised phrase (2+ words) it belongs to, the phrase's
    number, whether the word ends the phrase)."""
    out: dict[int, tuple[str, int, bool]] = {}
    run: list[int] = []
    count = 0
    for i, w in enumerate(words + [""]):
        if w[:1].isupper() and not (i == 0 and w.lower() in _COMMON_INITIALS):
            run.append(i)
            continue
        if len(run) >= 2:
            initials = "".join(fold(words[j])[0] for j in run)
            for j in run:
                out[j] = (initials, count, j == run[-1])
            count += 1
        run = []
    return out


_ATTRIBUTION = re.compile(r"\baccording to\b[^,;?]*", re.IGNORECASE)


# "Apart from China, Laos and Peru, which ...": the clause runs to the comma that starts the
# question proper, so lists inside it stay in it; without one ("which partners besides China
# held ...") only the next name is excluded.
_EXCLUSION = re.compile(
    r"\b(?:apart from|aside from|besides|other than|except(?: for)?|excluding)\b(?:[^;?]*?"
    r"(?=,\s*(?:with|which|what|who|whom|whose|where|when|how|did|does|do|is|are|was|were)\b)"
    r"|\s+(?:the\s+)?(?:(?:new|south|north|east|west|united)\s+)?[\w'’-]+)",
    re.IGNORECASE,
)


def _clause_words(clause: re.Pattern[str], text: str) -> set[int]:
    """Indexes of the words inside the clauses ``clause`` finds (each up to the next comma)."""
    spans = [m.span() for m in clause.finditer(text)]
    return {
        i for i, m in enumerate(_WORD.finditer(text)) if any(a <= m.start() < b for a, b in spans)
    }


def keyword_noun(text: str) -> str | None:
    """The last word (analysed) of a query typed as keywords, with no wh-word ("2030 plan
    budget" -> budget): what such a query asks for."""
    low = normalize(text)
    words = tokens(low)
    return stem(words[-1]) if words and not _WH.search(low) else None


_ASKS_COUNTRY = re.compile(
    r"\b(which|what) (?!number\b)(\w+ )?(country|countries|nation|nations|member states?)\b"
    r"(?!,? in order\b| was it\b)"  # "which nation, in order, joined": a rank, not a place
)


def asks_for_country(text: str) -> bool:
    """"Which country ...?", "which member state ...?": the answer is a country."""
    return bool(_ASKS_COUNTRY.search(normalize(text)))


def excluded_words(text: str) -> set[str]:
    """The words, normalised, of what "apart from X, which other ...?" sets aside."""
    spans = [m.span() for m in _EXCLUSION.finditer(text)]
    return {
        w for a, b in spans for w in tokens(text[a:b])
        if w not in STOPWORDS and w not in ("apart", "aside", "besides", "other", "except",
                                            "excluding", "one", "ones")
    }


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
    attribution = _clause_words(_ATTRIBUTION, text)
    excluded = _clause_words(_EXCLUSION, text)
    for i, word in enumerate(words):
        if i in excluded:
            continue  # "Apart from China, which partners ...": China is what the answer is not
        for tok in tokens(word):
            if tok in STOPWORDS:
                continue
            st = stem(tok)
            if re.fullmatch(r"[A-Z][A-Za-z]*[A-Z]s", word):
                st = tok[:-1]  # "FMs", "MoUs": the plural of an abbreviation
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
            if kind in ("entity", "plain") and i in attribution:
                kind = "filler"  # "according to the Forum remarks": who said it, not what
            initials, phrase, last = acronyms.get(i, ("", -1, False))
            out[st] = Term(st, kind, initials, phrase, last)
    return tuple(out.values())


_COMMON_INITIALS = frozenset(
    "what who whom whose when where which why how did does do is are was were can could would "
    "should has have had in on at for to from by with according list name give tell describe "
    "explain".split()
)


_WH_WORD = r"(?:what|which|when|where|who|whom|whose|how)"
_DOUBLE_WH = re.compile(
    rf"^\W*({_WH_WORD})\s+(?:and|n|&)\s+({_WH_WORD})\b(.*)$", re.IGNORECASE | re.DOTALL
)
_AND_WH = re.compile(
    rf"^(.*?\w.*?),?\s+and\s+((?:(?:in|on|at|for|by|from|since|until|to)\s+)?{_WH_WORD}\b.*)$",
    re.IGNORECASE | re.DOTALL,
)
_LEADING_WH = re.compile(
    rf"^\W*(?:(?:in|on|at|for|by|from)\s+)?{_WH_WORD}(?:\s+\w+)?\s+", re.IGNORECASE
)


def split_question(text: str) -> list[str]:
    """A compound question as its parts, each answerable on its own; ``[text]`` when it is not
    compound. "Where and when was X held?" -> "Where was X held?", "When was X held?";
    "Who hosted X, and on what date?" -> "Who hosted X", "on what date ... hosted X"."""
    m = _DOUBLE_WH.match(text)
    if m:
        return [f"{m.group(1)}{m.group(3)}", f"{m.group(2)}{m.group(3)}"]
    m = _AND_WH.match(text)
    if not m or not _WH.search(normalize(m.group(1))):
        return [text]
    first, second = m.group(1).strip(), m.group(2).strip()
    if len(analyze(second)) >= 5:
        return [first, second]  # it says what it is about
    # A short second part ("and on what date?") leans on the first for its subject.
    context = _LEADING_WH.sub("", first, count=1)
    return [first, f"{second.rstrip('?').strip()} {context}"]


def with_synonyms(terms: tuple[Term, ...], text: str) -> tuple[Term, ...]:
    """``terms`` with their synonyms filled in (numbers have none)."""
    # The terms too: "FMs" is the term "fm", a one-word phrase of "foreign minister".
    phrases = phrase_synonyms([*analyze(text), "|", *(t.text for t in terms)])
    out = []
    for t in terms:
        if t.kind == "number":
            out.append(t)
            continue
        alts = {(w,) for w in synonym_keys(t.text)}
        for words, others in phrases:
            if t.text in words:
                alts.update(others)
        out.append(replace(t, alts=tuple(sorted(alts))) if alts else t)
    return tuple(out)


def analyse(question: str) -> Question:
    text, injected = strip_injection(question)
    terms = with_synonyms(key_terms(text), text)
    return Question(question, text, injected, answer_type(text), terms)
