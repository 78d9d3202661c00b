"""The catalogue of index damage: each way a part of the index can break, and what `assistant ask`
and `assistant index` then do.

Each row damages a freshly built index (hash embedder, the extractive backend, the real CLI through
click's runner) and runs one command: a damaged index is rebuilt from the corpus with exactly one
warning line that names the damage, the command exits 0, and an answer afterwards cites the real
line. Damage never exits 70 and never prints a traceback. A read-only index is tested for real in
a subprocess: a read-only bind mount (root, ``unshare -m``) or ``chmod -R a-w`` (anyone else).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from reliability_helpers import (
    NZ_LINE,
    NZ_Q,
    NZ_SOURCE,
    SEEDS,
    assert_index_consistent,
    hash_env,
)

from assistant import Assistant
from assistant.cli import main

DAMAGED = r"^warning: the index at .* was damaged \(.*{}.*\); rebuilt it from the corpus$"


# ------------------------------------------------------------------------------ damage
def _wal_gone(p: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(str(p) + suffix).unlink(missing_ok=True)


def _overwrite(relpath: str, offset: int, size: int = 8192) -> Callable[[Path], None]:
    def damage(index: Path) -> None:
        p = index / relpath
        _wal_gone(p)
        with open(p, "r+b") as f:
            f.seek(offset)
            f.write(bytes((i * 37 + 11) % 256 for i in range(size)))

    return damage


def _truncate(relpath: str, size: int) -> Callable[[Path], None]:
    def damage(index: Path) -> None:
        p = index / relpath
        _wal_gone(p)
        with open(p, "r+b") as f:
            f.truncate(size)

    return damage


def _append_garbage(relpath: str) -> Callable[[Path], None]:
    """Bytes past the last page: SQLite ignores them, so this is no reason to rebuild."""

    def damage(index: Path) -> None:
        p = index / relpath
        _wal_gone(p)
        with open(p, "ab") as f:
            f.write(b"\x00garbage" * 16)

    return damage


def _sql(*statements: str) -> Callable[[Path], None]:
    def damage(index: Path) -> None:
        con = sqlite3.connect(index / "chunks.sqlite3")
        for s in statements:
            con.execute(s)
        con.commit()
        con.close()

    return damage


def _rm(relpath: str) -> Callable[[Path], None]:
    def damage(index: Path) -> None:
        p = index / relpath
        shutil.rmtree(p) if p.is_dir() else p.unlink()

    return damage


def _garbage(relpath: str) -> Callable[[Path], None]:
    def damage(index: Path) -> None:
        p = index / relpath
        p.write_bytes(b"this is not what was written here " * 200)

    return damage


def _recreated_empty(index: Path) -> None:
    """chroma/ deleted, then opened again: Chroma makes a new, empty store."""
    import chromadb
    from chromadb.api.client import SharedSystemClient

    shutil.rmtree(index / "chroma")
    SharedSystemClient.clear_system_cache()  # the build's client still holds the deleted files
    chromadb.PersistentClient(path=str(index / "chroma")).get_or_create_collection("chunks")
    SharedSystemClient.clear_system_cache()


def _lost_vectors(index: Path) -> None:
    """Half of the vectors deleted behind the chunk table's back."""
    import chromadb
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    coll = chromadb.PersistentClient(path=str(index / "chroma")).get_collection("chunks")
    ids = coll.get(include=[])["ids"]
    coll.delete(ids=ids[: len(ids) // 2])
    SharedSystemClient.clear_system_cache()


@dataclass
class Damage:
    id: str
    damage: Callable[[Path], None]
    reason: str | None  # regex of the reason in the one warning line; None: no warning at all


CATALOGUE = [
    Damage("table-garbage-8k-inside", _overwrite("chunks.sqlite3", 8192), r"chunks\.sqlite3: .*"),
    Damage("table-garbage-header", _overwrite("chunks.sqlite3", 0), "file is not a database"),
    Damage("table-garbage-past-the-end", _append_garbage("chunks.sqlite3"), None),
    Damage("table-overwritten", _garbage("chunks.sqlite3"), "file is not a database"),
    Damage("table-truncated", _truncate("chunks.sqlite3", 20_000), r"chunks\.sqlite3: .*"),
    Damage("table-chunks-dropped", _sql("DROP TABLE chunks"), "has no chunks table"),
    Damage("table-meta-dropped", _sql("DROP TABLE meta"), "has no meta table"),
    Damage("table-meta-rows-deleted", _sql("DELETE FROM meta"), "lost its meta rows"),
    Damage(
        "table-chunks-deleted",
        _sql("DELETE FROM chunks"),
        r"lists \d+ chunks in its files but holds 0",
    ),
    Damage("vectors-folder-deleted", _rm("chroma"), r"the vector store .* is missing"),
    Damage("vectors-db-deleted", _rm("chroma/chroma.sqlite3"), r"the vector store .* is missing"),
    Damage("vectors-db-garbage", _garbage("chroma/chroma.sqlite3"), "file is not a database"),
    Damage(
        "vectors-recreated-empty", _recreated_empty, r"the vector store holds 0 vectors for \d+"
    ),
    Damage("vectors-half-lost", _lost_vectors, r"the vector store holds \d+ vectors for \d+"),
    Damage("lexical-garbage", _garbage("lexical.npz"), None),  # rebuilt quietly from the table
    Damage("lexical-deleted", _rm("lexical.npz"), None),
]


# ------------------------------------------------------------------------------ the runner
def _run(corpus: Path, index: Path, *args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args), env=hash_env(corpus, index))
    assert "Traceback" not in r.stdout + r.stderr, r.stdout + r.stderr
    return r.exit_code, r.stdout, r.stderr


def _built(tmp_path: Path) -> tuple[Path, Path]:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(SEEDS, corpus)
    a = Assistant(corpus=corpus, index_dir=index, embedding_model="hash")
    a.build_index()
    a.index.close()
    return corpus, index


def _check_note(case: Damage, stderr: str) -> None:
    warnings = [ln for ln in stderr.splitlines() if ln.startswith("warning: ")]
    if case.reason is None:
        assert not warnings, stderr
        return
    assert len(warnings) == 1, stderr  # one line says what happened
    assert re.match(DAMAGED.format(case.reason), warnings[0]), warnings[0]


def _answers_from_real_lines(corpus: Path, index: Path) -> None:
    code, out, err = _run(corpus, index, "ask", "--json", "--backend", "extractive", NZ_Q)
    assert code == 0, err
    d = json.loads(out)
    assert (NZ_SOURCE, NZ_LINE) in [(c["source"], c["start_line"]) for c in d["citations"]]
    lines = (corpus / NZ_SOURCE).read_text(encoding="utf-8").split("\n")
    for c in d["citations"]:
        assert c["quote"] in "\n".join(lines[c["start_line"] - 1 : c["end_line"]])
    assert_index_consistent(corpus, index)


@pytest.mark.parametrize("case", CATALOGUE, ids=[c.id for c in CATALOGUE])
def test_ask_on_a_damaged_index_rebuilds_and_answers(case: Damage, tmp_path: Path) -> None:
    corpus, index = _built(tmp_path)
    case.damage(index)
    code, out, err = _run(corpus, index, "ask", "--json", "--backend", "extractive", NZ_Q)
    assert code == 0, err
    _check_note(case, err)
    assert "329 million" in json.loads(out)["answer"]
    _answers_from_real_lines(corpus, index)


@pytest.mark.parametrize("case", CATALOGUE, ids=[c.id for c in CATALOGUE])
def test_index_on_a_damaged_index_rebuilds(case: Damage, tmp_path: Path) -> None:
    corpus, index = _built(tmp_path)
    case.damage(index)
    code, out, err = _run(corpus, index, "index", "-q")
    assert code == 0, err
    _check_note(case, err)
    if case.reason is not None:
        assert "(full rebuild)" in out
    again = _run(corpus, index, "index", "-q")  # and then it is sound: nothing to do
    assert again[0] == 0 and "0 embedded" in again[1] and "warning" not in again[2], again
    _answers_from_real_lines(corpus, index)


def test_damage_found_while_answering_is_rebuilt(tmp_path: Path) -> None:
    """An Assistant that already answered, whose table is damaged under it, rebuilds on the next
    question instead of failing (the UI's case: one process, many questions)."""
    corpus, index = _built(tmp_path)
    a = Assistant(corpus=corpus, index_dir=index, embedding_model="hash", backend="extractive")
    assert "329 million" in a.ask(NZ_Q).text
    a.index.close()
    _overwrite("chunks.sqlite3", 0)(index)
    assert "329 million" in a.ask(NZ_Q).text


# ------------------------------------------------------------------------------ read-only
def _read_only_runner(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess]:
    """Run the CLI in a subprocess that sees ``tmp_path/index`` read-only, or skip."""
    index = tmp_path / "index"
    if os.geteuid() != 0:
        subprocess.run(["chmod", "-R", "a-w", str(index)], check=True)
        prefix: list[str] = []
        script = '"$@"'
    else:
        if not shutil.which("unshare"):
            pytest.skip("needs unshare to make a read-only bind mount as root")
        prefix = ["unshare", "-m", "--propagation", "private"]
        script = f'mount --bind "{index}" "{index}" && mount -o remount,bind,ro "{index}" && "$@"'
        probe = subprocess.run([*prefix, "sh", "-c", script, "sh", "true"], capture_output=True)
        if probe.returncode != 0:
            pytest.skip(f"cannot make a read-only bind mount here: {probe.stderr.decode()}")

    def run(*args: str) -> subprocess.CompletedProcess:
        cmd = [*prefix, "sh", "-c", script, "sh", sys.executable, "-m", "assistant.cli", *args]
        env = hash_env(tmp_path / "corpus", index)
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)

    return run


