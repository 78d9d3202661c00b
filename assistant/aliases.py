"""Words and names that mean the same thing ("Britain" = "UK", "envoy" = "ambassador").

Owns: a small, general gazetteer of alternative names (``alias_keys``: an analysed word -> the
analysed words and initials that may stand for it in a document) and a small thesaurus of
everyday news vocabulary (``synonym_keys``). Both know nothing about any corpus: every group is a
fact about English or the world (official names, demonyms, words a reporter uses
interchangeably), not about the seed documents.
Does not own: deciding whether a sentence answers a question (backends/extractive.py).
"""

from __future__ import annotations

from functools import cache

from .lexical import stem
from .normalize import normalize

# One group per line: every name in a group may stand for every other. Multi-word names are
# matched by their initials ("united kingdom" -> "uk"), single words by their stem.
_GROUPS = """
uk | britain | great britain | united kingdom | british
us | usa | united states | america | american
vietnam | viet nam | vn | vietnamese
korea | south korea | republic of korea | rok | korean
north korea | dprk | democratic people's republic of korea
china | prc | people's republic of china | chinese
russia | russian federation | russian
laos | lao pdr | lao | laotian
myanmar | burma | myanmarese | burmese
timor-leste | east timor | timorese
thailand | thai
kazakhstan | kazakh
philippines | philippine | filipino
netherlands | holland | dutch
turkey | turkiye | turkish
czechia | czech republic | czech
eu | european union | europe
un | united nations
asean | association of southeast asian nations
nz | new zealand | kiwi
""".strip().splitlines()


# Everyday words of news reports that questions and articles use interchangeably. Groups are
# deliberately narrow: only words that can stand for each other in most sentences.
_WORDS = """
ambassador | envoy | emissary
preside | chair | moderate
motto | theme | slogan
pledge | commit | promise | vow
contribute | donate | give | gave | provide
join | membership | accession | admission
agreement | deal | accord | pact | treaty
meeting | talks | conference | session | gathering
country | nation
leader | chief | head
lead | led | head | spearhead
fund | funding | finance | financing
aid | assistance | support | help
trade | commerce
growth | grow | grew | grown | expansion | increase | rise
cooperation | collaboration
visit | trip | tour
begin | start | launch | open | commence
end | conclude | close | finish
police | security
crime | criminal | offence | offense
goal | target | objective | aim
plan | roadmap | scheme | blueprint
praise | hail | commend | laud | applaud
urge | call | press
ask | request
back | support | endorse
boost | strengthen | enhance | bolster | deepen
photo | picture | image | photograph
news | media | press
newspaper | paper | daily
attend | participate | join
elect | choose | chose | select | pick
appoint | name | nominate
host | organise | organize | hold | held | convene
schedule | slate | set | due
scholarship | grant | fellowship | bursary
disaster | catastrophe | calamity
earthquake | quake | tremor
take | took | taken
first | initial
tranche | instalment | installment
firm | company | enterprise | business | corporation
sea | maritime | ocean
war | conflict
investment | invest
percentage | percent | share
population | inhabitants | residents
law | legislation | regulation
region | area | zone
initiative | programme | program | project
upgrade | elevate | raise
relation | relationship | ties | link
celebrate | mark | commemorate
found | establish | create
establishment | founding | creation
reduce | cut | lower | decrease | narrow
gap | divide | disparity
expand | widen | broaden | extend
foreign minister | foreign secretary | fm
top diplomat | foreign minister | fm
prime minister | premier | pm
southeast asian bloc | asean
southeast asian nations | asean
""".strip().splitlines()


# Capitals stand for their governments in news text ("Wellington pledged ..."); one way only:
# a line about the country does not say anything happened in its capital.
_CAPITALS = """
hanoi > vietnam
wellington > new zealand
canberra > australia
kuala lumpur > malaysia
bangkok > thailand
jakarta > indonesia
manila > philippines
vientiane > laos
phnom penh > cambodia
naypyidaw > myanmar
bandar seri begawan > brunei
dili > timor-leste
beijing > china
tokyo > japan
seoul > korea
new delhi > india
washington > us
london > uk
moscow > russia
ottawa > canada
brussels > eu
paris > france
berlin > germany
havana > cuba
dhaka > bangladesh
astana > kazakhstan
""".strip().splitlines()


