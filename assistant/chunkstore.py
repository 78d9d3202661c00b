"""The chunk table ``chunks.sqlite3``: the index's source of truth.

Owns: the SQLite schema (``meta``: embedding model, corpus, flags, ``generation``; ``files``:
source, sha256, chunk count; ``chunks``: id, source, lines, verbatim text, analysed terms), the
chunk id, the one shared connection and every statement run on it. Each change is one transaction
(``BEGIN IMMEDIATE`` ... ``COMMIT``) that also bumps ``generation``, so a reader can tell that the
table changed from one number. Safe to share between threads: a statement, or a whole transaction,
holds the store's mutex while it runs on the shared connection; a long read (the BM25 rebuild)
gets a connection and a snapshot of its own (``snapshot_terms``).
Does not own: what to write when (``index``), vectors (``vectors``), the BM25 cache (``lexcache``),
locks between processes or writers (``locking``).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .chunking import Chunk
from .errors import IndexError_
from .lexical import analyze

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (source TEXT PRIMARY KEY, sha256 TEXT, n_chunks INTEGER);
CREATE TABLE IF NOT EXISTS chunks (
  id TEXT PRIMARY KEY, source TEXT, start_line INTEGER, end_line INTEGER, text TEXT, terms TEXT
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
"""

# One batch of files to store: (source, sha256, its chunks in order).
FileChunks = tuple[str, str, list[Chunk]]


def chunk_id(c: Chunk) -> str:
    """The key of a chunk in the table and in the vector store."""
    return f"{c.source}#{c.id}"


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    return con


class ChunkStore:
    """``chunks.sqlite3`` at ``path``, opened (and created) on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._con: sqlite3.Connection | None = None
        self._ino: int | None = None  # the file's inode when it was opened
        self._mutex = threading.RLock()  # one statement or transaction at a time on ``_con``

    # ---------------------------------------------------------------------- the connection
    def _connection(self) -> sqlite3.Connection:
        """The shared connection; the caller holds ``_mutex``."""
        if self._con is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                con = _connect(self.path)
                con.executescript(_SCHEMA)
            except sqlite3.DatabaseError as e:
                raise self._unreadable(e) from e
            self._con, self._ino = con, self.path.stat().st_ino
        return self._con

    def _unreadable(self, e: Exception) -> IndexError_:
        return IndexError_(
            f"the index at {self.path.parent} is unreadable ({e}): run `assistant index --rebuild`"
        )

    def replaced(self) -> bool:
        """True when the open file was deleted or replaced by another process since it was
        opened (``assistant index --rebuild``); False when nothing is open."""
        if self._con is None:
            return False
        try:
            return self.path.stat().st_ino != self._ino
        except OSError:
            return True

    def close(self) -> None:
        with self._mutex:
            if self._con is not None:
                self._con.close()
                self._con = None

    def _rows(self, sql: str, params: tuple | list = ()) -> list[Any]:
        with self._mutex:
            return self._connection().execute(sql, params).fetchall()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; it bumps ``generation`` and commits when the body succeeds."""
        with self._mutex:
            con = self._connection()
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
                _set_meta(con, generation=str(int(_generation(con)) + 1))
                con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    con.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def snapshot_terms(self) -> Iterator[tuple[str, Iterator[tuple[str, list[str]]]]]:
        """The generation and each chunk's (id, analysed terms), in table order, streamed from
        one read snapshot on a connection of its own: the rows and the generation agree, and a
        long read does not hold the shared connection."""
        con = _connect(self.path)
        try:
            con.execute("BEGIN")
            gen = _generation(con)
            rows = con.execute("SELECT id, terms FROM chunks ORDER BY rowid")
            yield gen, ((cid, terms.split()) for cid, terms in rows)
        finally:
            con.close()

    # ---------------------------------------------------------------------------- reading
    def meta(self) -> dict[str, str]:
        try:
            return dict(self._rows("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError as e:
            raise self._unreadable(e) from e

    def generation(self) -> str:
        """A number that every committed change increases ("0" for a new table)."""
        with self._mutex:
            return _generation(self._connection())

    def file_hashes(self) -> dict[str, str]:
        """The sha256 of every indexed file, by source."""
        return dict(self._rows("SELECT source, sha256 FROM files"))

    def count_files(self) -> int:
        return self._rows("SELECT COUNT(*) FROM files")[0][0]

    def count_chunks(self) -> int:
        return self._rows("SELECT COUNT(*) FROM chunks")[0][0]

    def chunk_ids(self, source: str | None = None) -> list[str]:
        """The ids of every chunk, or of the chunks of ``source``."""
        if source is None:
            return [r[0] for r in self._rows("SELECT id FROM chunks")]
        return [r[0] for r in self._rows("SELECT id FROM chunks WHERE source=?", (source,))]

    def get_chunks(self, ids: list[str]) -> dict[str, Chunk]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        q = f"SELECT id, source, start_line, end_line, text FROM chunks WHERE id IN ({marks})"
        return {r[0]: Chunk(r[1], r[2], r[3], r[4]) for r in self._rows(q, ids)}

    def get_file(self, source: str) -> str | None:
        """The sha256 recorded for ``source``, or None when it is not indexed."""
        rows = self._rows("SELECT sha256 FROM files WHERE source=?", (source,))
        return rows[0][0] if rows else None

    # ---------------------------------------------------------------------------- writing
    def set_meta(self, **kv: str) -> None:
        with self._mutex:
            _set_meta(self._connection(), **kv)

    def replace_files(self, batch: list[FileChunks], ids: list[str]) -> list[str]:
        """Store each file of ``batch`` with its chunks (``ids``: their ids, in the batch's order)
        in one transaction, in place of what the table held for it. Returns the ids of the
        chunks it no longer holds (their vectors are now stale)."""
        stale: list[str] = []
        with self._transaction() as con:
            pos = 0
            for source, digest, cs in batch:
                new_ids = ids[pos : pos + len(cs)]
                pos += len(cs)
                keep = set(new_ids)
                stale += [
                    r[0]
                    for r in con.execute("SELECT id FROM chunks WHERE source=?", (source,))
                    if r[0] not in keep
                ]
                con.execute("DELETE FROM chunks WHERE source=?", (source,))
                con.executemany(
                    "INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?)",
                    [
                        (cid, c.source, c.start_line, c.end_line, c.text, " ".join(analyze(c.text)))
                        for cid, c in zip(new_ids, cs, strict=True)
                    ],
                )
                con.execute(
                    "INSERT OR REPLACE INTO files VALUES (?,?,?)", (source, digest, len(cs))
                )
        return stale

    def remove_file(self, source: str) -> list[str]:
        """Forget ``source`` and its chunks in one transaction; returns the chunks' ids."""
        ids = self.chunk_ids(source)
        with self._transaction() as con:
            con.execute("DELETE FROM chunks WHERE source=?", (source,))
            con.execute("DELETE FROM files WHERE source=?", (source,))
        return ids


def _set_meta(con: sqlite3.Connection, **kv: str) -> None:
    con.executemany("INSERT OR REPLACE INTO meta VALUES (?,?)", list(kv.items()))


def _generation(con: sqlite3.Connection) -> str:
    row = con.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
    return row[0] if row else "0"
