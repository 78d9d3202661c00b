"""The vector store: one vector per chunk in Chroma, with every Chroma quirk kept here.

Owns: the Chroma client (a ``PersistentClient`` under ``index_dir/chroma``, or an ``HttpClient``
when ``chroma_host`` is set) and where the vectors are said to live; the collection's name (one
server may hold several index folders); opening it with an explicit local embedding function
(Chroma's default one would download a model) that loads no model; Chroma's process-wide cache of
one client per folder, dropped when another process replaced the store (``_forget_replaced_chroma``)
or changed it (a new chunk-table generation); writes and deletes in batches Chroma accepts; and
dense search, with the check that no vector went missing; how many vectors a local store holds,
read from its SQLite file without importing Chroma (``stored_count``); and telling a damaged
local store (``IndexDamaged``) from one in a folder that may not be written (``IndexReadOnly``).
Chroma is imported on first use only: an unchanged re-index never imports it. Safe to share
between threads.
Does not own: which ids should exist (the chunk table decides: a vector without a chunk is never
shown), the embedding model (``embeddings``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import sys
import threading
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .chunking import Chunk
from .chunkstore import IndexDamaged, IndexReadOnly, is_read_only_error, writable
from .embeddings import Embedder
from .errors import IndexError_
from .settings import Settings

COLLECTION = "chunks"
_BATCH = 1000  # ids per upsert or delete call
_PAGE = 5000  # ids per page when listing them all


def location(settings: Settings) -> str:
    """Where the vectors live: ``local`` (``chroma/`` in the index folder) or a server URL."""
    s = settings
    return f"http://{s.chroma_host}:{s.chroma_port}" if s.chroma_host else "local"


def collection_name(settings: Settings) -> str:
    if not settings.chroma_host:
        return COLLECTION
    # One server may hold several corpora: name the collection after the index folder.
    folder = str(settings.index_path.resolve())
    return "assistant-" + hashlib.sha1(folder.encode()).hexdigest()[:12]


def _client(settings: Settings, index_dir: Path) -> Any:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    cs = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port, settings=cs
        )
    return chromadb.PersistentClient(path=str(index_dir / "chroma"), settings=cs)


def _clear_client_cache() -> None:
    """Drop the clients Chroma caches per folder for the whole process (none before import)."""
    if "chromadb" not in sys.modules:
        return
    with contextlib.suppress(Exception):
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()


_CHROMA_SEEN: dict[str, int | None] = {}  # inode of each local store's database when opened


def _forget_replaced_chroma(
    settings: Settings, index_dir: Path, record_only: bool = False, force: bool = False
) -> None:
    """Chroma caches one client per folder for the whole process; when another process has
    replaced the store (``--rebuild``), that client still reads the deleted files: drop it."""
    if settings.chroma_host:
        return
    db = index_dir / "chroma" / "chroma.sqlite3"
    try:
        ino: int | None = db.stat().st_ino
    except OSError:
        ino = None
    key = str(db.resolve())
    if force or (not record_only and key in _CHROMA_SEEN and _CHROMA_SEEN[key] != ino):
        _clear_client_cache()
    _CHROMA_SEEN[key] = ino


def open_collection(settings: Settings, index_dir: Path, embedder: Embedder) -> Any:
    """The collection of ``index_dir`` (created if missing); ``IndexError_`` with advice when
    the store is damaged or the server cannot be reached."""
    from .chroma_ef import LocalEmbeddingFunction

    try:
        client = _client(settings, index_dir)
        return client.get_or_create_collection(
            collection_name(settings),
            embedding_function=LocalEmbeddingFunction(embedder),
            metadata={"hnsw:space": "cosine"},
        )
    except Exception as e:  # chromadb raises many types for a damaged store
        if settings.chroma_host:
            where = f"{settings.chroma_host}:{settings.chroma_port}"
            raise IndexError_(
                f"cannot use the Chroma server at {where} ({type(e).__name__}: {e}): start it "
                f"(`chroma run --path DIR --host {settings.chroma_host} --port "
                f"{settings.chroma_port}`) or unset ASSISTANT_CHROMA_HOST to keep vectors in "
                "the index folder"
            ) from e
        if is_read_only_error(e) or not writable(index_dir / "chroma" / "chroma.sqlite3"):
            raise IndexReadOnly(index_dir, f"the vector store: {e}") from e
        raise IndexDamaged(index_dir, f"the vector store: {type(e).__name__}: {e}") from e


def stored_count(settings: Settings, index_dir: Path) -> int | None:
    """How many vectors the local store under ``index_dir`` holds, read from Chroma's own SQLite
    file (read-only, without importing Chroma); None for a server, or a store whose layout this
    Chroma version does not share. ``IndexDamaged`` when the store is missing or not a database."""
    if settings.chroma_host:
        return None
    db = index_dir / "chroma" / "chroma.sqlite3"
    if not db.is_file():
        raise IndexDamaged(index_dir, f"the vector store {db.relative_to(index_dir)} is missing")
    try:
        uri = f"file:{urllib.parse.quote(str(db))}?mode=ro"
        con = sqlite3.connect(uri, uri=True, timeout=30)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
            if "embeddings" not in tables:
                return None
            return int(con.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
        finally:
            con.close()
    except sqlite3.DatabaseError as e:
        if is_read_only_error(e):
            return None  # cannot even be read here: let Chroma say what it makes of it
        raise IndexDamaged(index_dir, f"chroma/chroma.sqlite3: {e}") from e


class VectorStore:
    """The vectors of the index in ``index_dir``, keyed by chunk id.

    ``embedder`` is handed to Chroma only so that the collection names its model; it must not
    load the model before ``embed`` is called (vectors are always computed by the index).
    """

    def __init__(self, settings: Settings, index_dir: Path, embedder: Embedder) -> None:
        self._settings = settings
        self._dir = index_dir
        self._embedder = embedder
        self._collection: Any = None
        self._generation: str | None = None  # the chunk-table generation the handle is current for
        self._checked: tuple[Any, str, int] | None = None  # (handle, generation, count) searched
        self._mutex = threading.Lock()  # guards the three fields above

    # ------------------------------------------------------------------------- the handle
    def sync(self, generation: str) -> Any:
        """The collection, reopened first when the chunk table is at another ``generation`` than
        when it was opened: another process changed the index, Chroma's in-memory index would not
        see its vectors, and writing through it could lose them."""
        with self._mutex:
            if self._collection is not None and self._generation != generation:
                self._collection = None
                _forget_replaced_chroma(self._settings, self._dir, force=True)
            coll = self._open()
            self._generation = generation
            return coll

    def mark_current(self, generation: str) -> None:
        """This process itself brought the table to ``generation``: the handle needs no reopen."""
        with self._mutex:
            self._generation = generation

    def _open(self) -> Any:
        """The handle, opened when there is none; the caller holds ``_mutex``."""
        if self._collection is None:
            # Opening the store must not load the model: deletions and queries with ready
            # vectors never need it.
            _forget_replaced_chroma(self._settings, self._dir)
            self._collection = open_collection(self._settings, self._dir, self._embedder)
            _forget_replaced_chroma(self._settings, self._dir, record_only=True)
        return self._collection

    def _handle(self) -> Any:
        with self._mutex:
            return self._open()

    def forget(self) -> None:
        """Let go of the handle and of Chroma's cached client (the store was replaced)."""
        with self._mutex:
            self._collection = self._checked = None
        _clear_client_cache()

    def drop(self) -> None:
        """Delete the collection (``--rebuild``). Through the client first: a local client is
        cached per path by Chroma, and deleting its files under it would leave it writing to a
        removed database."""
        with self._mutex:
            self._collection = self._checked = None
        with contextlib.suppress(Exception):
            _client(self._settings, self._dir).delete_collection(collection_name(self._settings))
        if not self._settings.chroma_host:
            _clear_client_cache()

    # ---------------------------------------------------------------------------- writing
    def upsert(self, ids: list[str], vectors: np.ndarray, chunks: list[Chunk]) -> None:
        """Write one vector per chunk. Texts stay in the chunk table only: Chroma gets ids,
        vectors and the lines' metadata."""
        coll = self._handle()
        for i in range(0, len(ids), _BATCH):
            coll.upsert(
                ids=ids[i : i + _BATCH],
                embeddings=vectors[i : i + _BATCH],
                metadatas=[
                    {"source": c.source, "start_line": c.start_line, "end_line": c.end_line}
                    for c in chunks[i : i + _BATCH]
                ],
            )

    def delete(self, ids: list[str]) -> None:
        if not ids:
            return
        coll = self._handle()
        for i in range(0, len(ids), _BATCH):
            coll.delete(ids=ids[i : i + _BATCH])

    def count(self) -> int:
        return self._handle().count()

    def ids(self) -> list[str]:
        """Every id in the store, page by page."""
        coll, out = self._handle(), []
        while page := coll.get(limit=_PAGE, offset=len(out), include=[])["ids"]:
            out += page
        return out

    # ---------------------------------------------------------------------------- reading
    def search(
        self, query_vec: np.ndarray, k: int, generation: str, n_chunks: Callable[[], int]
    ) -> list[tuple[str, float]]:
        """The ``k`` nearest chunk ids with their cosine similarity. ``n_chunks()``: how many
        chunks the table holds at ``generation``; fewer vectors than that means lost vectors."""
        coll = self.sync(generation)
        try:
            # Counting costs a round trip to a Chroma server (and a scan at 100k chunks): count
            # once per collection handle and index generation, not once per query.
            with self._mutex:
                checked = self._checked
            if checked is None or checked[0] is not coll or checked[1] != generation:
                n, chunks = coll.count(), n_chunks()
                if n < chunks:  # vectors are written before their chunks: fewer means loss
                    raise IndexDamaged(
                        self._dir, f"the vector store holds {n} vectors for {chunks} chunks"
                    )
                checked = (coll, generation, n)
                with self._mutex:
                    self._checked = checked
            n = checked[2]
            if n == 0:
                return []
            res = coll.query(
                query_embeddings=[query_vec.tolist()], n_results=min(k, n), include=["distances"]
            )
        except IndexError_:
            raise
        except Exception as e:  # chromadb raises many types for a store changed or damaged under it
            if self._settings.chroma_host:
                raise IndexError_(
                    f"the vector store at {location(self._settings)} could not be searched "
                    f"({type(e).__name__}: {e}): run `assistant index --rebuild`"
                ) from e
            raise IndexDamaged(
                self._dir, f"the vector store could not be searched: {type(e).__name__}: {e}"
            ) from e
        hits = zip(res["ids"][0], res["distances"][0], strict=True)
        return [(i, 1.0 - float(d)) for i, d in hits]
