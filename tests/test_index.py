"""Incremental indexing against a real Chroma store (hash embedder for speed)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.chunking import chunk_document
from assistant.documents import CorpusError, Document


def test_first_build_then_unchanged_embeds_nothing(hash_assistant: Assistant) -> None:
    first = hash_assistant.build_index()
    assert first.files == 5 and first.chunks > 0 and first.embedded == first.chunks
    again = hash_assistant.build_index()
    assert again.embedded == 0 and again.removed == 0
    assert again.chunks == first.chunks


def test_changed_file_is_reembedded_alone(hash_assistant: Assistant, corpus: Path) -> None:
    hash_assistant.build_index()
    target = corpus / "000_fb43058b33008c4d.txt"
    target.write_text(
        target.read_text(encoding="utf-8") + "\nA brand new closing line.", encoding="utf-8"
    )
    report = hash_assistant.build_index()
    n_chunks = len(chunk_document(_doc(target, corpus)))
    assert report.embedded == n_chunks
    ev = hash_assistant.retrieve("brand new closing line")
    assert ev[0].source == "000_fb43058b33008c4d.txt" and ev[0].chunk.end_line == 19


def test_deleted_file_chunks_disappear(hash_assistant: Assistant, corpus: Path) -> None:
    first = hash_assistant.build_index()
    (corpus / "004_c68e8246998bbcaa.txt").unlink()
    report = hash_assistant.build_index()
    assert report.files == 4 and report.removed > 0
    assert report.chunks == first.chunks - report.removed
    assert all(
        e.source != "004_c68e8246998bbcaa.txt" for e in hash_assistant.retrieve("Kaja Kallas EU")
    )
    assert hash_assistant.index._chroma().count() == report.chunks


def test_new_file_in_subfolder_is_added(hash_assistant: Assistant, corpus: Path) -> None:
    hash_assistant.build_index()
    (corpus / "notes").mkdir()
    (corpus / "notes" / "extra.md").write_text("# Notes\n\nThe zebra crossing count was 42.\n")
    report = hash_assistant.build_index()
    assert report.embedded >= 1 and report.files == 6
    assert hash_assistant.retrieve("zebra crossing")[0].source == "notes/extra.md"


def test_model_change_forces_clean_rebuild(corpus: Path, tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    a = Assistant(corpus=corpus, index_dir=idx, embedding_model="hash")
    first = a.build_index()
    b = Assistant(corpus=corpus, index_dir=idx, embedding_model="hash:other")
    with pytest.raises(Exception, match="rebuild"):
        b.ask("Who led the delegation?")  # asking never mixes vector spaces
    report = b.build_index()
    assert report.rebuilt and report.embedded == first.chunks
    assert b.index.meta()["embedding_model"] == "hash-256-other"
    assert b.index._chroma().count() == first.chunks  # old vectors gone, not mixed


def test_rebuild_flag(hash_assistant: Assistant) -> None:
    first = hash_assistant.build_index()
    report = hash_assistant.build_index(rebuild=True)
    assert report.rebuilt and report.embedded == first.chunks


def test_empty_corpus_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    a = Assistant(corpus=tmp_path / "empty", index_dir=tmp_path / "i", embedding_model="hash")
    with pytest.raises(CorpusError, match="no documents"):
        a.build_index()


def test_unreadable_index_is_rebuilt_when_asked(
    hash_assistant: Assistant, capsys: pytest.CaptureFixture[str]
) -> None:
    hash_assistant.build_index()
    db = hash_assistant.index.db_path
    hash_assistant.index.close()
    db.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    fresh = Assistant(settings=hash_assistant.settings, backend="extractive")
    assert not fresh.ask("Who led the Vietnamese delegation to the AMM Retreat?").refused
    warnings = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1, warnings
    assert "was damaged (chunks.sqlite3: file is not a database)" in warnings[0]
    assert fresh.build_index().embedded == 0  # sound again: nothing to redo


def test_damage_is_judged_again_under_the_lock(hash_assistant: Assistant) -> None:
    """A sound index is never rebuilt: ``update`` finds no damage, whatever a reader guessed."""
    first = hash_assistant.build_index()
    assert hash_assistant.index.damage() is None
    again = hash_assistant.build_index()
    assert not again.rebuilt and again.embedded == 0 and again.chunks == first.chunks


def _doc(path: Path, root: Path) -> Document:
    from assistant.documents import load

    doc = load(path, root, 10**7)
    assert doc is not None
    return doc


def test_chunks_carry_lines_and_never_cross_files(hash_assistant: Assistant, corpus: Path) -> None:
    hash_assistant.build_index()
    db = sqlite3.connect(f"file:{hash_assistant.index.db_path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT source, start_line, end_line, text FROM chunks").fetchall()
    finally:
        db.close()
    for source, start, end, text in rows:
        lines = (corpus / source).read_text(encoding="utf-8").split("\n")
        assert 1 <= start <= end <= len(lines)
        assert text == "\n".join(lines[start - 1 : end])  # verbatim, from one file


def test_a_file_saved_during_indexing_is_picked_up_by_the_next_run(tmp_path, monkeypatch):
    """An editor or sync tool saves by truncating, then writing. If the indexer reads the file
    in between, it must record the hash of what it read (empty), not of what it scanned, so the
    next run re-reads the file: nothing the user saved is lost for good."""
    import assistant.index as index_mod
    from assistant import Assistant

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    doc = corpus / "notes.txt"
    doc.write_text("The vault code is 4711.\n", encoding="utf-8")
    real_load = index_mod.load

    def racing_load(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        full = path.read_bytes()
        path.write_bytes(b"")  # the writer truncated the file ...
        try:
            return real_load(path, *args, **kwargs)  # ... when the indexer read it
        finally:
            path.write_bytes(full)  # ... and then wrote the content back

    a = Assistant(corpus=corpus, index_dir=tmp_path / "idx", embedding_model="hash")
    monkeypatch.setattr(index_mod, "load", racing_load)
    a.build_index()
    monkeypatch.setattr(index_mod, "load", real_load)
    report = a.build_index()
    assert report.embedded >= 1, report.summary()  # the file is read again, not "0 embedded"
    hits = a.retrieve("What is the vault code?")
    assert any("4711" in e.chunk.text for e in hits)
