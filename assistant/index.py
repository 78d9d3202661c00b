"""The persisted index: chunk table, dense vectors in Chroma, and the lexical index.

Owns: building and incrementally updating ``index_dir`` from the corpus, and reading it back.
Layout of ``index_dir``:
- ``chunks.sqlite3``: the source of truth. Tables ``chunks`` (id, source, lines, verbatim text,
  analysed terms), ``files`` (source, sha256, chunk count) and ``meta`` (embedding model, corpus,
  generation, last indexed). Each batch of files is committed in one transaction.
- ``chroma/``: a Chroma ``PersistentClient`` (or a Chroma server when ``chroma_host`` is set) with
  one vector per chunk, keyed by chunk id.
- ``lexical.npz``: the BM25 index as flat numpy arrays (no pickle: it loads in milliseconds), a
  cache rebuilt from the chunk table when its generation is stale.

Update order keeps every crash recoverable: vectors are upserted first (idempotent ids), then the
chunk table commits, then stale vectors are deleted. A vector whose id is not in the chunk table is
never shown (lookups go through the table) and is garbage-collected by the next run. An unchanged
corpus is detected from file hashes alone: no model is loaded and nothing is embedded. A different
embedding model forces a clean rebuild. Does not own: ranking (``retrieve``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .chunking import Chunk, chunk_document
from .documents import CorpusError, discover, file_digest, load
from .embeddings import Embedder, get_embedder
from .lexical import BM25Index, analyze, pack_strings, unpack_strings
from .settings import Settings

SCHEMA_VERSION = 1
COLLECTION = "chunks"
LEXICAL_FILE = "lexical.npz"


class IndexError_(Exception):
    """The index is missing, unreadable or was built differently; the message says what to do."""


@dataclass
class IndexReport:
    files: int = 0
    chunks: int = 0
    embedded: int = 0
    skipped: int = 0
    removed: int = 0
    seconds: float = 0.0
    rebuilt: bool = False

    def summary(self) -> str:
        return (
            f"{self.files} files, {self.chunks} chunks, {self.embedded} embedded, "
            f"{self.skipped} skipped, {self.removed} removed, {self.seconds:.2f} s"
            + (" (full rebuild)" if self.rebuilt else "")
        )


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    return con


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (source TEXT PRIMARY KEY, sha256 TEXT, n_chunks INTEGER);
CREATE TABLE IF NOT EXISTS chunks (
  id TEXT PRIMARY KEY, source TEXT, start_line INTEGER, end_line INTEGER, text TEXT, terms TEXT
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
"""


