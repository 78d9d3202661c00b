"""The Python API: ``Assistant`` ties the pipeline together.

Owns: the public contract (``Assistant(corpus=, index_dir=, backend=, ...)``, ``ask``,
``stream``, ``index``), input validation, building the index on first use, and the order
retrieve -> draft -> verify -> (fallback | refuse). Does not own: any step's internals.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .abstain import load_calibration, measure
from .answer import (
    CANNOT_ANSWER,
    FALLBACK,
    Answer,
    Backend,
    BackendError,
    Context,
    Draft,
    get_backend,
    resolve_backend_name,
)
from .documents import CorpusError, load
from .index import Index, IndexError_, IndexReport
from .question import analyse
from .retrieve import Evidence, Retriever
from .settings import Settings
from .verify import verify_answer

if TYPE_CHECKING:  # LangChain is imported only when its view is asked for
    from .retrieve import AssistantRetriever

MAX_QUESTION_CHARS = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class QuestionError(ValueError):
    """The question cannot be asked (empty, only punctuation...)."""


_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD", re.IGNORECASE)
_URL_CREDENTIALS = re.compile(r"(?<=://)[^/@\s:]+:[^/@\s]+@")


def redact(text: str) -> str:
    """``text`` without secrets: the value of any environment variable whose name says it is a
    key, token or password (``OPENAI_API_KEY``...), and credentials inside URLs. Applied to every
    message that reaches the user from a backend, since a server may echo what it was sent."""
    for name, value in os.environ.items():
        if len(value) >= 8 and _SECRET_NAME.search(name) and value in text:
            text = text.replace(value, "[redacted]")
    return _URL_CREDENTIALS.sub("[redacted]@", text)


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
        self._lines_cache: dict[str, tuple[tuple[int, int], list[str] | None]] = {}
        self._lock = threading.RLock()
        self.backend_note = ""  # why the default backend could not be used, if it could not

    # --------------------------------------------------------------------------- indexing
    def build_index(self, rebuild: bool = False, progress: bool = False, **kw: Any) -> IndexReport:
        with self._lock:
            report = self.index.update(rebuild=rebuild, progress=progress, **kw)
            self._lines_cache.clear()
            return report

    def ensure_index(self, progress: bool = False) -> IndexReport | None:
        """Build the index when there is none yet; otherwise check it is usable."""
        with self._lock:
            if not Path(self.settings.corpus).is_dir():
                raise CorpusError(f"corpus folder not found: {self.settings.corpus}")
            self.index.refresh()  # another process may have rebuilt or deleted it
            if not self.index.exists():
                return self.build_index(progress=progress)
            self.index.check_ready()
            return None

    # --------------------------------------------------------------------------- answering
    def backend(self, name: str | None = None) -> Backend:
        """The backend called ``name``. When the bundled local model cannot be had (a package
        missing, a damaged file) the no-model answerer stands in, and ``backend_note`` says
        what to install; an explicit ``gguf_path`` that fails is an error, not a fallback."""
        name = name or self.settings.backend
        if name not in self._backends:
            try:
                self._backends[name] = get_backend(name, self.settings)
            except BackendError as e:
                resolved = resolve_backend_name(name)
                if resolved != "local" or self.settings.gguf_path:
                    raise
                self.backend_note = redact(f"local: {e}; answering without a model")
                self._backends[name] = get_backend(FALLBACK, self.settings)
        return self._backends[name]

    def lookup(self, source: str) -> list[str] | None:
        """The real current lines of ``source`` if it is an indexed corpus file."""
        corpus = Path(self.settings.corpus)
        path = corpus / source
        try:
            if ".." in Path(source).parts or not path.resolve().is_relative_to(corpus.resolve()):
                return None
            st = path.stat()
        except (OSError, ValueError):
            return None
        key = (st.st_mtime_ns, st.st_size)
        hit = self._lines_cache.get(source)
        if hit and hit[0] == key:
            return hit[1]
        lines = None
        if self.index.get_file(source) is not None:
            doc = load(path, corpus, int(self.settings.max_file_mb * 1e6))
            lines = list(doc.lines) if doc else None
        self._lines_cache[source] = (key, lines)
        return lines

    def retrieve(self, question: str, top_k: int | None = None) -> list[Evidence]:
        q = analyse(clean_question(question))
        self.ensure_index()
        return self.retriever.search(q.text or question, top_k)

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

    def _context(self) -> Context:
        lex, _ = self.index.lexical()
        return Context(lookup=self.lookup, idf=lex.idf)

    def ask(self, question: str, backend: str | None = None, top_k: int | None = None) -> Answer:
        """Answer ``question``; every citation in the result has been verified."""
        *_, answer = self.stream(question, backend=backend, top_k=top_k, plain=True)
        assert isinstance(answer, Answer)
        return answer

    def stream(
        self, question: str, backend: str | None = None, top_k: int | None = None,
        *, plain: bool = False,
    ) -> Iterator[str | Answer]:
        """Yield text pieces as the backend produces them, then the verified ``Answer``.

        The pieces are a preview; only the final ``Answer`` is verified, and it is identical to
        what ``ask`` returns. ``plain=True`` asks the backend for its whole draft at once (no
        pieces): what ``ask`` does.
        """
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        q = clean_question(question)
        # One question at a time per Assistant: a backend keeps its last draft between ``stream``
        # and ``last_draft``, and the index must not change under a search (build_index waits).
        # Run several Assistants or processes to answer in parallel.
        with self._lock:
            self.ensure_index()
            be = self.backend(backend)
            t1 = time.perf_counter()
            try:
                evidence = self.retriever.search(analyse(q).text or q, top_k)
            except IndexError_:
                # Another process may have rebuilt the index under this search: wait for it to
                # finish, reopen, and search once more. A damaged index fails again, clearly.
                self.index.wait_for_writer()
                self.ensure_index()
                evidence = self.retriever.search(analyse(q).text or q, top_k)
            timings["retrieve"] = time.perf_counter() - t1
            ctx = self._context()
            t2 = time.perf_counter()
            if plain:
                draft = be.draft(q, evidence, ctx)
            else:
                yield from be.stream(q, evidence, ctx)
                draft = be.last_draft() or Draft(CANNOT_ANSWER, [], True)
            timings["draft"] = time.perf_counter() - t2
            answer = self._finish(q, draft, be, evidence, ctx)
        # Say why the backend's own answer was cut or replaced (a refusal it chose needs no note).
        answer.note = redact(draft.note) if answer.path != "kept" and not draft.refused else ""
        if self.backend_note and be.name == FALLBACK and self.settings.backend != FALLBACK:
            answer.note = "; ".join(n for n in (self.backend_note, answer.note) if n)
        answer.dropped = [redact(d) for d in answer.dropped]
        timings["total"] = time.perf_counter() - t0
        answer.timings = timings
        yield answer

    def _finish(
        self, question: str, draft: Draft, be: Backend, evidence: list[Evidence], ctx: Context
    ) -> Answer:
        if draft.refused:
            return Answer(question, CANNOT_ANSWER, True, [], be.name, "refused", evidence,
                          signals=draft.signals or {})
        v = verify_answer(draft.text, draft.citations, self.lookup)
        dropped = [f"{d.claim} ({d.reason})" for d in v.dropped]
        if v.kept_claims:
            path = "trimmed" if v.dropped else "kept"
            ans = Answer(question, v.text, False, v.citations, be.name, path, evidence,
                         dropped=dropped)
            if draft.signals is not None:  # a model's answer: shown if the calibration agrees
                sig = measure(question, v.text, self._near(v.citations), evidence, ctx.idf,
                              draft.signals)
                cal = load_calibration(be.calibration if "p_answer" in draft.signals else None)
                ans.signals, ans.confidence = sig.to_dict(), round(cal.confidence(sig), 4)
                limit = self.settings.abstain_threshold
                if ans.confidence < (cal.threshold if limit is None else limit):
                    # Not shown: a verified quote is not enough when the signals say the
                    # evidence does not answer the question.
                    return Answer(question, CANNOT_ANSWER, True, [], be.name, "abstained",
                                  evidence, dropped=dropped, confidence=ans.confidence,
                                  signals=ans.signals)
            return ans
        if draft.signals is None and be.name != FALLBACK:
            # The model could not answer at all (server down, timeout...): the no-model answer.
            fb = self.backend(FALLBACK).draft(question, evidence, ctx)
            if not fb.refused:
                v2 = verify_answer(fb.text, fb.citations, self.lookup)
                if v2.kept_claims:
                    return Answer(question, v2.text, False, v2.citations, be.name, "fallback",
                                  evidence, dropped=dropped)
        return Answer(question, CANNOT_ANSWER, True, [], be.name, "refused", evidence,
                      dropped=dropped, signals=draft.signals or {})

    def _near(self, citations: list) -> str:
        """The cited lines with one line of context on each side, as one text."""
        cited = []
        for c in citations:
            lines = self.lookup(c.source) or []
            lo, hi = max(1, c.start_line - 1), min(len(lines), c.end_line + 1)
            cited.append(" ".join(lines[lo - 1 : hi]))
        return " ".join(cited)


__all__ = ["Assistant", "QuestionError", "CorpusError", "IndexError_", "clean_question"]
