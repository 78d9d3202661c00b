"""Static checks of the question sets of the other corpora (tests/eval/corpora/*/dev|test.yaml).

Each set was written by someone who saw only that corpus's documents. Offline and fast: every
answerable question's facts must occur on its support lines (as an editor numbers them), its
short gold answer must agree with a fact, and unanswerable ones carry no answer.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
import yaml

from assistant import loaders
from assistant.documents import load as load_document
from assistant.normalize import normalize

ROOT = Path(__file__).resolve().parents[1]
CORPORA = yaml.safe_load((ROOT / "tests/eval/corpora/corpora.yaml").read_text(encoding="utf-8"))
SETS = {
    f"{name}-{part}": (ROOT / c["docs"], ROOT / f)
    for name, c in CORPORA.items()
    if name != "seeds"
    for part in ("dev", "test")
    for f in c[part]
}
SUPPORT = re.compile(r"^(?P<file>[^:]+?)(?: p\.(?P<page>\d+))?:(?P<a>\d+)(?:-(?P<b>\d+))?$")


def load(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]


CASES = [
    pytest.param(docs, q, id=f"{name}-{q['id']}")
    for name, (docs, path) in SETS.items()
    for q in load(path)
]


def lines_of(docs: Path, name: str) -> list[str]:
    return (docs / name).read_bytes().decode("utf-8").split("\n")


@functools.cache
def extracted(docs: Path, name: str) -> tuple[tuple[str, ...], tuple[int, ...] | None]:
    """The lines (and, for a PDF, each line's page) of a PDF/DOCX/HTML file as the assistant
    extracts them (``assistant.documents.load``)."""
    doc = load_document(docs / name, docs, 1 << 30)
    assert doc is not None, name
    return tuple(doc.lines), (tuple(doc.pages) if doc.pages else None)


def cited_text(docs: Path, refs: list[str]) -> str:
    """The normalised text of the lines ``refs`` name (each FILE:A or FILE:A-B, at most 5 lines;
    for a PDF, FILE p.N:A or FILE p.N:A-B, lines counted within page N). Plain text files are read
    as an editor numbers them; PDF, DOCX and HTML files through the assistant's loaders."""
    texts = []
    for ref in refs:
        m = SUPPORT.match(ref)
        assert m, ref
        a, b = int(m["a"]), int(m["b"] or m["a"])
        if Path(m["file"]).suffix.lower() not in loaders.LOADERS:
            assert m["page"] is None, ref
            lines = lines_of(docs, m["file"])
        else:
            lines, pages = extracted(docs, m["file"])
            assert (m["page"] is None) == (pages is None), ref  # PDFs are cited by page
            if m["page"] is not None:
                first = loaders.file_line(pages, int(m["page"]), a)
                last = loaders.file_line(pages, int(m["page"]), b)
                assert first is not None and last is not None, ref
                a, b = first, last
        assert 1 <= a <= b <= len(lines) and b - a <= 4, ref
        texts.append(normalize(" ".join(lines[a - 1 : b])))
    return re.sub(r"\s+", " ", " ".join(texts))


@pytest.mark.parametrize("docs,q", CASES)
def test_question(docs: Path, q: dict) -> None:
    base = {"id", "question", "answerable", "answer", "facts", "support", "tags"}
    # a set registered as both a plain and a complete-answer part (formats) carries those keys too
    extra = {"kind", "fact_support", "why"} if "fact_support" in q else set()
    assert base <= set(q) <= base | extra
    assert q["question"].strip()
    if not q["answerable"]:
        assert q["answer"] == "" and q["facts"] == [] and q["support"] == []
        return
    joined = cited_text(docs, q["support"])
    for fact in q["facts"]:
        assert any(re.sub(r"\s+", " ", normalize(alt)) in joined for alt in fact), fact
    alts = [normalize(a) for f in q["facts"] for a in f]
    gold = normalize(q["answer"])
    assert any(gold in a or a in gold for a in alts), q["answer"]


@pytest.mark.parametrize("name", sorted(SETS))
def test_ids_unique_and_a_third_unanswerable(name: str) -> None:
    qs = load(SETS[name][1])
    assert len({q["id"] for q in qs}) == len(qs)
    assert sum(not q["answerable"] for q in qs) * 3 >= len(qs)


# ----------------------------------------------------------------- complete-answer question sets
COMPLETE = {
    f"{name}-{part}": (ROOT / c["docs"], ROOT / f)
    for name, c in CORPORA.items()
    for part in ("complete-dev", "complete-test")
    for f in c.get(part, [])
}
COMPLETE_KEYS = {
    "id",
    "question",
    "answerable",
    "kind",
    "answer",
    "facts",
    "fact_support",
    "support",
    "tags",
}


def test_every_corpus_has_complete_answer_parts() -> None:
    for name, c in CORPORA.items():
        assert c.get("complete-dev") and c.get("complete-test"), name


@pytest.mark.parametrize(
    "docs,q",
    [pytest.param(d, q, id=f"{n}-{q['id']}") for n, (d, p) in COMPLETE.items() for q in load(p)],
)
def test_complete_question(docs: Path, q: dict) -> None:
    """Each fact occurs on the lines listed for it, and ``support`` is their union."""
    assert COMPLETE_KEYS <= set(q) <= COMPLETE_KEYS | {"why"}
    if not q["answerable"]:
        assert q["kind"] == "near-miss" and q["facts"] == q["fact_support"] == q["support"] == []
        assert q.get("why", "").strip()
        return
    assert q["kind"] in {"single", "list", "two-part", "description", "multi-file"}
    assert len(q["facts"]) == len(q["fact_support"]) and q["facts"]
    for fact, refs in zip(q["facts"], q["fact_support"], strict=True):
        joined = cited_text(docs, refs)
        assert all(re.sub(r"\s+", " ", normalize(alt)) in joined for alt in fact), fact
    assert set(q["support"]) == {ref for refs in q["fact_support"] for ref in refs}


@pytest.mark.parametrize("name", sorted(COMPLETE))
def test_complete_sets_have_enough_complete_questions_and_near_misses(name: str) -> None:
    qs = load(COMPLETE[name][1])
    assert len({q["id"] for q in qs}) == len(qs)
    assert sum(not q["answerable"] for q in qs) >= len(qs) // 3  # a third, rounded down
    complete = sum(q["kind"] in {"list", "two-part", "description", "multi-file"} for q in qs)
    assert complete >= (40 if name.endswith("complete-test") else 20)
