"""``kill -9`` of ``assistant index`` at chosen points, then ``ask`` and ``index`` again.

The index is run in a subprocess by a small driver that wraps one step of the real code path (an
embedding call, a vector-store write or delete, a chunk-table commit, the swap of the lexical
cache, the deletion of the old store during ``--rebuild``). When that step is reached for the
N-th time, the driver prints a line and waits; the test then sends SIGKILL from outside. So every
kill lands at a known point, with no sleeps and no randomness.

After each kill: ``ask`` either answers from a consistent index (exit 0, correct, every citation
real) or says clearly that the index must be finished or rebuilt (exit 3, naming the command);
a partial first build is never used silently. Then ``assistant index`` (without --rebuild) exits 0
and leaves exactly what a fresh build holds, vector for vector.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from reliability_helpers import (
    assert_citations_real,
    assert_index_consistent,
    hash_env,
    index_meta,
    make_corpus,
    topic,
)

from assistant.citations import Citation
from assistant.cli import main

pytestmark = pytest.mark.slow

# Wraps one step of `assistant index`; at its N-th call prints KILL-POINT and waits to be killed.
DRIVER = r"""
import os, shutil, sqlite3, sys
point, n = os.environ.get("CRASH_AT", "-:0").rsplit(":", 1)
n, calls, notify = int(n), [0], os.environ.get("NOTIFY_AT")

def reached(what):
    if what == notify:
        print("AT", what, flush=True)
    if what != point:
        return
    calls[0] += 1
    if calls[0] == n:
        print("KILL-POINT", point, n, flush=True)
        if sys.stdin.readline().strip() != "go":  # the test sends SIGKILL while we wait here
            os._exit(99)

import chromadb  # noqa: E402  (imported before the assistant so that the patch below applies)
from chromadb.api.models.Collection import Collection

_upsert, _delete = Collection.upsert, Collection.delete
def upsert(self, *a, **k):
    r = _upsert(self, *a, **k)
    reached("after-upsert")
    return r
def delete(self, *a, **k):
    reached("before-delete")
    return _delete(self, *a, **k)
Collection.upsert, Collection.delete = upsert, delete

class Conn(sqlite3.Connection):
    def execute(self, sql, *a):
        r = super().execute(sql, *a)
        if sql.strip().upper() == "COMMIT":
            reached("after-commit")
        return r
    def commit(self):
        super().commit()
        reached("after-commit")
_connect = sqlite3.connect
def connect(path, *a, **k):
    if str(path).endswith("chunks.sqlite3"):
        k.setdefault("factory", Conn)
    return _connect(path, *a, **k)
sqlite3.connect = connect

_replace = os.replace
def replace(src, dst, *a, **k):
    if os.path.basename(str(dst)).startswith("lexical."):
        reached("before-lexical-swap")
    return _replace(src, dst, *a, **k)
os.replace = replace

_rmtree = shutil.rmtree
def rmtree(path, *a, **k):
    reached("before-rmtree")
    return _rmtree(path, *a, **k)
shutil.rmtree = rmtree

import assistant.embeddings as E
_embed = E.HashEmbedder.embed
def embed(self, texts):
    reached("before-embed")
    return _embed(self, texts)
E.HashEmbedder.embed = embed

import assistant.index as I
_wait = I.Index.wait_for_writer
def wait_for_writer(self):
    reached("wait-for-writer")
    return _wait(self)
I.Index.wait_for_writer = wait_for_writer