class Index:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.dir = Path(settings.index_dir)
        self._embedder = embedder
        self._con: sqlite3.Connection | None = None
        self._collection: Any = None
        self._lexical: BM25Index | None = None
        self._lexical_ids: list[str] = []

    # ----------------------------------------------------------------- components, lazily
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(
                self.settings.embedding_model, self.settings.embed_batch_size
            )
        return self._embedder

    @property
    def model_name(self) -> str:
        if self._embedder is not None:
            return self._embedder.name
        if self.settings.embedding_model.startswith("hash"):  # cheap: name it as it will be built
            return self.embedder.name
        return _MODEL_NAMES.get(self.settings.embedding_model, self.settings.embedding_model)

    @property
    def vector_store(self) -> str:
        """Where the vectors live: ``local`` (``chroma/`` in the index folder) or a server URL."""
        s = self.settings
        return f"http://{s.chroma_host}:{s.chroma_port}" if s.chroma_host else "local"

    @property
    def db_path(self) -> Path:
        return self.dir / "chunks.sqlite3"

    def _db(self) -> sqlite3.Connection:
        if self._con is None:
            self.dir.mkdir(parents=True, exist_ok=True)
            try:
                self._con = _connect(self.db_path)
                self._con.executescript(_SCHEMA)
                self._con_ino = self.db_path.stat().st_ino
            except sqlite3.DatabaseError as e:
                self._con = None
                raise IndexError_(
                    f"the index at {self.dir} is unreadable ({e}): "
                    "run `assistant index --rebuild`"
                ) from e
        return self._con

    def _chroma(self) -> Any:
        gen = _generation(self._db())
        if self._collection is not None and self._collection_gen != gen:
            # Another process changed the index since this store was opened: Chroma's in-memory
            # index would not see its vectors, and writing through it could lose them. Reopen.
            self._collection = None
            _forget_replaced_chroma(self.settings, self.dir, force=True)
        if self._collection is None:
            # Opening the store must not load the model: deletions and queries with ready
            # vectors never need it.
            _forget_replaced_chroma(self.settings, self.dir)
            self._collection = open_collection(self.settings, self.dir, _DeferredEmbedder(self))
            _forget_replaced_chroma(self.settings, self.dir, record_only=True)
        self._collection_gen = gen
        return self._collection

    _collection_gen: str | None = None

    def meta(self) -> dict[str, str]:
        try:
            return dict(self._db().execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as e:
            raise IndexError_(
                f"the index at {self.dir} is unreadable ({e}): run `assistant index --rebuild`"
            ) from e

    def exists(self) -> bool:
        return self.db_path.exists() and bool(self.meta().get("embedding_model"))

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    # ----------------------------------------------------------------------------- writing
    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def wipe(self) -> None:
        """Delete everything in the index folder (used by --rebuild and on model change)."""
        if self.db_path.exists():  # a crash below leaves a table that asks for a full rebuild
            with contextlib.suppress(Exception):
                _set_meta(self._db(), dirty="1", rebuild="1")
        self.close()
        self._collection = None
        self._lexical = None
        # Drop the collection through the client first: a local client is cached per path by
        # Chroma, and deleting its files under it would leave it writing to a removed database.
        with contextlib.suppress(Exception):
            _client(self.settings, self.dir).delete_collection(_collection_name(self.settings))
        if not self.settings.chroma_host:
            with contextlib.suppress(Exception):
                from chromadb.api.client import SharedSystemClient

                SharedSystemClient.clear_system_cache()
        if self.dir.exists():
            # The chunk table (the source of truth) goes last, after its WAL.
            for p in sorted(self.dir.iterdir(), key=lambda p: p.name == "chunks.sqlite3"):
                if p.name == ".lock":
                    continue
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p)
                else:
                    p.unlink()

    def update(
        self,
        rebuild: bool = False,
        progress: bool = True,
        warn: Callable[[str], None] = lambda m: print(f"warning: {m}", file=sys.stderr),
    ) -> IndexReport:
        """Bring the index in line with the corpus; embeds only new or changed files."""
        t0 = time.perf_counter()
        s = self.settings
        corpus = Path(s.corpus)
        report = IndexReport()
        with self._lock():
            paths = discover(corpus, s.extensions, warn)
            if not paths:
                raise CorpusError(
                    f"the corpus folder {corpus} holds no documents ({', '.join(s.extensions)})"
                )
            try:
                meta = self.meta() if self.db_path.exists() else {}
            except IndexError_:
                warn(f"the index at {self.dir} was unreadable; rebuilding it")
                meta, rebuild = {}, True
            if meta.get("embedding_model") and meta["embedding_model"] != self.model_name:
                warn(
                    f"index was built with {meta['embedding_model']}, settings ask for "
                    f"{self.model_name}: rebuilding"
                )
                rebuild = True
            if meta.get("schema") and meta["schema"] != str(SCHEMA_VERSION):
                rebuild = True
            if meta.get("rebuild") == "1":  # an earlier rebuild was interrupted
                rebuild = True
            if meta.get("vectors", self.vector_store) != self.vector_store:
                warn(
                    f"the index kept its vectors in {meta['vectors']}, settings say "
                    f"{self.vector_store}: rebuilding"
                )
                rebuild = True
            if meta and not s.chroma_host and not (self.dir / "chroma").is_dir():
                warn(f"the vector store under {self.dir} is missing; rebuilding the index")
                rebuild = True
            if rebuild:
                self.wipe()
                report.rebuilt = True
            db = self._db()
            known = dict(db.execute("SELECT source, sha256 FROM files").fetchall())
            seen: set[str] = set()
            todo: list[tuple[Path, str, str]] = []
            bar = _bar(paths, "scanning", progress)
            for path in bar:
                source = path.relative_to(corpus).as_posix()
                try:
                    digest = file_digest(path)
                except OSError as e:
                    warn(f"skipped {source}: cannot read ({e.strerror or e})")
                    report.skipped += 1
                    continue
                seen.add(source)
                if known.get(source) != digest:
                    todo.append((path, source, digest))
            gone = [src for src in known if src not in seen]
            needs_gc = (not todo and not gone) and self._vector_count_mismatch(db)
            moved = bool(meta.get("corpus")) and meta["corpus"] != str(corpus.resolve())
            if moved:
                warn(f"the index was built for {meta.get('corpus')}; re-indexing it for {corpus}")
            if todo or gone or needs_gc or rebuild or not meta or moved:
                report.embedded, skipped, report.removed = self._apply(
                    corpus, todo, gone, progress, warn
                )
                report.skipped += skipped
            self._collection_gen = _generation(db)  # our own writes: the store needs no reopen
            report.files = db.execute("SELECT COUNT(*) FROM files").fetchone()[0]
            report.chunks = db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
            if report.files == 0:
                raise CorpusError(f"the corpus folder {corpus} holds no readable documents")
        report.seconds = time.perf_counter() - t0
        return report

    def _vector_count_mismatch(self, db: sqlite3.Connection) -> bool:
        """True when the last run died between writing vectors and the chunk table."""
        row = db.execute("SELECT value FROM meta WHERE key='dirty'").fetchone()
        return row not in (None, ("0",))

    def _apply(
        self,
        corpus: Path,
        todo: list[tuple[Path, str, str]],
        gone: list[str],
        progress: bool,
        warn: Callable[[str], None],
    ) -> tuple[int, int, int]:
        s = self.settings
        db = self._db()
        coll = self._chroma()
        _set_meta(db, dirty="1", embedding_model=self.model_name, schema=str(SCHEMA_VERSION),
                  vectors=self.vector_store,
                  corpus=str(corpus.resolve()))
        embedded = skipped = removed = 0
        batch: list[tuple[str, str, list[Chunk]]] = []
        pending = 0

        def flush() -> None:
            nonlocal embedded, removed, pending
            chunks = [c for _, _, cs in batch for c in cs]
            ids = [_cid(c) for c in chunks]  # hashed once per chunk
            if chunks:
                # One call per batch: the embedder sorts the texts by length and pads each
                # sub-batch only to its longest text.
                vecs = self.embedder.embed([c.text for c in chunks])
                for i in range(0, len(chunks), 1000):
                    part = chunks[i : i + 1000]
                    # Texts stay in the chunk table only: Chroma needs ids, vectors, metadata.
                    coll.upsert(
                        ids=ids[i : i + 1000],
                        embeddings=vecs[i : i + 1000],
                        metadatas=[
                            {"source": c.source, "start_line": c.start_line, "end_line": c.end_line}
                            for c in part
                        ],
                    )
                embedded += len(chunks)
            stale: list[str] = []
            db.execute("BEGIN IMMEDIATE")
            pos = 0
            for source, digest, cs in batch:
                new_ids = ids[pos : pos + len(cs)]
                pos += len(cs)
                keep = set(new_ids)
                stale += [
                    r[0]
                    for r in db.execute("SELECT id FROM chunks WHERE source=?", (source,))
                    if r[0] not in keep
                ]
                db.execute("DELETE FROM chunks WHERE source=?", (source,))
                db.executemany(
                    "INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?)",
                    [
                        (cid, c.source, c.start_line, c.end_line, c.text, " ".join(analyze(c.text)))
                        for cid, c in zip(new_ids, cs, strict=True)
                    ],
                )
                db.execute("INSERT OR REPLACE INTO files VALUES (?,?,?)", (source, digest, len(cs)))
            _bump_generation(db)
            db.execute("COMMIT")
            _delete_vectors(coll, stale)
            removed += len(stale)
            batch.clear()
            pending = 0

        bar = _bar(todo, "embedding", progress)
        for path, source, digest in bar:
            doc = load(path, corpus, int(s.max_file_mb * 1e6), warn)
            if doc is None:
                skipped += 1
                # A file that became unreadable loses its old chunks too.
                gone.append(source)
                continue
            cs = chunk_document(doc, s.chunk_chars)
            batch.append((source, digest, cs))
            pending += len(cs)
            if pending >= 256:
                flush()
        flush()
        for source in gone:
            ids = [r[0] for r in db.execute("SELECT id FROM chunks WHERE source=?", (source,))]
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM chunks WHERE source=?", (source,))
            db.execute("DELETE FROM files WHERE source=?", (source,))
            _bump_generation(db)
            db.execute("COMMIT")
            _delete_vectors(coll, ids)
            removed += len(ids)
        self._collect_garbage(db, coll)
        _set_meta(db, dirty="0", indexed_at=time.strftime("%Y-%m-%d %H:%M:%S"))
        self._save_lexical(db)
        return embedded, skipped, removed

    def _collect_garbage(self, db: sqlite3.Connection, coll: Any) -> None:
        """Delete vectors whose chunk is not in the table (left by an interrupted run)."""
        if coll.count() == db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]:
            return  # the common case: no id set of the whole corpus is built
        valid = {r[0] for r in db.execute("SELECT id FROM chunks")}
        offset, extra = 0, []
        while True:
            got = coll.get(limit=5000, offset=offset, include=[])
            if not got["ids"]:
                break
            extra += [i for i in got["ids"] if i not in valid]
            offset += len(got["ids"])
        _delete_vectors(coll, extra)

    # ----------------------------------------------------------------------------- reading
    def refresh(self) -> None:
        """Let go of a chunk table and vector store that another process replaced or deleted."""
        if self._con is None:
            return
        try:
            same = self.db_path.stat().st_ino == self._con_ino
        except OSError:
            same = False
        if not same:  # e.g. `assistant index --rebuild` ran while this process was serving
            self.close()
            self._collection = self._lexical = self._lexical_gen = None
            with contextlib.suppress(Exception):
                from chromadb.api.client import SharedSystemClient

                SharedSystemClient.clear_system_cache()

    _con_ino: int | None = None

    def check_ready(self) -> None:
        """Raise IndexError_ with advice when the index cannot answer questions."""
        self.refresh()
        meta = self.meta()
        if not meta.get("embedding_model"):
            raise IndexError_(f"no index at {self.dir}: run `assistant index`")
        if meta["embedding_model"] != self.model_name:
            raise IndexError_(
                f"the index at {self.dir} was built with {meta['embedding_model']}, but the "
                f"settings ask for {self.model_name}: run `assistant index --rebuild`"
            )
        built_for, corpus = meta.get("corpus"), str(Path(self.settings.corpus).resolve())
        if built_for and built_for != corpus and Path(built_for).is_dir():  # moved: still fine
            raise IndexError_(
                f"the index at {self.dir} was built for the corpus {built_for}, not {corpus}: "
                "run `assistant index` to re-index it for this corpus, or use another index folder"
            )
        if meta.get("dirty", "0") != "0":
            if not self.writer_active():
                raise IndexError_(
                    f"the last indexing run at {self.dir} was interrupted, so the index is "
                    "incomplete: run `assistant index` to finish it"
                )
            if not meta.get("indexed_at"):  # a first build is running: wait for it, then recheck
                self.wait_for_writer()
                self.check_ready()
            # else: an update is running; answers come from the batches committed so far, each
            # file entirely old or entirely new, and every citation is checked on the live file.

    def wait_for_writer(self) -> None:
        """Block until no ``update()`` holds the index lock, then drop handles it replaced."""
        with contextlib.suppress(OSError), open(self.dir / ".lock", "rb") as fh:
            fcntl.flock(fh, fcntl.LOCK_SH)
            fcntl.flock(fh, fcntl.LOCK_UN)
        self.refresh()

    def writer_active(self) -> bool:
        """True while another ``update()`` (any process) holds the index lock."""
        try:
            with open(self.dir / ".lock", "rb") as fh:
                fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
                fcntl.flock(fh, fcntl.LOCK_UN)
        except BlockingIOError:
            return True
        except OSError:
            return False
        return False

    def _read_lexical(self, db: sqlite3.Connection) -> tuple[BM25Index, list[str]]:
        """Build the BM25 index from the chunk table, streaming its rows."""
        ids: list[str] = []

        def terms() -> Iterator[list[str]]:
            for cid, t in db.execute("SELECT id, terms FROM chunks ORDER BY rowid"):
                ids.append(cid)
                yield t.split()

        return BM25Index(terms()), ids

    def _save_lexical(self, db: sqlite3.Connection) -> None:
        gen = _generation(db)
        lex, ids = self._read_lexical(db)
        self._lexical, self._lexical_ids, self._lexical_gen = lex, ids, gen
        _write_lexical(self.dir, gen, lex, ids)

    def lexical(self) -> tuple[BM25Index, list[str]]:
        """The BM25 index and its chunk ids, loaded from ``lexical.npz`` (rebuilt if stale)."""
        db = self._db()
        gen = _generation(db)
        if self._lexical is not None and self._lexical_gen == gen:
            return self._lexical, self._lexical_ids
        try:
            with np.load(self.dir / LEXICAL_FILE, allow_pickle=False) as z:
                if str(int(z["generation"][0])) != gen:
                    raise ValueError("stale")
                lex = BM25Index.from_arrays({k: z[k] for k in z.files if k.startswith("bm25_")})
                ids = unpack_strings(z["chunk_ids"])
        except Exception:
            # Own connection and one read snapshot: the generation matches the rows read, and
            # no other thread's statements on the shared connection interleave.
            snap = _connect(self.db_path)
            try:
                snap.execute("BEGIN")
                gen = _generation(snap)
                lex, ids = self._read_lexical(snap)
            finally:
                snap.close()
            with contextlib.suppress(OSError):  # a read-only index folder still answers
                _write_lexical(self.dir, gen, lex, ids)
        self._lexical, self._lexical_ids, self._lexical_gen = lex, ids, gen
        return lex, ids

    _lexical_gen: str | None = None
    _vectors_checked: tuple[Any, str, int] | None = None

    def dense_search(self, query_vec: np.ndarray, k: int) -> list[tuple[str, float]]:
        coll = self._chroma()
        try:
            # Counting costs a round trip to a Chroma server (and a scan at 100k chunks): count
            # once per collection handle and index generation, not once per query.
            gen = _generation(self._db())
            checked = self._vectors_checked
            if checked is None or checked[0] is not coll or checked[1] != gen:
                n = coll.count()
                chunks = self._db().execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
                if n < chunks:  # vectors are written before their chunks: fewer means loss
                    raise IndexError_(
                        f"the vector store under {self.dir} holds {n} vectors for {chunks} chunks "
                        "(damaged or deleted): run `assistant index --rebuild`"
                    )
                self._vectors_checked = checked = (coll, gen, n)
            n = checked[2]
            if n == 0:
                return []
            res = coll.query(query_embeddings=[query_vec.tolist()], n_results=min(k, n),
                             include=["distances"])
        except IndexError_:
            raise
        except Exception as e:  # chromadb raises many types for a store changed or damaged under it
            raise IndexError_(
                f"the vector store under {self.dir} could not be searched ({type(e).__name__}: "
                f"{e}): run `assistant index --rebuild`"
            ) from e
        hits = zip(res["ids"][0], res["distances"][0], strict=True)
        return [(i, 1.0 - float(d)) for i, d in hits]

    def get_chunks(self, ids: list[str]) -> dict[str, Chunk]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        q = f"SELECT id, source, start_line, end_line, text FROM chunks WHERE id IN ({marks})"
        return {r[0]: Chunk(r[1], r[2], r[3], r[4]) for r in self._db().execute(q, ids)}

    def get_file(self, source: str) -> str | None:
        """The sha256 recorded for ``source``, or None when it is not indexed."""
        row = self._db().execute("SELECT sha256 FROM files WHERE source=?", (source,)).fetchone()
        return row[0] if row else None

    def status(self) -> dict[str, Any]:
        db = self._db()
        meta = self.meta()
        return {
            "index_dir": str(self.dir),
            "files": db.execute("SELECT COUNT(*) FROM files").fetchone()[0],
            "chunks": db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0],
            "embedding_model": meta.get("embedding_model"),
            "indexed_at": meta.get("indexed_at"),
            "corpus": meta.get("corpus"),
        }


