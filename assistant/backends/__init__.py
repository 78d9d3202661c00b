"""Answering backends behind one interface (``base.Backend``); each module registers one by name:
``extractive`` (no model), ``local`` (a GGUF model in process), ``openai`` (any
OpenAI-compatible server). Heavy imports happen only when a backend is used."""

from .base import (  # noqa: F401
    FALLBACK,
    OFFLINE_DEFAULT,
    Backend,
    BackendError,
    Context,
    Draft,
    Event,
    TextDelta,
    available_backends,
    final_draft,
    get_backend,
    register,
    resolve_backend_name,
)
