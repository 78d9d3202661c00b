"""The chunk table ``chunks.sqlite3``: the index's source of truth.

Owns: the SQLite schema (``meta``: embedding model, corpus, flags, ``generation``; ``files``:
source, sha256, chunk count; ``chunks``: id, source, lines, verbatim text, analysed terms), the
chunk id, the one shared connection and every statement run on it. Each change is one transaction
(``BEGIN IMMEDIATE`` ... ``COMMIT``) that also bumps ``generation``, so a reader can tell that the
table changed from one number. Safe to share between threads: a statement, or a whole transaction,
holds the store's mutex while it runs on the shared connection; a long read (the BM25 rebuild)
gets a connection and a snapshot of its own (``snapshot_terms``). Telling damage from trouble:
``check`` says why the table is damaged (not a database, malformed pages, a table or the meta rows
missing, files and chunks that disagree), every SQLite failure becomes ``IndexDamaged`` or
``IndexReadOnly`` (never a bare ``sqlite3`` error), and a table in a folder this process cannot
write is opened read-only (``immutable=1``: no WAL, no lock files).
Does not own: what to write when (``index``), vectors (``vectors``), the BM25 cache (``lexcache``),
locks between processes or writers (``locking``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import urllib.parse
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

_TABLES = ("meta", "files", "chunks")


class IndexDamaged(IndexError_):  # noqa: N818 - named like its parent
    """A part of the index is damaged; ``reason`` says which and how. ``assistant index`` (or the
    first question) rebuilds it from the corpus."""

    def __init__(self, folder: Path, reason: str) -> None:
        self.folder, self.reason = folder, reason
        super().__init__(
            f"the index at {folder} is damaged ({reason}): run `assistant index` to rebuild it "
            "from the corpus"
        )


class IndexReadOnly(IndexError_):  # noqa: N818 - named like its parent
    """The index folder cannot be written: it answers as it is, but cannot be built or updated."""

    def __init__(self, folder: Path, why: str = "") -> None:
        self.folder = folder
        super().__init__(
            f"the index at {folder} is read-only{f' ({why})' if why else ''}, so it cannot be "
            f"built or updated: make it writable (chmod -R u+w {folder}) or choose another "
            "folder with --index-dir"
        )


def writable(path: Path) -> bool:
    """True when this process may write ``path`` (a missing file: its folder)."""
    if path.exists():
        return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    return not path.parent.exists() or os.access(path.parent, os.W_OK)


def is_read_only_error(e: BaseException) -> bool:
    """True for the errors SQLite (and Chroma through it) give in a folder it may not write."""
    text = str(e).lower()
    return any(k in text for k in ("readonly", "read-only", "unable to open database file"))


# One batch of files to store: (source, sha256, its chunks in order).
FileChunks = tuple[str, str, list[Chunk]]


def chunk_id(c: Chunk) -> str:
    """The key of a chunk in the table and in the vector store."""
    return f"{c.source}#{c.id}"


def _connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    if read_only:  # no WAL, no -shm, no lock: the folder may not be written at all
        uri = f"file:{urllib.parse.quote(str(path))}?mode=ro&immutable=1"
        return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
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
        self._checked: int | None = None  # the inode ``PRAGMA quick_check`` last found sound
        self.read_only = False  # opened read-only: the folder may not be written
        self._mutex = threading.RLock()  # one statement or transaction at a time on ``_con``

    # ---------------------------------------------------------------------- the connection
    def _connection(self) -> sqlite3.Connection:
        """The shared connection; the caller holds ``_mutex``. A table in a folder this process
        may not write is opened read-only; the schema is created only in a new, empty table (a
        table that lost one of its tables is damaged, not new)."""
        if self._con is None:
            exists = self.path.exists()
            read_only = exists and not writable(self.path)
            try:
                if not exists:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                try:
                    con = _connect(self.path, read_only)
                except sqlite3.OperationalError as e:
                    if not exists or read_only or not is_read_only_error(e):
                        raise
                    con, read_only = _connect(self.path, True), True
                if not read_only and not _tables(con):
                    con.executescript(_SCHEMA)
            except PermissionError as e:
                raise IndexReadOnly(self.path.parent, e.strerror or str(e)) from e
            except sqlite3.DatabaseError as e:
                raise self._failure(e) from e
            self._con, self._ino, self.read_only = con, self.path.stat().st_ino, read_only
        return self._con

    def _failure(self, e: sqlite3.DatabaseError) -> IndexError_:
        """The error a user sees for a failed statement: damage, a read-only folder, or (for a
        lock held past the timeout) a plain index error."""
        text = str(e)
        if "locked" in text or "busy" in text:
            return IndexError_(f"the index at {self.path.parent} is busy ({text}): try again")
        if is_read_only_error(e) and (self.read_only or not writable(self.path)):
            return IndexReadOnly(self.path.parent, text)
        self._checked = None  # check again, fully, next time
        return IndexDamaged(self.path.parent, f"{self.path.name}: {text}")

    def check(self) -> str | None:
        """Why the table is damaged, or None when it is sound (or not there yet): not a database,
        pages that fail ``PRAGMA quick_check`` (once per opened file), a table or the meta rows
        missing, or files that list other chunk counts than the table holds."""
        if not self.path.exists():
            return None
        name = self.path.name
        try:
            with self._mutex:
                con = self._connection()
                tables = _tables(con)
                if not tables:
                    return None  # a new table: nothing was written yet
                missing = [t for t in _TABLES if t not in tables]
                if missing:
                    return f"{name} has no {', '.join(missing)} table"
                if self._checked != self._ino:
                    rows = con.execute("PRAGMA quick_check(1)").fetchall()
                    if rows != [("ok",)]:  # "*** in database main ***\nPage 4: ...": one line
                        said = (rows[0][0] if rows else "").splitlines()
                        text = "; ".join(x for x in said if not x.startswith("***"))
                        return f"{name}: {text or 'PRAGMA quick_check failed'}"
                    self._checked = self._ino
                meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
                listed, files = con.execute("SELECT SUM(n_chunks), COUNT(*) FROM files").fetchone()
                if files and not meta.get("embedding_model"):
                    return f"{name} lost its meta rows"
                if meta.get("dirty", "0") == "0" and files:
                    held = con.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
                    if held != listed:
                        return f"{name} lists {listed} chunks in its files but holds {held}"
        except IndexDamaged as e:
            return e.reason
        except sqlite3.DatabaseError as e:
            err = self._failure(e)
            if isinstance(err, IndexDamaged):
                return err.reason
            raise err from e
        return None

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
            self._checked = None

    def _rows(self, sql: str, params: tuple | list = ()) -> list[Any]:
        with self._mutex:
            try:
                return self._connection().execute(sql, params).fetchall()
            except sqlite3.DatabaseError as e:
                raise self._failure(e) from e

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; it bumps ``generation`` and commits when the body succeeds."""
        with self._mutex:
            con = self._connection()
            try:
                con.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as e:
                raise self._failure(e) from e
            try:
                yield con
                _set_meta(con, generation=str(int(_generation(con)) + 1))
                con.execute("COMMIT")
            except BaseException as e:
                with contextlib.suppress(sqlite3.Error):
                    con.execute("ROLLBACK")
                if isinstance(e, sqlite3.DatabaseError):
                    raise self._failure(e) from e
                raise

    @contextlib.contextmanager
    def snapshot_terms(self) -> Iterator[tuple[str, Iterator[tuple[str, list[str]]]]]:
        """The generation and each chunk's (id, analysed terms), in table order, streamed from
        one read snapshot on a connection of its own: the rows and the generation agree, and a
        long read does not hold the shared connection."""
        try:
            con = _connect(self.path, self.read_only)
        except sqlite3.DatabaseError as e:
            raise self._failure(e) from e
        try:
            con.execute("BEGIN")
            gen = _generation(con)
            rows = con.execute("SELECT id, terms FROM chunks ORDER BY rowid")
            yield gen, ((cid, terms.split()) for cid, terms in rows)
        except sqlite3.DatabaseError as e:
            raise self._failure(e) from e
        finally:
            con.close()

    # ---------------------------------------------------------------------------- reading
    def meta(self) -> dict[str, str]:
        return dict(self._rows("SELECT key, value FROM meta"))

    def generation(self) -> str:
        """A number that every committed change increases ("0" for a new table)."""
        rows = self._rows("SELECT value FROM meta WHERE key='generation'")
        return rows[0][0] if rows else "0"

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
            try:
                _set_meta(self._connection(), **kv)
            except sqlite3.DatabaseError as e:
                raise self._failure(e) from e

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


def _tables(con: sqlite3.Connection) -> set[str]:
    return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _generation(con: sqlite3.Connection) -> str:
    row = con.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
    return row[0] if row else "0"