@pytest.fixture
def read_only_index(tmp_path: Path):  # type: ignore[no-untyped-def]
    _built(tmp_path)
    yield _read_only_runner(tmp_path)
    subprocess.run(["chmod", "-R", "u+w", str(tmp_path / "index")], check=False)


def test_read_only_index_answers_and_says_it_cannot_update(read_only_index) -> None:  # type: ignore[no-untyped-def]
    r = read_only_index("ask", "--backend", "extractive", NZ_Q)
    assert r.returncode == 0, r.stderr
    warnings = [ln for ln in r.stderr.splitlines() if ln.startswith("warning: ")]
    assert len(warnings) == 1, r.stderr
    assert re.match(r"warning: the index at .* is read-only, so it cannot be updated", warnings[0])
    assert "329 million" in r.stdout and f"{NZ_SOURCE}:{NZ_LINE}" in r.stdout
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("args", [("index", "-q"), ("index", "-q", "--rebuild")])
def test_read_only_index_refuses_to_update_with_advice_that_works(
    read_only_index,  # type: ignore[no-untyped-def]
    args: tuple[str, ...],
) -> None:
    r = read_only_index(*args)
    assert r.returncode == 3, r.stderr
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1, r.stderr
    assert "is read-only" in errors[0] and "--index-dir" in errors[0], errors[0]
    assert "--rebuild" not in errors[0]
