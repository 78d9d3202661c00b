"""The Python API: ``Assistant``, a thin facade over the pipeline.

Owns: the public contract (``Assistant(corpus=, index_dir=, backend=, ...)``, ``ask``,
``stream``, ``conversation``, ``build_index``, ``lookup``), input validation, building the index
on first use, and which backend answers (the no-model one stands in, with a note, when the
bundled model cannot be had). Many threads may ask one ``Assistant`` at once: nothing about a
call is kept on it, and the index's readers/writer lock keeps a search from seeing half an
update. Does not own: the order of the steps or the accept/refuse policy (``pipeline``), nor
any step's internals.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import pipeline
from .answer import Answer
from .backends.base import (
    FALLBACK,
    Backend,
    Context,
    TextDelta,
    get_backend,
    resolve_backend_name,
)
from .documents import UPLOADS, Document, load
from .errors import BackendError, CorpusError, IndexError_, QuestionError, redact
from .index import Index, IndexReport
from .question import analyse
from .retrieve import Evidence, Retriever
from .settings import Settings

if TYPE_CHECKING:  # LangChain is imported only when its view is asked for
    from .conversation import Conversation
    from .retrieve import AssistantRetriever

MAX_QUESTION_CHARS = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean_question(question: str) -> str:
    """Drop control characters and lone surrogates, collapse whitespace, cap the length."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    q = _CONTROL.sub(" ", question)
    q = re.sub(r"\s+", " ", q).strip()
    if not q:
        raise QuestionError("the question is empty")
    if not re.search(r"[^\W_]", q):
        raise QuestionError("the question has no words")
    return q[:MAX_QUESTION_CHARS]