def _keys(name: str) -> set[str]:
    words = [w for w in normalize(name).replace("-", " ").split() if w]
    if len(words) == 1:
        return {stem(words[0]), words[0]}
    # A multi-word name is found by its initials: a sentence's bag holds the initials of its
    # capitalised phrases. Never by one of its words ("korea" must not stand for "north korea").
    return {"".join(w[0] for w in words if w not in ("of", "the"))}


@cache
def _table() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for line in _GROUPS:
        names = [n.strip() for n in line.split("|") if n.strip()]
        words = {normalize(n) for n in names if " " not in n}
        # Two-letter initials collide with too much ("Leste President" -> "lp"): keep only those
        # the group itself lists as a name ("uk" for "united kingdom").
        keys = {k for n in names for k in _keys(n) if len(k) > 2 or k in words}
        for n in names:
            for k in _keys(n) & keys:
                table.setdefault(k, set()).update(keys)
    for line in _CAPITALS:
        capital, country = (x.strip() for x in line.split(">"))
        keys = _keys(country) | {stem(w) for w in normalize(country).split() if len(w) > 3}
        keys |= set().union(*(table.get(k, set()) for k in keys))
        table.setdefault(stem(normalize(capital).split()[-1]), set()).update(keys)  # "lumpur"
    return {k: frozenset(v - {k}) for k, v in table.items()}


@cache
def countries() -> frozenset[str]:
    """Normalised names of the countries the gazetteer knows ("new zealand", "timor-leste")."""
    out = {normalize(line.split(">")[1].strip()) for line in _CAPITALS}
    for line in _GROUPS:
        names = [normalize(n.strip()) for n in line.split("|")]
        if names[0] in out:
            out.update(n for n in names if not n.endswith(("an", "ese", "ish", "ch", "ino")))
    return frozenset(out - {"eu", "asean", "un"})


def alias_keys(term: str) -> frozenset[str]:
    """Analysed words / initials that name the same thing as ``term`` (empty when none)."""
    return _table().get(term, frozenset())


def _forms(word: str) -> set[str]:
    """Analysed forms of an English word and its regular inflections (the stemmer leaves some
    alone: "asked" stays "asked")."""
    w = normalize(word)
    forms = {w, w + "s", w + "es", w + "ed", w + "ing"}
    if w.endswith("e"):
        forms |= {w + "d", w[:-1] + "ing"}
    if w.endswith("y"):
        forms |= {w[:-1] + "ies", w[:-1] + "ied"}
    return {stem(f) for f in forms}


@cache
def _thesaurus() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for line in _WORDS:
        words = [w.strip() for w in line.split("|") if w.strip() and " " not in w.strip()]
        forms = [_forms(w) for w in words]
        group = set().union(*forms)
        for own in forms:
            for f in own:
                table.setdefault(f, set()).update(group - own)
    return {k: frozenset(v) for k, v in table.items()}


@cache
def _phrase_table() -> list[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]]:
    """Multi-word groups: (phrase as analysed words, the other phrases of its group)."""
    out = []
    for line in _WORDS:
        phrases = [
            tuple(stem(normalize(x)) for x in w.split()) for w in line.split("|") if w.strip()
        ]
        if all(len(p) == 1 for p in phrases):
            continue
        for p in phrases:
            out.append((p, tuple(o for o in phrases if o != p)))
    return out


def synonym_keys(term: str) -> frozenset[str]:
    """Analysed words that can stand for the analysed word ``term`` (empty when none)."""
    return _thesaurus().get(term, frozenset())


def phrase_synonyms(words: list[str]) -> list[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]]:
    """Multi-word synonyms whose phrase occurs in the analysed ``words`` ("top diplomat")."""
    joined = " " + " ".join(words) + " "
    return [(p, others) for p, others in _phrase_table() if " " + " ".join(p) + " " in joined]