from assistant.cli import main
main(sys.argv[1:])
"""

OLD_Q, OLD_FACT = f"What is the code of the {topic(7, 3)} project?", "C7X3"  # never changes
NEW_Q, NEW_FACT = f"What is the code of the {topic(105, 0)} project?", "G5Z"  # added by the update
CHANGED_Q, CHANGED_FACT = f"What is the code of the {topic(1, 2)} project?", "D1X2"  # edited


@dataclass(frozen=True)
class Crash:
    id: str
    scenario: str  # first-build | update | rebuild
    point: str  # CRASH_AT for the driver
    ask_codes: tuple[int, ...]  # what `ask` may exit with right after the kill


CRASHES = [
    Crash("first-build/embedding-batch-2", "first-build", "before-embed:2", (3,)),
    Crash("first-build/vectors-written-table-not", "first-build", "after-upsert:1", (3,)),
    Crash("first-build/after-first-commit", "first-build", "after-commit:1", (3,)),
    Crash("first-build/before-lexical-swap", "first-build", "before-lexical-swap:1", (0,)),
    Crash("update/embedding", "update", "before-embed:1", (3,)),
    Crash("update/vectors-written-table-not", "update", "after-upsert:1", (3,)),
    Crash("update/after-commit", "update", "after-commit:1", (3,)),
    Crash("update/stale-vectors-not-deleted", "update", "before-delete:1", (3,)),
    Crash("update/before-lexical-swap", "update", "before-lexical-swap:1", (0,)),
    Crash("rebuild/deleting-old-store", "rebuild", "before-rmtree:1", (3,)),
    Crash("rebuild/embedding-batch-2", "rebuild", "before-embed:2", (3,)),
]


def _change_corpus(corpus: Path) -> None:
    f1 = corpus / "f001.txt"
    f1.write_text(f1.read_text(encoding="utf-8").replace("C1X", "D1X"), encoding="utf-8")
    (corpus / "f002.txt").unlink()
    for i in range(20):
        (corpus / f"g{i:03d}.txt").write_text(
            f"New file {i}: the code of the {topic(100 + i, 0)} project is G{i}Z.\n",
            encoding="utf-8",
        )


def kill_index_at(corpus: Path, index: Path, point: str, *args: str) -> None:
    """Run `assistant index -q ARGS` in a subprocess and SIGKILL it when ``point`` is reached."""
    env = hash_env(corpus, index, CRASH_AT=point)
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, "index", "-q", *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    watchdog = threading.Timer(180, proc.kill)  # a hang fails the test instead of the suite
    watchdog.start()
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("KILL-POINT"), f"{point} was never reached (exit {proc.poll()})"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=60)
        for f in (proc.stdin, proc.stdout):
            if f:
                f.close()


def run(corpus: Path, index: Path, *args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args), env=hash_env(corpus, index))
    assert "Traceback" not in r.output, r.output
    return r.exit_code, r.stdout, r.stderr


def ask_ok(corpus: Path, index: Path, question: str, fact: str) -> None:
    code, out, err = run(corpus, index, "ask", "--json", question)
    assert code == 0, err
    d = json.loads(out)
    assert fact in d["answer"], d
    _real(d, corpus)


def _real(d: dict, corpus: Path) -> None:
    class A:
        refused = d["refused"]
        text = d["answer"]
        citations = [Citation(**c) for c in d["citations"]]

    assert_citations_real(A, corpus)


@pytest.mark.parametrize("crash", CRASHES, ids=[c.id for c in CRASHES])
def test_kill_minus_nine_then_ask_then_recover(crash: Crash, tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, files=80, paragraphs=8)  # 640 chunks: several commit batches
    if crash.scenario != "first-build":
        code, _, err = run(corpus, index, "index", "-q")
        assert code == 0, err
    if crash.scenario == "update":
        _change_corpus(corpus)

    kill_index_at(
        corpus, index, crash.point, *(["--rebuild"] if crash.scenario == "rebuild" else [])
    )

    # Right after the kill: a consistent answer, or a clear request to run `assistant index`.
    code, out, err = run(corpus, index, "ask", "--json", OLD_Q)
    assert code in crash.ask_codes, (code, out, err)
    if code == 0:
        d = json.loads(out)
        assert OLD_FACT in d["answer"]
        _real(d, corpus)
    else:
        assert err.startswith("error: ") and "`assistant index" in err, err
        assert len(err.strip().splitlines()) == 1

    # `assistant index` finishes the job: the index is what a fresh build would be.
    code, out, err = run(corpus, index, "index", "-q")
    assert code == 0, err
    assert_index_consistent(corpus, index)
    ask_ok(corpus, index, OLD_Q, OLD_FACT)
    if crash.scenario == "update":
        ask_ok(corpus, index, NEW_Q, NEW_FACT)
        ask_ok(corpus, index, CHANGED_Q, CHANGED_FACT)


def test_killed_twice_then_recovers(tmp_path: Path) -> None:
    """A recovery run that is itself killed still leaves a recoverable index."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, files=80, paragraphs=8)
    assert run(corpus, index, "index", "-q")[0] == 0
    _change_corpus(corpus)
    kill_index_at(corpus, index, "after-commit:1")
    (corpus / "f003.txt").unlink()  # and the corpus changes again in between
    kill_index_at(corpus, index, "before-delete:1")
    assert index_meta(index)["dirty"] == "1"
    code, _, err = run(corpus, index, "index", "-q")
    assert code == 0, err
    assert_index_consistent(corpus, index)
    ask_ok(corpus, index, NEW_Q, NEW_FACT)


def test_ask_waits_for_a_first_build_in_progress(tmp_path: Path) -> None:
    """An ask that arrives while the first build runs waits for it, then answers from the whole
    index (a fact from the last batch), never from the half written so far."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, files=80, paragraphs=8)
    builder = _driver(corpus, index, "index", "-q", CRASH_AT="before-embed:2")
    asker = None
    try:
        assert builder.stdout is not None
        assert builder.stdout.readline().startswith("KILL-POINT")  # build paused half-way
        asker = _driver(
            corpus,
            index,
            "ask",
            f"What is the code of the {topic(79, 6)} project?",
            NOTIFY_AT="wait-for-writer",
        )
        assert asker.stdout is not None
        assert asker.stdout.readline().startswith("AT wait-for-writer")  # asker now waits
        assert builder.stdin is not None
        builder.stdin.write("go\n")
        builder.stdin.close()
        assert builder.wait(timeout=120) == 0
        out, _ = asker.communicate(timeout=120)
        assert asker.returncode == 0 and "C79X6" in out, out
    finally:
        for p in (builder, asker):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(timeout=60)
    assert_index_consistent(corpus, index)


def test_ask_after_a_first_build_killed_while_it_waited(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, files=80, paragraphs=8)
    builder = _driver(corpus, index, "index", "-q", CRASH_AT="before-embed:2")
    asker = None
    try:
        assert builder.stdout is not None
        assert builder.stdout.readline().startswith("KILL-POINT")
        asker = _driver(corpus, index, "ask", OLD_Q, NOTIFY_AT="wait-for-writer")
        assert asker.stdout is not None
        assert asker.stdout.readline().startswith("AT wait-for-writer")
        os.kill(builder.pid, signal.SIGKILL)
        builder.wait(timeout=60)
        _, err = asker.communicate(timeout=120)
        assert asker.returncode == 3 and "was interrupted" in err and "`assistant index`" in err
    finally:
        for p in (builder, asker):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(timeout=60)
    assert run(corpus, index, "index", "-q")[0] == 0
    assert_index_consistent(corpus, index)


def _driver(corpus: Path, index: Path, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, *args],
        env=hash_env(corpus, index, **env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
