"""Properties over random input (Hypothesis): never a crash, and every citation is real.

- Any unicode question (control characters, lone surrogates, other scripts, seed words mixed with
  noise) is either rejected with ``QuestionError`` or answered; every citation of an answer
  verifies against the lines read straight from disk.
- Any unicode documents (any newline style, a BOM, blank lines, very long lines, other scripts)
  index incrementally into exactly what a fresh build would hold, and answers about them cite only
  real lines.
- Chunking keeps every chunk verbatim, addressed to the right line, with unique ids.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from reliability_helpers import SEEDS, assert_citations_real, assert_index_consistent

from assistant import Assistant, QuestionError
from assistant.api import clean_question
from assistant.chunking import chunk_document
from assistant.documents import Document, split_lines

SEED_WORDS = sorted(
    {w for p in SEEDS.iterdir() for w in re.findall(r"\w+", p.read_text(encoding="utf-8"))}
)
ANY_CHAR = st.characters(exclude_categories=())  # includes lone surrogates and controls
NOISE = st.text(ANY_CHAR, max_size=12)
QUESTIONS = st.one_of(
    st.text(ANY_CHAR, max_size=300),
    st.lists(st.one_of(st.sampled_from(SEED_WORDS), NOISE), min_size=1, max_size=12).map(" ".join),
    st.lists(st.sampled_from(SEED_WORDS), min_size=1, max_size=8).map(
        lambda ws: "What did " + " ".join(ws) + "?"
    ),
)
SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@pytest.fixture(scope="module")
def seeds_hash(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("props")
    shutil.copytree(SEEDS, root / "corpus")
    a = Assistant(
        corpus=root / "corpus",
        index_dir=root / "index",
        embedding_model="hash",
        backend="extractive",
    )
    a.build_index()
    return a


@SLOW
@given(question=QUESTIONS)
def test_any_question_is_rejected_or_answered_with_real_citations(
    seeds_hash: Assistant, question: str
) -> None:
    try:
        ans = seeds_hash.ask(question)
    except QuestionError:
        with pytest.raises(QuestionError):  # rejected only when cleaning leaves no words
            clean_question(question)
        return
    event("refused" if ans.refused else "answered")
    assert ans.question == clean_question(question)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]", ans.question)
    assert_citations_real(ans, Path(seeds_hash.settings.corpus))


# ------------------------------------------------------------------------------ documents
LINE_CHARS = st.characters(exclude_categories=("Cs", "Zl", "Zp"), exclude_characters="\r\n")
WORDS = st.lists(
    st.sampled_from(SEED_WORDS[:400]) | st.text(LINE_CHARS, min_size=1, max_size=9),
    min_size=0,
    max_size=40,
).map(" ".join)
LINES = st.lists(
    st.one_of(
        WORDS, st.just(""), st.text(LINE_CHARS, max_size=80), WORDS.map(lambda w: (w + " ") * 40)
    ),  # a line longer than 2 chunks
    min_size=0,
    max_size=25,
)
NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])
NAME = st.text(
    st.characters(categories=("Ll", "Lu", "Lo", "Nd"), max_codepoint=0x9FFF),
    min_size=1,
    max_size=12,
)


@st.composite
def corpora(draw: st.DrawFn) -> dict[str, bytes]:
    files = {}
    for _ in range(draw(st.integers(1, 3))):
        lines = draw(LINES)
        nl = draw(NEWLINES)
        text = nl.join(lines) + (nl if draw(st.booleans()) else "")
        bom = "\ufeff" if draw(st.booleans()) else ""
        files[draw(NAME) + ".txt"] = (bom + text).encode("utf-8")
    return files


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("random-docs")
    (root / "corpus").mkdir()
    return Assistant(
        corpus=root / "corpus",
        index_dir=root / "index",
        embedding_model="hash",
        backend="extractive",
    )


@settings(SLOW, max_examples=25)
@given(files=corpora(), data=st.data())
def test_any_documents_index_consistently_and_cite_real_lines(
    scratch: Assistant, files: dict[str, bytes], data: st.DataObject
) -> None:
    corpus = Path(scratch.settings.corpus)
    for p in corpus.iterdir():
        p.unlink()
    for name, content in files.items():
        (corpus / name).write_bytes(content)
    # One file with a known line, so that there is always something to find.
    (corpus / "anchor.txt").write_text("The anchor line names Orla Quint as keeper.\n")
    scratch.build_index(warn=lambda m: None)  # incremental: the previous example's files go
    assert_index_consistent(corpus, scratch.settings.index_path)
    lines = [ln for c in files.values() for ln in split_lines(c.decode("utf-8-sig")) if ln.strip()]
    words = re.findall(r"\w+", " ".join(lines))
    question = (
        " ".join(
            data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=6))
            if words
            else ["keeper"]
        )
        + "?"
    )
    try:
        ans = scratch.ask(question)
    except QuestionError:
        return
    event("refused" if ans.refused else "answered")
    assert_citations_real(ans, corpus)
    assert scratch.ask("Who is named as keeper in the anchor line?").citations


# ------------------------------------------------------------------------------ chunking
@settings(max_examples=300, derandomize=True)
@given(lines=LINES, chunk_chars=st.integers(100, 400))
def test_chunks_are_verbatim_line_addressed_and_unique(lines: list[str], chunk_chars: int) -> None:
    doc = Document("d.txt", tuple(lines), "0")
    chunks = chunk_document(doc, chunk_chars)
    assert len({c.id for c in chunks}) == len(chunks)
    covered: set[int] = set()
    for c in chunks:
        assert 1 <= c.start_line <= c.end_line <= len(lines)
        assert c.text.strip()
        real = "\n".join(lines[c.start_line - 1 : c.end_line])
        if c.start_line == c.end_line and len(real) > 2 * chunk_chars:
            assert c.text in real  # a piece of a long line
        else:
            assert c.text == real
        covered.update(range(c.start_line, c.end_line + 1))
    assert {i for i, ln in enumerate(lines, 1) if ln.strip()} <= covered
