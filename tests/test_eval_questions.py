"""Static checks of the fixed evaluation question sets (tests/eval/*.yaml).

Offline and fast: only reads the YAML files and seeds/. Every per-question check is
parametrised by question id, so a failure names the question.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
import yaml

from assistant.normalize import normalize

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
EVAL = ROOT / "tests" / "eval"
OFFICIAL = EVAL / "questions.yaml"
DEV = EVAL / "dev_questions.yaml"
BLIND = EVAL / "blind"
SETS = {
    "official": OFFICIAL,
    "dev": DEV,
    "blind-tune": BLIND / "tune.yaml",
    "blind-holdout1": BLIND / "holdout1.yaml",
    "blind-holdout2": BLIND / "holdout2.yaml",
    "blind-holdout3": BLIND / "holdout3.yaml",
    "blind-holdout4": BLIND / "holdout4.yaml",
    "blind-holdout5": BLIND / "holdout5.yaml",
    "blind-holdout6": BLIND / "holdout6.yaml",
    "blind-holdout7": BLIND / "holdout7.yaml",
    "blind-holdout8": BLIND / "holdout8.yaml",
    "blind-holdout9": BLIND / "holdout9.yaml",
    "blind-holdout10": BLIND / "holdout10.yaml",
    "blind-holdout11": BLIND / "holdout11.yaml",
    "blind-holdout12": BLIND / "holdout12.yaml",
    "blind-holdout13": BLIND / "holdout13.yaml",
    "blind-holdout14": BLIND / "holdout14.yaml",
    "blind-holdout15": BLIND / "holdout15.yaml",
    "blind-holdout16": BLIND / "holdout16.yaml",
    "blind-holdout17": BLIND / "holdout17.yaml",
    "blind-holdout18": BLIND / "holdout18.yaml",
    "blind-holdout19": BLIND / "holdout19.yaml",
    "blind-holdout20": BLIND / "holdout20.yaml",
    "blind-holdout21": BLIND / "holdout21.yaml",
    "blind-holdout22": BLIND / "holdout22.yaml",
    "blind-holdout23": BLIND / "holdout23.yaml",
    "blind-holdout24": BLIND / "holdout24.yaml",
    "blind-holdout25": BLIND / "holdout25.yaml",
    "blind-holdout26": BLIND / "holdout26.yaml",
    "blind-holdout27": BLIND / "holdout27.yaml",
    "blind-holdout28": BLIND / "holdout28.yaml",
    "blind-holdout29": BLIND / "holdout29.yaml",
    "blind-holdout30": BLIND / "holdout30.yaml",
    "blind-holdout31": BLIND / "holdout31.yaml",
    "blind-holdout32": BLIND / "holdout32.yaml",
    "blind-holdout33": BLIND / "holdout33.yaml",
    "blind-holdout34": BLIND / "holdout34.yaml",
    "blind-holdout35": BLIND / "holdout35.yaml",
    "blind-holdout36": BLIND / "holdout36.yaml",
    "blind-holdout37": BLIND / "holdout37.yaml",
    "blind-holdout38": BLIND / "holdout38.yaml",
    "blind-holdout39": BLIND / "holdout39.yaml",
}

REQUIRED_KEYS = {"id", "question", "answerable", "facts", "support", "tags"}
SUPPORT_RE = re.compile(r"^(?P<file>[^:/\\]+):(?P<start>\d+)(?:-(?P<end>\d+))?$")
# Official id prefixes: a### / u###; dev: d### / du###.
ID_RE = {
    "official": (re.compile(r"^a\d{3}$"), re.compile(r"^u\d{3}$")),
    "dev": (re.compile(r"^d\d{3}$"), re.compile(r"^du\d{3}$")),
    "blind-tune": (re.compile(r"^t\d{3}$"), re.compile(r"^tu\d{3}$")),
    "blind-holdout1": (re.compile(r"^h\d{3}$"), re.compile(r"^hu\d{3}$")),
    "blind-holdout2": (re.compile(r"^g\d{3}$"), re.compile(r"^gu\d{3}$")),
    "blind-holdout3": (re.compile(r"^k\d{3}$"), re.compile(r"^ku\d{3}$")),
    "blind-holdout4": (re.compile(r"^m\d{3}$"), re.compile(r"^mu\d{3}$")),
    "blind-holdout5": (re.compile(r"^p\d{3}$"), re.compile(r"^pu\d{3}$")),
    "blind-holdout6": (re.compile(r"^r\d{3}$"), re.compile(r"^ru\d{3}$")),
    "blind-holdout7": (re.compile(r"^s\d{3}$"), re.compile(r"^su\d{3}$")),
    "blind-holdout8": (re.compile(r"^v\d{3}$"), re.compile(r"^vu\d{3}$")),
    "blind-holdout9": (re.compile(r"^w\d{3}$"), re.compile(r"^wu\d{3}$")),
    "blind-holdout10": (re.compile(r"^x\d{3}$"), re.compile(r"^xu\d{3}$")),
    "blind-holdout11": (re.compile(r"^y\d{3}$"), re.compile(r"^yu\d{3}$")),
    "blind-holdout12": (re.compile(r"^z\d{3}$"), re.compile(r"^zu\d{3}$")),
    "blind-holdout13": (re.compile(r"^q\d{3}$"), re.compile(r"^qu\d{3}$")),
    "blind-holdout14": (re.compile(r"^b\d{3}$"), re.compile(r"^bu\d{3}$")),
    "blind-holdout15": (re.compile(r"^c\d{3}$"), re.compile(r"^cu\d{3}$")),
    "blind-holdout16": (re.compile(r"^e\d{3}$"), re.compile(r"^eu\d{3}$")),
    "blind-holdout17": (re.compile(r"^f\d{3}$"), re.compile(r"^fu\d{3}$")),
    "blind-holdout18": (re.compile(r"^j\d{3}$"), re.compile(r"^ju\d{3}$")),
    "blind-holdout19": (re.compile(r"^l\d{3}$"), re.compile(r"^lu\d{3}$")),
    "blind-holdout20": (re.compile(r"^n\d{3}$"), re.compile(r"^nu\d{3}$")),
    "blind-holdout21": (re.compile(r"^o\d{3}$"), re.compile(r"^ou\d{3}$")),
    "blind-holdout22": (re.compile(r"^i\d{3}$"), re.compile(r"^iu\d{3}$")),
    "blind-holdout23": (re.compile(r"^xa\d{3}$"), re.compile(r"^xau\d{3}$")),
    "blind-holdout24": (re.compile(r"^xb\d{3}$"), re.compile(r"^xbu\d{3}$")),
    "blind-holdout25": (re.compile(r"^xc\d{3}$"), re.compile(r"^xcu\d{3}$")),
    "blind-holdout26": (re.compile(r"^xd\d{3}$"), re.compile(r"^xdu\d{3}$")),
    "blind-holdout27": (re.compile(r"^xe\d{3}$"), re.compile(r"^xeu\d{3}$")),
    "blind-holdout28": (re.compile(r"^xf\d{3}$"), re.compile(r"^xfu\d{3}$")),
    "blind-holdout29": (re.compile(r"^xg\d{3}$"), re.compile(r"^xgu\d{3}$")),
    "blind-holdout30": (re.compile(r"^xh\d{3}$"), re.compile(r"^xhu\d{3}$")),
    "blind-holdout31": (re.compile(r"^xi\d{3}$"), re.compile(r"^xiu\d{3}$")),
    "blind-holdout32": (re.compile(r"^xj\d{3}$"), re.compile(r"^xju\d{3}$")),
    "blind-holdout33": (re.compile(r"^xk\d{3}$"), re.compile(r"^xku\d{3}$")),
    "blind-holdout34": (re.compile(r"^xl\d{3}$"), re.compile(r"^xlu\d{3}$")),
    "blind-holdout35": (re.compile(r"^xm\d{3}$"), re.compile(r"^xmu\d{3}$")),
    "blind-holdout36": (re.compile(r"^xn\d{3}$"), re.compile(r"^xnu\d{3}$")),
    "blind-holdout37": (re.compile(r"^xo\d{3}$"), re.compile(r"^xou\d{3}$")),
    "blind-holdout38": (re.compile(r"^xp\d{3}$"), re.compile(r"^xpu\d{3}$")),
    "blind-holdout39": (re.compile(r"^xq\d{3}$"), re.compile(r"^xqu\d{3}$")),
}
DIGEST_FROM_003 = ("003_7e1cebe2f3b09a14.txt", 14)


@cache
def load_set(name: str) -> dict:
    with SETS[name].open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def questions(name: str) -> list[dict]:
    return load_set(name)["questions"]


@cache
def seed_lines(filename: str) -> tuple[str, ...]:
    """Lines of a seed file, 1-based as an editor shows them.

    CRLF and lone CR count like LF; a final line without a newline still counts; a trailing
    newline does not create an extra empty line. Only line terminators split (not U+2028 etc.).
    """
    text = (SEEDS / filename).read_bytes().decode("utf-8")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "" and text.endswith("\n"):
        lines.pop()
    return tuple(lines)


def parse_support(ref: str) -> tuple[str, int, int]:
    m = SUPPORT_RE.match(ref)
    assert m, f"bad support reference {ref!r} (want file:line or file:start-end)"
    start = int(m["start"])
    end = int(m["end"]) if m["end"] else start
    return m["file"], start, end


def cases(name: str):
    return [
        pytest.param(name, q, id=f"{name}-{q.get('id', i)}") for i, q in enumerate(questions(name))
    ]


ALL_CASES = [c for name in SETS for c in cases(name)]


# ----------------------------------------------------------------------------- file-level
@pytest.mark.parametrize("name", list(SETS))
def test_file_header(name):
    data = load_set(name)
    assert isinstance(data, dict), "top level must be a mapping"
    assert data.get("version") == 1
    assert isinstance(data.get("questions"), list) and data["questions"]


@pytest.mark.parametrize("name", list(SETS))
def test_ids_unique(name):
    counts = Counter(q.get("id") for q in questions(name))
    dupes = sorted(str(k) for k, v in counts.items() if v > 1)
    assert not dupes, f"duplicate ids: {dupes}"


@pytest.mark.parametrize("name", list(SETS))
def test_question_texts_unique_within_set(name):
    counts = Counter(normalize(q["question"]) for q in questions(name))
    dupes = [k for k, v in counts.items() if v > 1]
    assert not dupes, f"duplicate question texts: {dupes}"


def test_no_question_shared_between_sets():
    official = {normalize(q["question"]): q["id"] for q in questions("official")}
    shared = [
        (official[t], q["id"])
        for q in questions("dev")
        if (t := normalize(q["question"])) in official
    ]
    assert not shared, f"question text duplicated between sets: {shared}"


# ----------------------------------------------------------------------------- per question
@pytest.mark.parametrize("name,q", ALL_CASES)
def test_schema(name, q):
    missing = REQUIRED_KEYS - set(q)
    assert not missing, f"missing keys: {sorted(missing)}"
    assert isinstance(q["id"], str)
    answerable_re, unanswerable_re = ID_RE[name]
    assert isinstance(q["question"], str) and q["question"].strip()
    assert isinstance(q["answerable"], bool)
    assert isinstance(q["facts"], list)
    assert isinstance(q["support"], list)
    assert isinstance(q["tags"], list) and all(isinstance(t, str) for t in q["tags"])
    for fact in q["facts"]:
        assert isinstance(fact, list) and fact, (
            f"fact must be a non-empty list of alternatives: {fact!r}"
        )
        for alt in fact:
            assert isinstance(alt, str) and normalize(alt), f"empty fact alternative in {fact!r}"
    for ref in q["support"]:
        assert isinstance(ref, str)
    if q["answerable"]:
        assert answerable_re.match(q["id"]), f"answerable id should match {answerable_re.pattern}"
        assert len(q["facts"]) >= 1, "answerable question needs at least one fact"
        assert len(q["support"]) >= 1, "answerable question needs at least one support line"
    else:
        assert unanswerable_re.match(q["id"]), (
            f"unanswerable id should match {unanswerable_re.pattern}"
        )
        assert q["facts"] == [], "unanswerable question must have no facts"
        assert q["support"] == [], "unanswerable question must have no support"
    if "multi-fact" in q["tags"]:
        assert len(q["facts"]) >= 2, "multi-fact question needs at least two facts"


@pytest.mark.parametrize("name,q", ALL_CASES)
def test_support_lines_exist(name, q):
    for ref in q["support"]:
        filename, start, end = parse_support(ref)
        path = SEEDS / filename
        assert path.is_file(), f"{ref}: no such seed file {filename}"
        lines = seed_lines(filename)
        assert 1 <= start <= end <= len(lines), f"{ref}: line out of range 1..{len(lines)}"
        assert lines[start - 1].strip(), f"{ref}: cited line {start} is blank"
        assert lines[end - 1].strip(), f"{ref}: cited line {end} is blank"


@pytest.mark.parametrize("name,q", ALL_CASES)
def test_facts_occur_on_support(name, q):
    cited = []
    for ref in q["support"]:
        filename, start, end = parse_support(ref)
        lines = seed_lines(filename)
        cited.extend(normalize(line) for line in lines[start - 1 : end])
    for fact in q["facts"]:
        assert any(normalize(alt) in line for alt in fact for line in cited), (
            f"no alternative of fact {fact!r} occurs on support {q['support']}"
        )


# ----------------------------------------------------------------------------- official counts
def _tag_count(tag: str) -> int:
    return sum(tag in q["tags"] for q in questions("official"))


def test_official_counts():
    qs = questions("official")
    assert len(qs) >= 60, f"only {len(qs)} questions"
    unanswerable = sum(not q["answerable"] for q in qs)
    assert unanswerable >= 10, f"only {unanswerable} unanswerable"
    assert len(qs) - unanswerable >= 50, f"only {len(qs) - unanswerable} answerable"


@pytest.mark.parametrize(
    "tag,minimum", [("multi-fact", 5), ("diacritics", 5), ("noise", 3), ("injection", 3)]
)
def test_official_tag_counts(tag, minimum):
    assert _tag_count(tag) >= minimum, f"only {_tag_count(tag)} questions tagged {tag}"


def test_official_covers_every_seed_file():
    cited = {parse_support(ref)[0] for q in questions("official") for ref in q["support"]}
    seeds = {p.name for p in SEEDS.glob("*.txt")}
    assert seeds, "no seed files found"
    assert not seeds - cited, f"seed files without any question: {sorted(seeds - cited)}"


def test_official_covers_digest_half_of_003():
    filename, first = DIGEST_FROM_003
    if not (SEEDS / filename).is_file():
        pytest.skip(f"{filename} not present")
    hits = [
        q["id"]
        for q in questions("official")
        for ref in q["support"]
        if parse_support(ref)[0] == filename and parse_support(ref)[1] >= first
    ]
    assert hits, f"no question cites the digest part of {filename} (line {first} on)"