_MODEL_NAMES = {"minilm-int8": "all-MiniLM-L6-v2/int8-onnx", "minilm": "all-MiniLM-L6-v2/fp32"}


class _DeferredEmbedder:
    """Names the index's model at once; loads it only if something asks for vectors."""

    def __init__(self, index: Index) -> None:
        self._index = index
        self.name = index.model_name

    @property
    def dim(self) -> int:
        return self._index.embedder.dim

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._index.embedder.embed(texts)


def _cid(c: Chunk) -> str:
    return f"{c.source}#{c.id}"


def _set_meta(db: sqlite3.Connection, **kv: str) -> None:
    db.executemany("INSERT OR REPLACE INTO meta VALUES (?,?)", list(kv.items()))


def _generation(db: sqlite3.Connection) -> str:
    row = db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
    return row[0] if row else "0"


def _bump_generation(db: sqlite3.Connection) -> None:
    _set_meta(db, generation=str(int(_generation(db)) + 1))


def _write_lexical(folder: Path, gen: str, lex: BM25Index, ids: list[str]) -> None:
    tmp = folder / f"{LEXICAL_FILE}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        np.savez(f, generation=np.array([int(gen)], dtype=np.int64), chunk_ids=pack_strings(ids),
                 **lex.to_arrays())
    os.replace(tmp, folder / LEXICAL_FILE)
    with contextlib.suppress(OSError):
        (folder / "lexical.pkl").unlink()  # the format before lexical.npz


def _delete_vectors(coll: Any, ids: list[str]) -> None:
    for i in range(0, len(ids), 1000):
        coll.delete(ids=ids[i : i + 1000])


def _bar(items: list, desc: str, enabled: bool) -> Any:
    if not enabled or not items:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="file", file=sys.stderr, leave=False)


def _collection_name(settings: Settings) -> str:
    if not settings.chroma_host:
        return COLLECTION
    # One server may hold several corpora: name the collection after the index folder.
    import hashlib

    folder = str(Path(settings.index_dir).resolve())
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
        with contextlib.suppress(Exception):
            from chromadb.api.client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
    _CHROMA_SEEN[key] = ino


def open_collection(settings: Settings, index_dir: Path, embedder: Embedder) -> Any:
    from .chroma_ef import LocalEmbeddingFunction

    try:
        client = _client(settings, index_dir)
        return client.get_or_create_collection(
            _collection_name(settings),
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
        where = index_dir
        raise IndexError_(
            f"the vector store at {where} is unreadable ({type(e).__name__}: {e}): "
            "run `assistant index --rebuild`"
        ) from e
