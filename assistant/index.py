"""The persisted index: brings ``index_dir`` in line with the corpus, and reads it back.

The corpus it indexes is the corpus folder plus the uploads folder (``settings.uploads_path``,
whose files are the sources ``uploads/<name>``; ``documents.discover`` finds both).

Owns: the crash-safe, incremental ``update`` (which files changed, in what order the parts are
written), wiping the folder, telling whether the index can answer (``check_ready``), finding
damage in any of its parts (``damage``: the chunk table unreadable, malformed or missing a table or
its meta rows; the vector store missing, not a database, or holding another number of vectors than
the table has chunks) and rebuilding from the corpus when it finds some, a read-only folder (it
answers as it is, from the lexical index alone when Chroma cannot open it read-only, and refuses
to update), and who may read or write it when. Layout of ``index_dir``:
- ``chunks.sqlite3`` (``chunkstore``): the source of truth: chunks with their lines and verbatim
  text, file hashes, the embedding model's identity, the corpus, a ``generation`` number.
- ``chroma/`` (``vectors``): one vector per chunk, keyed by chunk id (or a Chroma server).
- ``lexical.npz`` (``lexcache``): the BM25 index, a cache rebuilt when its generation is stale.
- ``.lock`` (``locking``): held by the process that updates the index.

Update order keeps every crash recoverable: vectors are upserted first (idempotent ids), then the
chunk table commits per batch of files, then stale vectors are deleted. A vector whose id is not in
the chunk table is never shown (lookups go through the table) and is garbage-collected by the next
run. A ``dirty`` flag marks a run in progress; a ``--rebuild`` first marks the table "rebuild
pending". An unchanged corpus is detected from file hashes alone: no model is loaded and nothing is
embedded. A different embedding model forces a clean rebuild. Damage is judged twice: outside the
lock as a hint (``Assistant.ensure_index`` asks), then again under the lock by ``update``, which
alone decides to rebuild (a writer's half-done batch is never taken for damage).

Within one process an ``Index`` is safe to share between threads: reads (``reading()``, and each
reading method) share a readers/writer lock whose write side ``update``, ``wipe``, ``refresh`` and
``close`` take, so a search never sees a half-applied update. Between processes, an ``update``
holds the file lock; readers elsewhere see each batch of files entirely old or entirely new.
Does not own: SQL (``chunkstore``), Chroma (``vectors``), the BM25 file (``lexcache``), how locks
work (``locking``), ranking (``retrieve``).
"""

from __future__ import annotations

import contextlib
import errno
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .chunking import Chunk, chunk_document
from .chunkstore import (
    SCHEMA_VERSION,
    ChunkStore,
    FileChunks,
    IndexDamaged,
    IndexReadOnly,
    chunk_id,
    writable,
)
from .documents import CorpusError, discover, file_digest, load, source_of
from .embeddings import Embedder, get_embedder
from .errors import IndexError_
from .lexcache import LEXICAL_FILE, LexicalCache
from .lexical import BM25Index
from .locking import FileLock, RWLock
from .settings import Settings
from .vectors import COLLECTION, VectorStore, location, open_collection, stored_count

__all__ = [
    "COLLECTION",
    "LEXICAL_FILE",
    "SCHEMA_VERSION",
    "Index",
    "IndexDamaged",
    "IndexError_",
    "IndexReadOnly",
    "IndexReport",
    "open_collection",
]

_BATCH_CHUNKS = 256  # chunks embedded and committed together
_MODEL_NAMES = {"minilm-int8": "all-MiniLM-L6-v2/int8-onnx", "minilm": "all-MiniLM-L6-v2/fp32"}


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


@dataclass
class IndexReport:
    """What one ``update`` did."""

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


