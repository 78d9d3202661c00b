"""Answers and the one interface every answering backend implements.

Owns: the ``Answer`` value returned to users (and its ``to_dict`` contract), the ``Draft`` a
backend produces before verification, the ``Backend`` base class, the backend registry, and the
single refusal phrase. Does not own: retrieval, verification, or any particular backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .citations import Citation

if TYPE_CHECKING:
    from .retrieve import Evidence
    from .settings import Settings

CANNOT_ANSWER = "The documents do not contain an answer to this question."

Lookup = Callable[[str], "list[str] | None"]


@dataclass
class Context:
    """What a backend may consult besides the evidence: the real lines of a source, term weights."""

    lookup: Lookup
    idf: Callable[[str], float] = lambda term: 1.0


@dataclass
class Draft:
    """What a backend proposes; nothing in it is shown before the verifier has passed it."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    note: str = ""  # e.g. why the backend refused or fell back
    # A model's own confidence signals (``p_answer``, ``logprob`` when it reports them); None
    # when no model wrote the draft (the no-model answerer, or a model that failed).
    signals: dict[str, float] | None = None


@dataclass
class Answer:
    question: str
    text: str
    refused: bool
    citations: list[Citation]
    backend: str
    path: str = "kept"  # kept | trimmed | fallback | refused: what the verifier did
    evidence: list[Evidence] = field(default_factory=list, repr=False)
    timings: dict[str, float] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    note: str = ""  # why the backend's own answer was not used as written (e.g. server down)
    confidence: float | None = None  # calibrated probability that the answer is right (models)
    signals: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "backend": self.backend,
        }


class Backend:
    """One answering backend. Subclasses implement ``draft`` (and may implement ``stream``)."""

    name: str = "base"
    # The name its answers' signals were calibrated under (``calibration.json``'s ``models``);
    # None: judged by the evidence signals alone.
    calibration: str | None = None

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def draft(self, question: str, evidence: list[Evidence], ctx: Context) -> Draft:
        raise NotImplementedError

    def stream(self, question: str, evidence: list[Evidence], ctx: Context) -> Iterator[str]:
        """Yield text as it is produced; the default yields the whole draft at once."""
        d = self.draft(question, evidence, ctx)
        self._last_draft = d
        yield d.text

    def last_draft(self) -> Draft | None:
        return getattr(self, "_last_draft", None)


_REGISTRY: dict[str, Callable[[Settings], Backend]] = {}


def register(name: str) -> Callable[[type[Backend]], type[Backend]]:
    def deco(cls: type[Backend]) -> type[Backend]:
        _REGISTRY[name] = cls
        cls.name = name
        return cls

    return deco


def available_backends() -> list[str]:
    from . import backends  # noqa: F401  (registers the built-in backends)

    return sorted(_REGISTRY)


class BackendError(Exception):
    """A backend could not be created or could not answer; the message is for the user."""


def resolve_backend_name(name: str, environ: dict[str, str] | None = None) -> str:
    import os

    env = os.environ if environ is None else environ
    if name != "auto":
        return name
    if env.get("OPENAI_API_KEY") or env.get("OPENAI_BASE_URL"):
        return "openai"
    return OFFLINE_DEFAULT


# The offline default: the bundled local model (see README, "Backends"); when it cannot be
# loaded, ``api`` falls back to ``extractive`` and says why.
OFFLINE_DEFAULT = "local"
FALLBACK = "extractive"


def get_backend(name: str, settings: Settings) -> Backend:
    names = available_backends()
    resolved = resolve_backend_name(name)
    if resolved not in _REGISTRY:
        raise BackendError(f"unknown backend {name!r}; choose one of: auto, {', '.join(names)}")
    return _REGISTRY[resolved](settings)
