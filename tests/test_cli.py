"""The CLI: exit codes, one-line errors, --json, and the offline default under `unshare -n`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main

REPO = Path(__file__).resolve().parents[1]
NZ_Q = "How much did New Zealand commit to regional programmes?"


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_help_lists_commands() -> None:
    r = run("--help")
    assert r.exit_code == 0
    for cmd in ("index", "ask", "eval", "ui"):
        assert cmd in r.output


def test_ask_json_is_exactly_to_dict(seeds_index: Path) -> None:
    from assistant import Assistant

    r = run("ask", "--json", "--index-dir", str(seeds_index), "--corpus", str(REPO / "seeds"), NZ_Q)
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    want = Assistant(corpus=REPO / "seeds", index_dir=seeds_index).ask(NZ_Q).to_dict()
    assert list(got) == list(want) and got["schema"] == 1
    # llama.cpp's log-probabilities (and so confidence) vary in the last digits between runs,
    # as do timings; everything shown must be identical.
    for key in ("timings", "signals", "confidence"):
        del got[key], want[key]
    assert got == want
    assert "329 million" in got["answer"]


def test_ask_text_shows_cited_lines(seeds_index: Path) -> None:
    r = run("ask", "--index-dir", str(seeds_index), "--corpus", str(REPO / "seeds"), NZ_Q)
    assert r.exit_code == 0
    assert "Sources:" in r.output and "000_fb43058b33008c4d.txt:11" in r.output


def test_refusal_json(seeds_index: Path) -> None:
    r = run(
        "ask",
        "--json",
        "--index-dir",
        str(seeds_index),
        "--corpus",
        str(REPO / "seeds"),
        "Who won the 2022 FIFA World Cup?",
    )
    d = json.loads(r.stdout)
    assert r.exit_code == 0 and d["refused"] is True and d["citations"] == []


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["ask", ""], 1, "the question is empty"),
        (["ask", "   "], 1, "the question is empty"),
        (["ask", "--corpus", "/definitely/not/here", "hello?"], 1, "corpus folder not found"),
        (["index", "--corpus", "/definitely/not/here"], 1, "corpus folder not found"),
        (["ask", "--backend", "nonsense", "hello?"], 4, "unknown backend"),
        (["ask", "--top-k", "0", "hello?"], 2, "Invalid value"),
        (["eval", "--questions", "/no/such/file.yaml"], 1, "cannot read question file"),
    ],
)
def test_errors_are_one_line(args: list[str], code: int, message: str, seeds_index: Path) -> None:
    full = args[:1] + ["--index-dir", str(seeds_index)] + args[1:] if args[0] != "eval" else args
    r = CliRunner().invoke(main, full)
    assert r.exit_code == code, r.output
    assert message in r.output
    assert "Traceback" not in r.output


def test_empty_corpus(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    r = CliRunner().invoke(
        main,
        ["ask", "--corpus", str(tmp_path / "empty"), "--index-dir", str(tmp_path / "i"), "hi?"],
    )
    assert r.exit_code == 1 and "holds no documents" in r.output and "Traceback" not in r.output


def test_an_unreadable_index_is_rebuilt_with_one_line(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    idx.mkdir()
    (idx / "chunks.sqlite3").write_bytes(b"garbage" * 1000)
    r = CliRunner().invoke(
        main,
        [
            "ask",
            "--index-dir",
            str(idx),
            "--corpus",
            str(REPO / "seeds"),
            "--backend",
            "extractive",
            NZ_Q,
        ],
        env={"ASSISTANT_EMBEDDING_MODEL": "hash"},
    )
    assert r.exit_code == 0, r.output
    assert "was damaged" in r.stderr and "rebuilt it from the corpus" in r.stderr
    assert "329 million" in r.stdout and "Traceback" not in r.output


def test_index_twice_embeds_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "hash")
    args = ["index", "-q", "--corpus", str(REPO / "seeds"), "--index-dir", str(tmp_path / "i")]
    first = run(*args)
    assert first.exit_code == 0 and "5 files" in first.output
    second = run(*args)
    assert second.exit_code == 0 and " 0 embedded" in second.output


def _can_unshare() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _can_unshare(), reason="unshare -n is not permitted here")
def test_offline_default_under_unshare(seeds_index: Path) -> None:
    """The real CLI, default settings, with no network at all."""
    cmd = [
        "unshare",
        "-n",
        sys.executable,
        "-m",
        "assistant.cli",
        "ask",
        "--json",
        "--index-dir",
        str(seeds_index),
        NZ_Q,
    ]
    p = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert "329 million" in d["answer"] and not d["refused"]
    c = next(c for c in d["citations"] if c["start_line"] == 11)
    seed = REPO / "seeds" / "000_fb43058b33008c4d.txt"
    line11 = seed.read_text(encoding="utf-8").split("\n")[10]
    assert c["source"] == "000_fb43058b33008c4d.txt" and c["quote"] in line11


def test_a_bug_is_one_line_unless_a_traceback_is_asked_for(
    seeds_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant import api

    def broken(self: object, question: str, **kw: object) -> object:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(api.Assistant, "ask", broken)
    r = CliRunner().invoke(main, ["ask", "--index-dir", str(seeds_index), "hello?"])
    assert r.exit_code == 70
    assert "unexpected ZeroDivisionError: division by zero (this is a bug" in r.output
    assert "Traceback" not in r.output
    monkeypatch.setenv("ASSISTANT_TRACEBACK", "1")
    r = CliRunner().invoke(main, ["ask", "--index-dir", str(seeds_index), "hello?"])
    assert isinstance(r.exception, ZeroDivisionError)


def test_any_folder_works_on_the_first_try_with_an_index_of_its_own(tmp_path, monkeypatch):
    """`ask --corpus DIR` with no --index-dir: the index follows the corpus (a folder of its own
    under ASSISTANT_INDEX_ROOT), `index --corpus DIR` builds the same one, and two corpora never
    share an index."""
    root = tmp_path / "indexes"
    monkeypatch.setenv("ASSISTANT_INDEX_ROOT", str(root))
    env = {"ASSISTANT_EMBEDDING_MODEL": "hash"}
    mine, other = tmp_path / "mydocs", tmp_path / "otherdocs"
    mine.mkdir()
    other.mkdir()
    (mine / "notes.txt").write_text("The vault code is 4711.\n", encoding="utf-8")
    (other / "memo.txt").write_text("The meeting room is B12.\n", encoding="utf-8")

    def cli(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    r = cli("ask", "--backend", "extractive", "--corpus", str(mine), "What is the vault code?")
    assert r.exit_code == 0, r.output
    assert "4711" in r.stdout and "notes.txt:1" in r.stdout
    (folder,) = root.iterdir()
    assert folder.name.startswith("mydocs-")
    r = cli("index", "--corpus", str(mine))
    assert r.exit_code == 0 and "0 embedded" in r.output, r.output  # the same index, up to date
    r = cli("ask", "--backend", "extractive", "--corpus", str(other), "Which meeting room?")
    assert r.exit_code == 0 and "B12" in r.stdout, r.output
    assert len(list(root.iterdir())) == 2
