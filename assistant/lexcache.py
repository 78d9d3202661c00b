"""The lexical cache ``lexical.npz``: the chunk table's BM25 index, kept between processes.

Owns: writing ``lexical.npz`` (flat numpy arrays, no pickle, so it loads in milliseconds; written
to a temporary file and swapped in whole), reading it back, rebuilding the BM25 index from the
chunk table's analysed terms when the file is missing, damaged or of another generation than the
table, and the in-memory copy for the table's current generation. Safe to share between threads:
one thread loads or rebuilds while the others wait for its result.
Does not own: how text becomes terms or how BM25 scores (``lexical``), the chunk table
(``chunkstore``).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .chunkstore import ChunkStore
from .lexical import BM25Index, pack_strings, unpack_strings

LEXICAL_FILE = "lexical.npz"


class LexicalCache:
    """The BM25 index of ``store``, cached in ``folder / LEXICAL_FILE`` and in memory."""

    def __init__(self, folder: Path, store: ChunkStore) -> None:
        self.path = folder / LEXICAL_FILE
        self._store = store
        self._current: tuple[str, BM25Index, list[str]] | None = None  # generation, index, ids
        self._mutex = threading.Lock()

    def get(self) -> tuple[BM25Index, list[str]]:
        """The BM25 index and its chunk ids for the table as it is now: from memory, else from
        the file, else rebuilt from the table (and the file rewritten, where it can be)."""
        gen = self._store.generation()
        with self._mutex:
            if self._current is not None and self._current[0] == gen:
                return self._current[1], self._current[2]
            try:
                lex, ids = self._load(gen)
            except Exception:  # missing, damaged, or stale
                gen, lex, ids = self._rebuild()
                with contextlib.suppress(OSError):  # a read-only index folder still answers
                    self._write(gen, lex, ids)
            self._current = (gen, lex, ids)
            return lex, ids

    def save(self) -> None:
        """Rebuild from the table and write the file (the end of an update)."""
        with self._mutex:
            gen, lex, ids = self._rebuild()
            self._current = (gen, lex, ids)
            self._write(gen, lex, ids)

    def forget(self) -> None:
        """Drop the in-memory copy (the table was replaced or wiped)."""
        with self._mutex:
            self._current = None

    def _load(self, gen: str) -> tuple[BM25Index, list[str]]:
        with np.load(self.path, allow_pickle=False) as z:
            if str(int(z["generation"][0])) != gen:
                raise ValueError("stale")
            lex = BM25Index.from_arrays({k: z[k] for k in z.files if k.startswith("bm25_")})
            return lex, unpack_strings(z["chunk_ids"])

    def _rebuild(self) -> tuple[str, BM25Index, list[str]]:
        """Build the BM25 index from one snapshot of the table, streaming its rows."""
        ids: list[str] = []

        def terms(rows: Iterator[tuple[str, list[str]]]) -> Iterator[list[str]]:
            for cid, chunk_terms in rows:
                ids.append(cid)
                yield chunk_terms

        with self._store.snapshot_terms() as (gen, rows):
            lex = BM25Index(terms(rows))
        return gen, lex, ids

    def _write(self, gen: str, lex: BM25Index, ids: list[str]) -> None:
        tmp = self.path.with_name(f"{LEXICAL_FILE}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            np.savez(
                f,
                generation=np.array([int(gen)], dtype=np.int64),
                chunk_ids=pack_strings(ids),
                **lex.to_arrays(),
            )
        os.replace(tmp, self.path)
        with contextlib.suppress(OSError):
            self.path.with_name("lexical.pkl").unlink()  # the format before lexical.npz