class Assistant:
    """Answers questions about a folder of documents with verified file:line citations."""

    def __init__(
        self,
        corpus: str | os.PathLike | None = None,
        index_dir: str | os.PathLike | None = None,
        backend: str | None = None,
        *,
        settings: Settings | None = None,
        embedder: Any = None,
        **overrides: Any,
    ) -> None:
        given = {"corpus": corpus, "index_dir": index_dir, "backend": backend, **overrides}
        given = {k: v for k, v in given.items() if v is not None}
        self.settings = settings.model_copy(update=given) if settings else Settings(**given)
        self.index = Index(self.settings, embedder=embedder)
        self.retriever = Retriever(self.index)
        self._backends: dict[str, Backend] = {}
        self._backend_notes: dict[str, str] = {}  # backend name -> why it stands in for another
        # source -> ((mtime, size), its Document or None, its lines): what lookup and pages read.
        self._docs: dict[str, tuple[tuple[int, int], Document | None, list[str] | None]] = {}
        # Guards making things once (a backend, the first index), never answering.
        self._setup = threading.RLock()

    # --------------------------------------------------------------------------- indexing
    def build_index(self, rebuild: bool = False, progress: bool = False, **kw: Any) -> IndexReport:
        """Build or update the index (only new or changed files are embedded)."""
        with self._setup:
            report = self.index.update(rebuild=rebuild, progress=progress, **kw)
            self._docs.clear()
            return report

    def ensure_index(self, progress: bool = False) -> IndexReport | None:
        """Build the index when there is none yet; otherwise check it is usable.

        A damaged index (any part: the chunk table, the vector store) is rebuilt from the corpus,
        with one warning line that says so; a read-only one answers as it is, with one warning
        line that it cannot be updated. Returns the report of a first build, else None.
        """
        if not Path(self.settings.corpus).is_dir():
            raise CorpusError(f"corpus folder not found: {self.settings.corpus}")
        with self._setup:
            self.index.refresh()  # another process may have rebuilt or deleted it
            if self.index.damage() is not None:
                # ``update`` judges again under the index lock, rebuilds, and says so.
                self.build_index(progress=progress)
            elif not self.index.exists():
                return self.build_index(progress=progress)
            self.index.note_read_only()
            self.index.check_ready()
            return None

    # --------------------------------------------------------------------------- answering
    @property
    def backend_note(self) -> str:
        """Why the configured backend could not be used, if it could not."""
        return self._backend_notes.get(self.settings.backend, "")

    def backend(self, name: str | None = None) -> Backend:
        """The backend called ``name``. When the bundled local model cannot be had (a package
        missing, a damaged file) the no-model answerer stands in, and its answers say what to
        install; an explicit ``gguf_path`` that fails is an error, not a fallback."""
        name = name or self.settings.backend
        with self._setup:
            if name not in self._backends:
                try:
                    self._backends[name] = get_backend(name, self.settings)
                except BackendError as e:
                    resolved = resolve_backend_name(name)
                    if resolved != "local" or self.settings.gguf_path:
                        raise
                    self._backend_notes[name] = redact(
                        f"The bundled model could not be loaded ({e}); answering without a model."
                    )
                    self._backends[name] = get_backend(FALLBACK, self.settings)
            return self._backends[name]

    def _path_of(self, source: str) -> Path | None:
        """The file behind ``source``: ``<corpus>/<source>``; for ``uploads/<name>`` that the
        corpus does not hold, the uploaded file in ``settings.uploads_path``. None for a name
        that would leave its folder (``..``, an absolute path, a link out)."""
        corpus = Path(self.settings.corpus)
        parts = Path(source).parts
        try:
            if ".." in parts or Path(source).is_absolute():
                return None
            path = corpus / source
            if path.resolve().is_relative_to(corpus.resolve()) and (
                path.is_file() or parts[:1] != (UPLOADS,)
            ):
                return path
            if parts[:1] == (UPLOADS,) and len(parts) > 1 and self.settings.include_uploads:
                uploads = self.settings.uploads_path
                path = uploads.joinpath(*parts[1:])
                if path.resolve().is_relative_to(uploads.resolve()):
                    return path
        except (OSError, ValueError):
            pass
        return None

    def _document(self, source: str) -> tuple[Document | None, list[str] | None]:
        """The current ``Document`` behind ``source`` if it is an indexed file, kept per file
        by mtime and size: ``lookup`` and ``pages`` read one load (a PDF is parsed once)."""
        path = self._path_of(source)
        try:
            st = path.stat() if path is not None else None
        except (OSError, ValueError):
            st = None
        if path is None or st is None:
            return None, None
        key = (st.st_mtime_ns, st.st_size)
        hit = self._docs.get(source)
        if hit and hit[0] == key:
            return hit[1], hit[2]
        doc = None
        if self.index.get_file(source) is not None:
            doc = load(path, path.parent, int(self.settings.max_file_mb * 1e6), source=source)
        lines = list(doc.lines) if doc is not None else None
        self._docs[source] = (key, doc, lines)  # one dict store: atomic under the GIL
        return doc, lines

    def lookup(self, source: str) -> list[str] | None:
        """The real current lines of ``source`` if it is an indexed corpus file (an uploaded
        document is ``uploads/<name>``)."""
        return self._document(source)[1]

    def pages(self, source: str) -> tuple[int, ...] | None:
        """The 1-based page of each line of ``source`` (as ``lookup`` numbers them) for a
        paginated indexed file (PDF); None for a file without pages or not in the corpus."""
        doc = self._document(source)[0]
        return doc.pages if doc is not None else None

    def retrieve(self, question: str, top_k: int | None = None) -> list[Evidence]:
        """The evidence the answerer would see for ``question``."""
        q = analyse(clean_question(question))
        self.ensure_index()
        return self._search(q.text or question, top_k)

    def _search(self, query: str, top_k: int | None) -> list[Evidence]:
        try:
            with self.index.reading():
                return self.retriever.search(query, top_k)
        except IndexError_:
            # Another process may have rebuilt the index under this search: wait for it to
            # finish, reopen, and search once more. A damaged index fails again, clearly.
            self.index.wait_for_writer()
            self.ensure_index()
            with self.index.reading():
                return self.retriever.search(query, top_k)

    def as_langchain_retriever(self, k: int | None = None) -> AssistantRetriever:
        """A LangChain ``BaseRetriever`` over this index, returning exactly ``min(k, available)``
        ``Document``s (``k`` defaults to the ``top_k`` setting; ``invoke(query, k=...)``
        overrides it per call). ``k`` must be at least 1."""
        from .retrieve import AssistantRetriever

        k = self.settings.top_k if k is None else k
        # Check ``k`` before any index work: a bad value must not first build an index.
        retriever = AssistantRetriever(retriever=self.retriever, k=k)
        self.ensure_index()
        return retriever

    def _step(self, backend: str | None) -> pipeline.Step:
        self.ensure_index()
        be = self.backend(backend)
        lex, _ = self.index.lexical()
        return pipeline.Step(
            settings=self.settings,
            retrieve=lambda query, top_k: self._search(analyse(query).text or query, top_k),
            backend=be,
            fallback=lambda: self.backend(FALLBACK),
            ctx=Context(lookup=self.lookup, idf=lex.idf, pages=self.pages),
            backend_note=self._backend_notes.get(backend or self.settings.backend, ""),
        )

    def ask(
        self,
        question: str,
        backend: str | None = None,
        top_k: int | None = None,
        *,
        query: str | None = None,
    ) -> Answer:
        """Answer ``question``; every citation in the result has been verified. ``query`` is
        the standalone form of a follow-up (``Conversation`` passes it)."""
        *_, answer = pipeline.run(
            self._step(backend), clean_question(question), query and clean_question(query), top_k
        )
        assert isinstance(answer, Answer)
        return answer

    def stream(
        self,
        question: str,
        backend: str | None = None,
        top_k: int | None = None,
        *,
        query: str | None = None,
    ) -> Iterator[TextDelta | Answer]:
        """Yield ``TextDelta`` pieces as the backend writes them, then the verified ``Answer``.

        The pieces are a preview; only the final ``Answer`` is verified, and it is identical to
        what ``ask`` returns. Closing the iterator early releases the backend.
        """
        q = clean_question(question)
        yield from pipeline.run(
            self._step(backend), q, query and clean_question(query), top_k, stream=True
        )

    def conversation(self, id: str | None = None) -> Conversation:
        """A new conversation: follow-up questions ("And in 2024?") are read in its context."""
        from .conversation import Conversation

        return Conversation(self, id=id)


__all__ = ["Assistant", "QuestionError", "CorpusError", "IndexError_", "clean_question"]
