"""Checks shared by the reliability tests: is an index consistent, is every citation real.

Nothing here trusts the code under test: the corpus is re-read from disk, lines are numbered
independently of the index, and the vector store is compared with the chunk table id by id.
"""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
from pathlib import Path
from typing import Any

from assistant.chunking import chunk_document
from assistant.citations import parse_markers
from assistant.documents import iter_documents
from assistant.settings import Settings
from assistant.verify import check_citation

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
NZ_Q = "How much did New Zealand commit to regional programmes?"
NZ_SOURCE, NZ_LINE = "000_fb43058b33008c4d.txt", 11


def hash_env(corpus: Path, index_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a subprocess: the hash embedder, this corpus and index, nothing inherited
    that could change the outcome (ASSISTANT_*, OPENAI_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}
    env.update(
        ASSISTANT_EMBEDDING_MODEL="hash",
        ASSISTANT_CORPUS=str(corpus),
        ASSISTANT_INDEX_DIR=str(index_dir),
        ANONYMIZED_TELEMETRY="False",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def real_lines(corpus: Path, source: str) -> list[str] | None:
    """The lines of ``source`` read from disk now, decoded the way every reader of the corpus
    decodes them (its encoding detected, control characters replaced: ``documents.load``), or
    None when it is not a corpus file."""
    from assistant.documents import load

    root = corpus.resolve()
    path = (corpus / source).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    doc = load(path, root, 10**10)
    return list(doc.lines) if doc is not None else None


def assert_citations_real(answer: Any, corpus: Path) -> None:
    """Every citation points into a corpus file and its quote is in the cited lines; every marker
    left in the answer text is one of those citations; a refusal cites nothing."""
    if answer.refused:
        assert answer.citations == []
        return
    assert answer.citations, "an answer that is not a refusal must cite something"
    spans = set()
    for c in answer.citations:
        problem = check_citation(c, real_lines(corpus, c.source))
        assert problem is None, f"{c.marker}: {problem}"
        spans.add((c.source, c.start_line, c.end_line))
    for m in parse_markers(answer.text):
        assert (m.source, m.start_line, m.end_line) in spans, f"marker {m} has no citation"


def indexed_files(index_dir: Path) -> dict[str, int]:
    """source -> chunk count, read from the chunk table without going through ``Index``."""
    con = sqlite3.connect(f"file:{index_dir / 'chunks.sqlite3'}?mode=ro", uri=True)
    try:
        return dict(con.execute("SELECT source, n_chunks FROM files").fetchall())
    finally:
        con.close()


def index_meta(index_dir: Path) -> dict[str, str]:
    con = sqlite3.connect(f"file:{index_dir / 'chunks.sqlite3'}?mode=ro", uri=True)
    try:
        return dict(con.execute("SELECT key, value FROM meta").fetchall())
    finally:
        con.close()


def assert_index_consistent(corpus: Path, index_dir: Path) -> None:
    """The index is exactly what a fresh build of ``corpus`` would hold.

    The files table lists every loadable document with its chunk count; the chunk table holds each
    document's chunks verbatim with the right lines; the vector store holds one vector per chunk
    and nothing else; and no interrupted run is pending.
    """
    from assistant import Assistant

    s = Settings(corpus=corpus, index_dir=index_dir, embedding_model="hash")
    meta = index_meta(index_dir)
    assert meta.get("dirty") == "0" and meta.get("rebuild") != "1", meta
    want: dict[str, list[tuple[int, int, str]]] = {}
    for doc in iter_documents(corpus, s.extensions, int(s.max_file_mb * 1e6)):
        want[doc.source] = sorted(
            (c.start_line, c.end_line, c.text) for c in chunk_document(doc, s.chunk_chars)
        )
    assert indexed_files(index_dir) == {src: len(cs) for src, cs in want.items()}
    con = sqlite3.connect(f"file:{index_dir / 'chunks.sqlite3'}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT id, source, start_line, end_line, text FROM chunks").fetchall()
    finally:
        con.close()
    got: dict[str, list[tuple[int, int, str]]] = {}
    for _, source, start, end, text in rows:
        got.setdefault(source, []).append((start, end, text))
    assert {k: sorted(v) for k, v in got.items()} == {k: v for k, v in want.items() if v}
    a = Assistant(settings=s)
    coll = a.index._chroma()
    ids: list[str] = []
    while batch := coll.get(limit=5000, offset=len(ids), include=[])["ids"]:
        ids += batch
    assert sorted(ids) == sorted(r[0] for r in rows), "vector ids differ from chunk ids"
    a.index.close()


def topic(i: int, j: int) -> str:
    """A made-up word naming paragraph j of file i, far (in edit distance) from every other."""
    digest = hashlib.sha1(f"{i}/{j}".encode()).digest()
    return "".join("bcdfghjklmnpqrstvwxz"[b % 20] for b in digest[:9])


def make_corpus(folder: Path, files: int, paragraphs: int, seed: int = 0) -> None:
    """Files of paragraphs, each holding one unique fact: "the code of the <topic(i, j)> project
    is C<i>X<j>"."""
    rng = random.Random(seed)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda omicron".split()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        paras = [
            f"Document {i} paragraph {j}: the code of the {topic(i, j)} project is C{i}X{j}. "
            + " ".join(rng.choices(words, k=70))
            for j in range(paragraphs)
        ]
        (folder / f"f{i:03d}.txt").write_text("\n\n".join(paras) + "\n", encoding="utf-8")


def answer_data(answer) -> dict:  # type: ignore[no-untyped-def]
    """``answer.to_dict()`` without what may differ between two runs of one question: timings,
    and the model's log-probabilities (llama.cpp's differ in the 4th decimal between a cached
    and a fresh prompt), so the signals and the confidence computed from them."""
    drop = {"timings", "signals", "confidence"}
    return {k: v for k, v in answer.to_dict().items() if k not in drop}
