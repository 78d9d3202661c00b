"""The one interface every answering backend implements, and the registry that names them.

Owns: ``Backend`` (one public method, ``run``, returning an iterator of typed events: ``TextDelta``
pieces while a model writes, then exactly one final ``Draft``), the ``Draft`` a backend proposes
(claims with citations, not yet verified), the ``Context`` a backend may consult, the registry
(``register``, ``get_backend``, ``available_backends``) and the offline default's name.

Backends are stateless per call: everything one call learns (its text, its signals, why it
failed) travels in the events it yields, never on the backend object, so one backend serves many
questions at once with no lock around answering (as simonw/llm's per-call ``Response``).
Does not own: verification or the decision to show a draft (``pipeline``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..answer import Claim
from ..errors import BackendError

if TYPE_CHECKING:
    from ..retrieve import Evidence
    from ..settings import Settings

Lookup = Callable[[str], "list[str] | None"]


@dataclass(frozen=True)
class Context:
    """What a backend may consult besides the evidence: the real lines of a source, term weights."""

    lookup: Lookup
    idf: Callable[[str], float] = lambda term: 1.0
    # The 1-based page of each line of a source (``Assistant.pages``); None for a file without
    # pages. The pipeline turns shown citations into page-and-line with it.
    pages: Callable[[str], tuple[int, ...] | None] = lambda source: None


@dataclass(frozen=True)
class TextDelta:
    """A piece of the reply as the model writes it: a preview, never verified."""

    text: str


@dataclass(frozen=True)
class Draft:
    """What a backend proposes; nothing in it is shown before the verifier has passed it."""

    claims: tuple[Claim, ...] = ()
    refused: bool = False  # the backend says the evidence does not answer
    note: str = ""  # e.g. why the backend refused or could not answer
    # A model's own confidence signals (``p_answer``, ``logprob`` when it reports them); None
    # when no model wrote the draft (the no-model answerer, or a model that failed).
    signals: dict[str, float] | None = None
    model: str | None = None  # the model that wrote it
    raw: str = field(default="", repr=False)  # the model's reply before any checking

    @property
    def failed(self) -> bool:
        """The model could not answer at all (server down, timeout...): no claims, no refusal,
        no signals. The pipeline then shows the no-model answer."""
        return not self.claims and not self.refused and self.signals is None


Event = TextDelta | Draft


def final_draft(events: Iterator[Event]) -> Draft:
    """The ``Draft`` that ends a run (the text pieces before it are dropped)."""
    last = None
    for ev in events:
        if isinstance(ev, Draft):
            last = ev
    if last is None:
        return Draft(note="the backend ended without a draft")
    return last


class Backend:
    """One answering backend. Subclasses implement ``run``."""

    name: str = "base"
    # The name its answers' signals were calibrated under (``calibration.json``'s ``models``);
    # None: judged by the evidence signals alone.
    calibration: str | None = None

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def run(
        self, question: str, evidence: list[Evidence], ctx: Context, *, stream: bool = False
    ) -> Iterator[Event]:
        """Answer ``question`` from ``evidence``: yield ``TextDelta`` pieces (only when
        ``stream``), then exactly one ``Draft``. Never raises for a model failure: the draft
        says what went wrong. Closing the iterator early releases what the call holds."""
        raise NotImplementedError

    def draft(self, question: str, evidence: list[Evidence], ctx: Context) -> Draft:
        """The final draft of a non-streamed run."""
        return final_draft(self.run(question, evidence, ctx))


_REGISTRY: dict[str, Callable[[Settings], Backend]] = {}

# The offline default: the bundled local model (see README, "Backends"); when it cannot be
# loaded, the no-model answerer stands in and says why.
OFFLINE_DEFAULT = "local"
FALLBACK = "extractive"


def register(name: str) -> Callable[[type[Backend]], type[Backend]]:
    """Register a backend class under ``name`` (the public seam tests use for fakes)."""

    def deco(cls: type[Backend]) -> type[Backend]:
        _REGISTRY[name] = cls
        cls.name = name
        return cls

    return deco


def available_backends() -> list[str]:
    from . import extractive, local, openai_backend  # noqa: F401  (registers the built-ins)

    return sorted(_REGISTRY)


def resolve_backend_name(name: str, environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    if name != "auto":
        return name
    if env.get("OPENAI_API_KEY") or env.get("OPENAI_BASE_URL"):
        return "openai"
    return OFFLINE_DEFAULT


def get_backend(name: str, settings: Settings) -> Backend:
    names = available_backends()
    resolved = resolve_backend_name(name)
    if resolved not in _REGISTRY:
        raise BackendError(f"unknown backend {name!r}; choose one of: auto, {', '.join(names)}")
    return _REGISTRY[resolved](settings)


__all__ = [
    "Backend",
    "BackendError",
    "Context",
    "Draft",
    "Event",
    "Lookup",
    "TextDelta",
    "final_draft",
    "register",
    "available_backends",
    "resolve_backend_name",
    "get_backend",
    "OFFLINE_DEFAULT",
    "FALLBACK",
]