class Index:
    """The index in ``settings.index_path`` for the corpus ``settings.corpus``."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.dir = settings.index_path
        self._embedder = embedder
        self._embedder_mutex = threading.Lock()  # one model load, however many threads ask
        self._store = ChunkStore(self.dir / "chunks.sqlite3")
        self._vectors = VectorStore(settings, self.dir, _DeferredEmbedder(self))
        self._lexcache = LexicalCache(self.dir, self._store)
        self._file_lock = FileLock(self.dir / ".lock")
        self._rw = RWLock()
        self._dense = True  # False: the vectors cannot be opened read-only; lexical search only
        self._noted = False  # said once that the index is read-only

    # ----------------------------------------------------------------- components, lazily
    @property
    def embedder(self) -> Embedder:
        if self._embedder is not None:  # the usual case: no lock on the query path
            return self._embedder
        with self._embedder_mutex:
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
        return location(self.settings)

    @property
    def db_path(self) -> Path:
        return self._store.path

    def reading(self) -> contextlib.AbstractContextManager[None]:
        """``with index.reading():`` holds the shared side of the index's readers/writer lock:
        any number of threads may read at once, and no ``update``/``wipe`` of this object runs
        until all have left. Re-entrant; the reading methods below also take it themselves."""
        return self._rw.read()

    def meta(self) -> dict[str, str]:
        with self._rw.read():
            return self._store.meta()

    def exists(self) -> bool:
        return self.db_path.exists() and bool(self.meta().get("embedding_model"))

    def close(self) -> None:
        with self._rw.write():
            self._store.close()

    def _chroma(self) -> Any:
        """The Chroma collection itself, current for the chunk table (tests count its vectors)."""
        with self._rw.read():
            return self._vectors.sync(self._store.generation())

    # ------------------------------------------------------------------------------ damage
    def damage(self, locked: bool = False) -> str | None:
        """Why the index in the folder is damaged, or None when it is sound, missing, or being
        written. Unless ``locked`` (the caller holds the index lock), a run in progress elsewhere
        is left alone: the answer is then a hint, and ``update`` judges again under the lock."""
        with self._rw.read():
            reason = self._store.check()
            if reason or not self.db_path.exists():
                return reason
            meta = self._store.meta()
            if (
                not meta.get("embedding_model")
                or meta.get("dirty", "0") != "0"
                or meta.get("vectors", "local") != self.vector_store
                or self.settings.chroma_host
                or (not locked and self.writer_active())
            ):
                return None  # not built yet, being written, or moving: not damage
            try:
                n = stored_count(self.settings, self.dir)
                if n is None:
                    n = self._vectors.count()
            except IndexDamaged as e:
                return e.reason
            except IndexReadOnly:
                return None
            chunks = self._store.count_chunks()
            if n != chunks:
                return f"the vector store holds {n} vectors for {chunks} chunks"
            return None

    def read_only(self) -> bool:
        """True when this process may read the index folder but not write it."""
        return self._store.read_only or (self.db_path.exists() and not writable(self.db_path))

    def note_read_only(self, warn: Callable[[str], None] = _warn) -> bool:
        """True for a read-only index; the first time, ``warn`` one line: it cannot be updated,
        and it answers as it is (from the lexical index alone when Chroma cannot open it)."""
        if not self.read_only():
            return False
        if not self._noted:
            self._noted = True
            warn(self._read_only_note())
        return True

    def _read_only_note(self) -> str:
        how = "it as it is"
        with self._rw.read():
            try:
                self._vectors.sync(self._store.generation())
            except IndexReadOnly:
                self._dense = False
                how = "its lexical index alone (the vector store cannot be opened read-only)"
        return f"the index at {self.dir} is read-only, so it cannot be updated; answering " + (
            f"from {how}"
        )

    def _refuse_read_only(self, damage: str | None = None) -> None:
        """Raise ``IndexReadOnly`` when the folder cannot be written (before any lock)."""
        if self.dir.is_dir() and self.read_only():
            raise IndexReadOnly(self.dir, f"and damaged: {damage}" if damage else "")

    # ----------------------------------------------------------------------------- writing
    def wipe(self) -> None:
        """Delete everything in the index folder (used by --rebuild and on model change)."""
        with self._rw.write():
            if self.db_path.exists():  # a crash below leaves a table that asks for a full rebuild
                with contextlib.suppress(Exception):
                    self._store.set_meta(dirty="1", rebuild="1")
            self._store.close()
            self._lexcache.forget()
            self._vectors.drop()
            if self.dir.exists():
                # The chunk table (the source of truth) goes last, after its WAL.
                for p in sorted(self.dir.iterdir(), key=lambda p: p.name == self.db_path.name):
                    if p.name == self._file_lock.path.name:
                        continue
                    if p.is_dir() and not p.is_symlink():
                        shutil.rmtree(p)
                    else:
                        p.unlink()

    def update(
        self,
        rebuild: bool = False,
        progress: bool = True,
        warn: Callable[[str], None] = _warn,
    ) -> IndexReport:
        """Bring the index in line with the corpus; embeds only new or changed files."""
        t0 = time.perf_counter()
        corpus = Path(self.settings.corpus)
        # Documents added in the UI, as ``uploads/<name>`` (not when an evaluation runs).
        uploads = self.settings.uploads_path if self.settings.include_uploads else None
        report = IndexReport()
        self._refuse_read_only()
        with self._rw.write(), self._exclusive():
            paths = discover(corpus, self.settings.extensions, warn, uploads=uploads)
            if not paths:
                raise CorpusError(
                    f"the corpus folder {corpus} holds no documents "
                    f"({', '.join(self.settings.extensions)})"
                )
            damage = self.damage(locked=True)
            if damage:
                self._refuse_read_only(damage)
                meta, rebuild = {}, True
            else:
                meta = self.meta() if self.db_path.exists() else {}
            if self._must_rebuild(meta, warn):
                rebuild = True
            if rebuild:
                self.wipe()
                report.rebuilt = True
            known = self._store.file_hashes()
            seen: set[str] = set()
            todo: list[tuple[Path, str, str]] = []
            for path in _bar(paths, "scanning", progress):
                source = source_of(path, corpus, uploads)
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
            # A run that died between writing vectors and the chunk table left the flag set.
            needs_gc = not todo and not gone and meta.get("dirty") not in (None, "0")
            moved = bool(meta.get("corpus")) and meta["corpus"] != str(corpus.resolve())
            if moved:
                warn(f"the index was built for {meta.get('corpus')}; re-indexing it for {corpus}")
            if todo or gone or needs_gc or rebuild or not meta or moved:
                report.embedded, skipped, report.removed = self._apply(
                    corpus, todo, gone, progress, warn
                )
                report.skipped += skipped
            self._vectors.mark_current(self._store.generation())  # our own writes: no reopen
            report.files = self._store.count_files()
            report.chunks = self._store.count_chunks()
            if report.files == 0:
                raise CorpusError(f"the corpus folder {corpus} holds no readable documents")
        if damage:
            warn(f"the index at {self.dir} was damaged ({damage}); rebuilt it from the corpus")
        report.seconds = time.perf_counter() - t0
        return report

    @contextlib.contextmanager
    def _exclusive(self) -> Any:
        """The index lock; a folder that refuses the lock file is read-only, said as such."""
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(self._file_lock.exclusive())
            except OSError as e:
                if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                    raise IndexReadOnly(self.dir, e.strerror or str(e)) from e
                raise
            yield

    def _must_rebuild(self, meta: dict[str, str], warn: Callable[[str], None]) -> bool:
        """True when the index in the folder cannot be updated in place, only rebuilt."""
        rebuild = False
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
        if meta and not self.settings.chroma_host and not (self.dir / "chroma").is_dir():
            warn(f"the vector store under {self.dir} is missing; rebuilding the index")
            rebuild = True
        return rebuild

    def _apply(
        self,
        corpus: Path,
        todo: list[tuple[Path, str, str]],
        gone: list[str],
        progress: bool,
        warn: Callable[[str], None],
    ) -> tuple[int, int, int]:
        """Write the changes: vectors, then the table per batch, then stale vectors deleted."""
        s, store, vectors = self.settings, self._store, self._vectors
        vectors.sync(store.generation())  # another process may have changed the store
        store.set_meta(
            dirty="1",
            embedding_model=self.model_name,
            schema=str(SCHEMA_VERSION),
            vectors=self.vector_store,
            corpus=str(corpus.resolve()),
        )
        embedded = skipped = removed = 0
        batch: list[FileChunks] = []
        pending = 0  # chunks in ``batch``

        def flush() -> None:
            nonlocal embedded, removed, pending
            chunks = [c for _, _, cs in batch for c in cs]
            ids = [chunk_id(c) for c in chunks]  # hashed once per chunk
            if chunks:
                # One call per batch: the embedder sorts the texts by length and pads each
                # sub-batch only to its longest text.
                vectors.upsert(ids, self.embedder.embed([c.text for c in chunks]), chunks)
                embedded += len(chunks)
            stale = store.replace_files(batch, ids)
            vectors.delete(stale)
            removed += len(stale)
            batch.clear()
            pending = 0

        for path, source, _digest in _bar(todo, "embedding", progress):
            doc = load(path, corpus, int(s.max_file_mb * 1e6), warn, source=source)
            if doc is None:
                skipped += 1
                gone.append(source)  # a file that became unreadable loses its old chunks too
                continue
            if doc.encoding != "utf-8":
                warn(f"read {source} as {doc.encoding} (not UTF-8)")
            cs = chunk_document(doc, s.chunk_chars)
            # The hash of the bytes actually chunked, not of the scan: a file saved in between
            # (truncate, then write) differs from what is recorded, so the next run re-reads it.
            batch.append((source, doc.sha256, cs))
            pending += len(cs)
            if pending >= _BATCH_CHUNKS:
                flush()
        flush()
        for source in gone:
            ids = store.remove_file(source)
            vectors.delete(ids)
            removed += len(ids)
        self._collect_garbage()
        store.set_meta(dirty="0", indexed_at=time.strftime("%Y-%m-%d %H:%M:%S"))
        self._lexcache.save()
        return embedded, skipped, removed

    def _collect_garbage(self) -> None:
        """Delete vectors whose chunk is not in the table (left by an interrupted run)."""
        if self._vectors.count() == self._store.count_chunks():
            return  # the common case: no id set of the whole corpus is built
        valid = set(self._store.chunk_ids())
        self._vectors.delete([i for i in self._vectors.ids() if i not in valid])

    # ----------------------------------------------------------------------------- reading
    def refresh(self) -> None:
        """Let go of a chunk table and vector store that another process replaced or deleted."""
        if not self._store.replaced():  # e.g. `assistant index --rebuild` ran while serving
            return
        with self._rw.write():
            if self._store.replaced():
                self._store.close()
                self._lexcache.forget()
                self._vectors.forget()

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
                f"leave out --index-dir (each corpus then gets an index of its own), or run "
                f"`assistant index --corpus {corpus} --index-dir {self.dir}` to re-index it"
            )
        if meta.get("dirty", "0") != "0":
            if not self.writer_active() and self.read_only():
                raise IndexReadOnly(self.dir, "and its last indexing run was interrupted")
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
        self._file_lock.wait()
        self.refresh()

    def writer_active(self) -> bool:
        """True while another ``update()`` (any process) holds the index lock."""
        return self._file_lock.held()

    def lexical(self) -> tuple[BM25Index, list[str]]:
        """The BM25 index and its chunk ids, loaded from ``lexical.npz`` (rebuilt if stale)."""
        with self._rw.read():
            return self._lexcache.get()

    def dense_search(self, query_vec: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The ``k`` chunk ids nearest to ``query_vec``, with their cosine similarity."""
        with self._rw.read():
            if not self._dense:
                return []  # a read-only index whose vectors Chroma cannot open: lexical only
            gen = self._store.generation()
            try:
                return self._vectors.search(query_vec, k, gen, self._store.count_chunks)
            except IndexReadOnly:
                self._dense = False
                return []

    def get_chunks(self, ids: list[str]) -> dict[str, Chunk]:
        with self._rw.read():
            return self._store.get_chunks(ids)

    def get_file(self, source: str) -> str | None:
        """The sha256 recorded for ``source``, or None when it is not indexed."""
        with self._rw.read():
            return self._store.get_file(source)

    def status(self) -> dict[str, Any]:
        with self._rw.read():
            meta = self._store.meta()
            return {
                "index_dir": str(self.dir),
                "files": self._store.count_files(),
                "chunks": self._store.count_chunks(),
                "embedding_model": meta.get("embedding_model"),
                "indexed_at": meta.get("indexed_at"),
                "corpus": meta.get("corpus"),
            }


class _DeferredEmbedder:
    """Names the index's model; loads it only if something asks for vectors."""

    def __init__(self, index: Index) -> None:
        self._index = index

    @property
    def name(self) -> str:
        return self._index.model_name

    @property
    def dim(self) -> int:
        return self._index.embedder.dim

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._index.embedder.embed(texts)


def _bar(items: list, desc: str, enabled: bool) -> Any:
    if not enabled or not items:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="file", file=sys.stderr, leave=False)
