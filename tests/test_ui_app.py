"""The UI's handlers (``ChatApp``) driven directly, without a server: answers, follow-ups,
refusals, errors, the source panel's guard, sessions, uploads and re-indexing."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from assistant.ui import ChatApp, error_message, safe_filename, store_upload
from assistant.ui_render import ANSWER, ERROR, REFUSAL

NZ_Q = "How much did New Zealand commit to regional programmes?"
NZ_LINE = ("000_fb43058b33008c4d.txt", 11)
UK_LINE = ("004_c68e8246998bbcaa.txt", 6)
EXTS = [".txt", ".md"]


@pytest.fixture
def app(hash_assistant) -> ChatApp:
    hash_assistant.settings.backend = "extractive"
    hash_assistant.build_index()
    return ChatApp(hash_assistant)


def ask(app: ChatApp, question: str, turns=None, backend="extractive"):
    *_, (html, turns, box) = app.respond(question, turns, backend, 6)
    assert box == ""  # the question box is cleared
    return html, turns


def cited(turn) -> list[tuple[str, int]]:
    return [(c.source, c.start_line) for c in turn.citations]


def test_answer_with_citation_chips(app):
    html, turns = ask(app, NZ_Q)
    (t,) = turns
    assert t.status == ANSWER and NZ_LINE in cited(t)
    assert "329 million" in t.text
    assert f'data-source="{NZ_LINE[0]}" data-start="11"' in html
    assert "Sources" in html


def test_follow_up_uses_the_conversation(app):
    # The default backend (the bundled local model): the follow-up is answered by it.
    _, turns = ask(app, NZ_Q, backend="auto")
    html, turns = ask(app, "And how much did the UK commit?", turns, backend="auto")
    t = turns[-1]
    assert t.query == "How much did the UK commit to regional programmes?"
    assert t.status == ANSWER and UK_LINE in cited(t)
    assert "£17 million" in t.text
    assert "Understood as: How much did the UK commit to regional programmes?" in html


def test_refusal_is_a_refusal(app):
    html, turns = ask(app, "Who won the 2022 World Cup?")
    assert turns[-1].status == REFUSAL and not turns[-1].citations
    assert 'class="msg refusal"' in html


@pytest.mark.parametrize(
    ("question", "backend", "expected"),
    [
        ("???", "extractive", "the question has no words"),
        (NZ_Q, "no-such-backend", "unknown backend"),
    ],
)
def test_errors_become_messages(app, question, backend, expected):
    html, turns = ask(app, question, backend=backend)
    assert turns[-1].status == ERROR and expected in turns[-1].text
    assert "Traceback" not in html and 'class="msg error"' in html


def test_unexpected_errors_do_not_leak_details(app, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("secret internal detail at /srv/x.py line 3")

    monkeypatch.setattr(app.assistant, "stream", boom)
    html, turns = ask(app, NZ_Q)
    assert turns[-1].status == ERROR
    assert "RuntimeError" in turns[-1].text and "secret" not in html


def test_streaming_yields_a_pending_turn_first(app):
    steps = list(app.respond(NZ_Q, [], "extractive", 6))
    assert 'class="msg pending"' in steps[0][0]
    assert 'class="msg answer"' in steps[-1][0]


def test_empty_message_changes_nothing(app):
    ((html, turns, box),) = list(app.respond("   ", [], "extractive", 6))
    assert turns == [] and "Ask a question" in html


def test_source_panel_shows_cited_lines_of_corpus_files_only(app, tmp_path):
    h = app.show_source(NZ_LINE[0], 11, 11)
    assert 'class="line hl" data-line="11"' in h and "329 million NZD" in h
    outside = tmp_path / "secret.txt"
    outside.write_text("top secret\n")
    for src in ["../secret.txt", str(outside), "/etc/passwd", "", None, "nothere.txt"]:
        h = app.show_source(src, 1, 1)
        assert "not a document of the indexed corpus" in h and "top secret" not in h
    assert "does not exist" in app.show_source(NZ_LINE[0], "x", None)


def test_sessions_keep_their_own_history_under_concurrency(app):
    results: dict[str, list] = {}

    def session(name: str, first: str, follow: str) -> None:
        _, turns = ask(app, first, backend="auto")
        _, turns = ask(app, follow, turns, backend="auto")
        results[name] = turns

    threads = [
        threading.Thread(target=session, args=("a", NZ_Q, "What about the UK?")),
        threading.Thread(
            target=session, args=("b", "How much did the UK commit?", "Who won the 2022 World Cup?")
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    a, b = results["a"], results["b"]
    assert [t.question for t in a] == [NZ_Q, "What about the UK?"]
    assert [t.question for t in b] == ["How much did the UK commit?", "Who won the 2022 World Cup?"]
    assert NZ_LINE in cited(a[0]) and UK_LINE in cited(a[1])
    assert UK_LINE in cited(b[0]) and b[1].status == REFUSAL


def test_clear_starts_a_new_chat(app):
    html, turns, source = app.clear()
    assert turns == [] and "Ask a question" in html and "Click a citation" in source


def test_status_and_reindex(app):
    st = app.status()
    assert "<th>Files</th><td>5</td>" in st and "Last indexed" in st
    st, notice = app.reindex()
    assert "Indexed: 5 files" in notice and "notice ok" in notice


# --------------------------------------------------------------------------- uploads
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("notes.txt", "notes.txt"),
        ("../../etc/evil name.TXT", "evil_name.txt"),
        ("C:\\Users\\x\\report 2024.md", "report_2024.md"),
        ("Việt Nam – notes.txt", "Viet_Nam_notes.txt"),
        (".hidden.txt", "hidden.txt"),
        ("...txt", "txt"),
        ("", "document"),
        ("a" * 300 + ".txt", "a" * 80 + ".txt"),
        ("x\x00y.txt", "x_y.txt"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    d = tmp_path / "incoming"
    d.mkdir(exist_ok=True)
    p = d / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("tool.exe", b"MZ", "only text files"),
        ("paper.pdf", b"%PDF-1.4", "only text files"),
        ("big.txt", b"x" * 3000, "over the 2 KB limit"),
        ("bin.txt", b"ab\x00cd", "not a text file"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
        ("empty.txt", b"  \n", "empty"),
    ],
)
def test_uploads_are_refused_unless_small_text(tmp_path, name, data, reason):
    uploads = tmp_path / "data" / "uploads"
    r = store_upload(_file(tmp_path, name, data), uploads, EXTS, max_kb=2)
    assert r.stored is None and reason in r.message and r.message.startswith(name)
    assert "\n" not in r.message
    assert not uploads.exists() or not any(uploads.iterdir())


def test_upload_is_stored_in_the_uploads_folder_under_a_safe_unique_name(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    uploads = tmp_path / "data" / "uploads"
    first = store_upload(_file(tmp_path, "My notes!.txt", b"one\n"), uploads, EXTS, 10, corpus)
    assert first.stored == "uploads/My_notes.txt"
    assert first.message == "My notes!.txt: added as uploads/My_notes.txt"
    assert (uploads / "My_notes.txt").read_bytes() == b"one\n"
    assert list(corpus.iterdir()) == []  # nothing lands in the corpus
    again = store_upload(_file(tmp_path, "My notes!.txt", b"one\n"), uploads, EXTS, 10, corpus)
    assert again.stored == first.stored and "already added" in again.message
    other = store_upload(_file(tmp_path, "My notes!.txt", b"two\n"), uploads, EXTS, 10, corpus)
    assert other.stored == "uploads/My_notes-2.txt"
    assert sorted(p.name for p in uploads.iterdir()) == ["My_notes-2.txt", "My_notes.txt"]


def test_upload_refuses_a_symlinked_upload_folder(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    uploads = tmp_path / "uploads"
    uploads.symlink_to(elsewhere)
    r = store_upload(_file(tmp_path, "a.txt", b"x\n"), uploads, EXTS, 10)
    assert r.stored is None and "not a plain folder" in r.message
    assert not any(elsewhere.iterdir())


def test_upload_refuses_an_uploads_folder_inside_the_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    r = store_upload(_file(tmp_path, "a.txt", b"x\n"), corpus / "up", EXTS, 10, corpus)
    assert r.stored is None and "inside the corpus" in r.message
    assert list(corpus.iterdir()) == []


def test_uploaded_document_is_indexed_and_answerable(app, tmp_path, corpus):
    doc = _file(
        tmp_path,
        "Zorbia report.txt",
        b"Intro line.\nThe Zorbian observatory opened on 3 March 2031 in Quillon.\n",
    )
    bad = _file(tmp_path, "x.exe", b"MZ")
    notice, status = app.upload([str(doc), str(bad)])
    assert "Zorbia report.txt: added as uploads/Zorbia_report.txt" in notice
    assert "x.exe: refused" in notice and "Indexed: 6 files" in notice
    assert "<th>Files</th><td>6</td>" in status
    uploads = app.assistant.settings.uploads_path
    assert (uploads / "Zorbia_report.txt").exists()
    assert not (corpus / "uploads").exists()  # the corpus is never written
    _, turns = ask(app, "When did the Zorbian observatory open?")
    assert turns[-1].status == ANSWER
    assert ("uploads/Zorbia_report.txt", 2) in cited(turns[-1])
    h = app.show_source("uploads/Zorbia_report.txt", 2, 2)
    assert 'class="line hl" data-line="2"' in h


def test_error_message_never_includes_a_traceback():
    msg = error_message(KeyError("k"))
    assert "KeyError" in msg and "Traceback" not in msg and "\n" not in msg


@pytest.mark.parametrize(
    "environ, offers_openai",
    [
        ({}, False),
        ({"OPENAI_API_KEY": "sk-x"}, True),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:8080/v1"}, True),
        ({"OPENAI_API_KEY": ""}, False),
    ],
)
def test_the_backend_menu_offers_openai_only_when_configured(environ, offers_openai):
    from assistant.ui import menu_backends

    choices = menu_backends(environ)
    assert choices[0] == "auto" and "extractive" in choices and "local" in choices
    assert ("openai" in choices) == offers_openai
