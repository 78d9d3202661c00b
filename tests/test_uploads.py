"""Documents uploaded in the UI: kept in the user's data folder (never the corpus or the
repository), indexed with the corpus as ``uploads/<name>``, listed, removable, readable by
``lookup`` and kept across restarts. Pure functions and ``ChatApp`` handlers; no browser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.documents import discover, source_of
from assistant.settings import Settings
from assistant.ui import ChatApp, list_uploads, remove_upload, render_uploads, store_upload

REPO = Path(__file__).resolve().parents[1]
EXTS = [".txt", ".md"]
ZORBIA = b"Intro line.\nThe Zorbian observatory opened on 3 March 2031 in Quillon.\n"


@pytest.fixture
def world(tmp_path: Path):
    """A one-file corpus, its own uploads folder and a hash-embedder assistant over them."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "base.txt").write_text("The lighthouse of Ostrava was painted red in 1901.\n")
    uploads = tmp_path / "data" / "uploads"

    def make() -> Assistant:
        return Assistant(
            corpus=corpus,
            index_dir=tmp_path / "index",
            embedding_model="hash",
            backend="extractive",
            uploads_dir=uploads,
        )

    return corpus, uploads, make


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    d = tmp_path / "incoming"
    d.mkdir(exist_ok=True)
    (d / name).write_bytes(data)
    return d / name


# --------------------------------------------------------------------------- the setting
def test_default_uploads_folder_is_per_corpus_user_data(monkeypatch, tmp_path):
    monkeypatch.delenv("ASSISTANT_UPLOADS_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    a, b = tmp_path / "a" / "docs", tmp_path / "b" / "docs"
    pa, pb = Settings(corpus=a).uploads_path, Settings(corpus=b).uploads_path
    assert pa.parent == tmp_path / "xdg" / "assistant" / "uploads"
    assert pa.name.startswith("docs-") and pa != pb  # same folder name, different corpora
    assert not pa.is_relative_to(a) and not Settings().uploads_path.is_relative_to(REPO)
    monkeypatch.delenv("XDG_DATA_HOME")
    home = Path.home() / ".local" / "share" / "assistant" / "uploads"
    assert Settings(corpus=a).uploads_path.parent == home


def test_env_and_argument_choose_the_uploads_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_UPLOADS_DIR", str(tmp_path / "env"))
    assert Settings().uploads_path == tmp_path / "env"
    assert Settings(uploads_dir=tmp_path / "arg").uploads_path == tmp_path / "arg"


def test_tests_never_write_uploads_under_the_repository_or_home():
    # conftest's autouse fixture points every test at a throwaway folder.
    folder = Path(os.environ["ASSISTANT_UPLOADS_DIR"]).resolve()
    assert Settings().uploads_path.resolve() == folder
    assert not folder.is_relative_to(REPO)
    assert not folder.is_relative_to(Path.home() / ".local")


# --------------------------------------------------------------------------- discovery
def test_discover_takes_uploads_as_a_second_root(tmp_path):
    corpus, uploads = tmp_path / "c", tmp_path / "u"
    (corpus / "sub").mkdir(parents=True)
    uploads.mkdir()
    (corpus / "sub" / "a.txt").write_text("a\n")
    (uploads / "n.txt").write_text("n\n")
    (uploads / ".n.txt.part").write_text("half\n")  # a half-written upload: hidden
    (uploads / "x.exe").write_text("x\n")
    paths = discover(corpus, EXTS, uploads=uploads)
    assert [source_of(p, corpus, uploads) for p in paths] == ["sub/a.txt", "uploads/n.txt"]
    assert discover(corpus, EXTS, uploads=tmp_path / "missing") == [corpus / "sub" / "a.txt"]


def test_a_corpus_uploads_folder_wins_a_clash(tmp_path):
    corpus, uploads = tmp_path / "c", tmp_path / "u"
    (corpus / "uploads").mkdir(parents=True)
    uploads.mkdir()
    (corpus / "uploads" / "n.txt").write_text("corpus\n")
    (uploads / "n.txt").write_text("upload\n")
    (uploads / "m.txt").write_text("upload\n")
    warnings: list[str] = []
    paths = discover(corpus, EXTS, warnings.append, uploads=uploads)
    assert paths == [corpus / "uploads" / "n.txt", uploads / "m.txt"]
    assert warnings == ["skipped the upload uploads/n.txt: the corpus has a file of that name"]


def test_an_uploads_folder_inside_the_corpus_is_not_indexed_twice(tmp_path):
    corpus = tmp_path / "c"
    (corpus / "mine").mkdir(parents=True)
    (corpus / "a.txt").write_text("a\n")
    (corpus / "mine" / "n.txt").write_text("n\n")
    paths = discover(corpus, EXTS, uploads=corpus / "mine")
    sources = [source_of(p, corpus, corpus / "mine") for p in paths]
    assert sources == ["a.txt", "uploads/n.txt"]


# --------------------------------------------------------------------------- store, list, remove
def test_store_list_and_remove(tmp_path):
    uploads = tmp_path / "uploads"
    assert list_uploads(uploads, EXTS) == [] and "No uploaded documents" in render_uploads([])
    r = store_upload(_file(tmp_path, "Zorbia report.txt", ZORBIA), uploads, EXTS, 10)
    assert r.stored == "uploads/Zorbia_report.txt"
    (listed,) = list_uploads(uploads, EXTS)
    assert (listed.name, listed.source, listed.size) == (
        "Zorbia_report.txt",
        "uploads/Zorbia_report.txt",
        len(ZORBIA),
    )
    assert "uploads/Zorbia_report.txt" in render_uploads([listed])
    gone = remove_upload(uploads, "uploads/Zorbia_report.txt")
    assert gone.message == "uploads/Zorbia_report.txt: removed"
    assert list_uploads(uploads, EXTS) == [] and not (uploads / "Zorbia_report.txt").exists()
    again = remove_upload(uploads, "Zorbia_report.txt")
    assert (
        again.stored is None
        and again.message == "uploads/Zorbia_report.txt: not an uploaded document"
    )


@pytest.mark.parametrize(
    "name",
    ["../base.txt", "uploads/../../etc/passwd", "/etc/passwd", "", ".secret.txt", "a/b.txt", ".."],
)
def test_remove_refuses_names_outside_the_uploads_folder(tmp_path, name):
    uploads = tmp_path / "data" / "uploads"
    uploads.mkdir(parents=True)
    (tmp_path / "data" / "base.txt").write_text("keep\n")
    (uploads / ".secret.txt").write_text("keep\n")
    r = remove_upload(uploads, name)
    assert r.stored is None and "not an uploaded document" in r.message and "\n" not in r.message
    assert (tmp_path / "data" / "base.txt").exists() and (uploads / ".secret.txt").exists()


def test_an_upload_clashing_with_the_corpus_uploads_folder_gets_another_name(tmp_path):
    corpus, uploads = tmp_path / "corpus", tmp_path / "uploads"
    (corpus / "uploads").mkdir(parents=True)
    (corpus / "uploads" / "notes.txt").write_text("the corpus's own notes\n")
    r = store_upload(_file(tmp_path, "notes.txt", b"mine\n"), uploads, EXTS, 10, corpus)
    assert r.stored == "uploads/notes-2.txt" and (uploads / "notes-2.txt").read_bytes() == b"mine\n"
    same = _file(tmp_path, "notes.txt", b"the corpus's own notes\n")
    r = store_upload(same, uploads, EXTS, 10, corpus)
    assert r.stored == "uploads/notes.txt" and "already in the corpus" in r.message
    assert sorted(p.name for p in uploads.iterdir()) == ["notes-2.txt"]


# --------------------------------------------------------------------------- the app
def test_upload_is_indexed_listed_removed_and_survives_a_restart(world, tmp_path):
    corpus, uploads, make = world
    app = ChatApp(make())
    app.assistant.build_index()
    notice, status = app.upload([str(_file(tmp_path, "Zorbia report.txt", ZORBIA))])
    assert "added as uploads/Zorbia_report.txt" in notice and "Indexed: 2 files" in notice
    assert [u.source for u in app.uploads()] == ["uploads/Zorbia_report.txt"]
    assert sorted(p.name for p in corpus.rglob("*")) == ["base.txt"]  # the corpus is untouched
    assert app.assistant.lookup("uploads/Zorbia_report.txt")[1].startswith("The Zorbian")

    restarted = ChatApp(make())  # a new process: same settings, same folders
    assert [u.source for u in restarted.uploads()] == ["uploads/Zorbia_report.txt"]
    assert restarted.assistant.lookup("uploads/Zorbia_report.txt") is not None
    ev = restarted.assistant.retrieve("When did the Zorbian observatory open?")
    assert ev and ev[0].source == "uploads/Zorbia_report.txt"

    notice, status = restarted.remove("uploads/Zorbia_report.txt")
    assert "uploads/Zorbia_report.txt: removed" in notice and "Indexed: 1 files" in notice
    assert "<th>Files</th><td>1</td>" in status
    assert restarted.uploads() == [] and not any(uploads.iterdir())
    assert restarted.assistant.index.get_file("uploads/Zorbia_report.txt") is None
    assert restarted.assistant.lookup("uploads/Zorbia_report.txt") is None
    ev = restarted.assistant.retrieve("When did the Zorbian observatory open?")
    assert all(e.source == "base.txt" for e in ev)  # its chunks are gone


def test_remove_of_an_unknown_name_says_so_and_keeps_the_index(world):
    _, _, make = world
    app = ChatApp(make())
    app.assistant.build_index()
    notice, _ = app.remove("uploads/../base.txt")
    assert "not an uploaded document" in notice and "Indexed" not in notice
    notice, _ = app.remove(None)
    assert "not an uploaded document" in notice


def test_a_refused_file_shows_its_own_reason_not_the_previous_message(world, tmp_path):
    _, _, make = world
    app = ChatApp(make())
    app.assistant.build_index()
    first, _ = app.upload([str(_file(tmp_path, "good.txt", b"fine words\n"))])
    assert "good.txt: added" in first
    notice, _ = app.upload([str(_file(tmp_path, "tool.exe", b"MZ"))])
    assert "tool.exe: refused, only text files" in notice
    assert "good.txt" not in notice and "Indexed" not in notice
    notice, _ = app.upload([str(_file(tmp_path, "bin.txt", b"ab\x00cd"))])
    assert "bin.txt: refused, not a text file" in notice and "tool.exe" not in notice


@pytest.mark.parametrize(
    "source",
    [
        "uploads/../../etc/passwd",
        "uploads/../base.txt",
        "uploads/../../corpus/base.txt",
        "uploads//etc/passwd",
        "/etc/passwd",
        "uploads/",
        "uploads",
    ],
)
def test_lookup_of_uploads_cannot_leave_the_folders(world, tmp_path, source):
    _, uploads, make = world
    a = make()
    uploads.mkdir(parents=True)
    (uploads / "n.txt").write_text("uploaded words\n")
    a.build_index()
    assert a.lookup("uploads/n.txt") == ["uploaded words"]
    assert a.lookup(source) is None


def test_lookup_prefers_the_corpus_file_of_a_clashing_name(world):
    corpus, uploads, make = world
    (corpus / "uploads").mkdir()
    (corpus / "uploads" / "n.txt").write_text("from the corpus\n")
    uploads.mkdir(parents=True)
    (uploads / "n.txt").write_text("from the upload\n")
    (uploads / "m.txt").write_text("only uploaded\n")
    a = make()
    a.build_index()
    assert a.lookup("uploads/n.txt") == ["from the corpus"]
    assert a.lookup("uploads/m.txt") == ["only uploaded"]


def test_an_evaluation_measures_the_corpus_alone(tmp_path, monkeypatch):
    """`include_uploads=False` (what `assistant eval`, the gate and eval_corpora use): a file a
    user uploaded for this corpus is neither indexed nor readable through lookup."""
    from assistant import Assistant

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The vault code is 4711.\n", encoding="utf-8")
    uploads = tmp_path / "up"
    uploads.mkdir()
    (uploads / "extra.txt").write_text("The garage code is 9000.\n", encoding="utf-8")
    kw = {"corpus": corpus, "embedding_model": "hash", "uploads_dir": uploads}
    with_uploads = Assistant(index_dir=tmp_path / "i1", **kw)
    assert with_uploads.build_index().files == 2
    assert with_uploads.lookup("uploads/extra.txt") is not None
    alone = Assistant(index_dir=tmp_path / "i2", include_uploads=False, **kw)
    assert alone.build_index().files == 1
    assert alone.lookup("uploads/extra.txt") is None
