"""Answering backends. Importing this package registers every built-in backend by name."""

from . import (  # noqa: F401  (heavy imports happen only when used)
    extractive,  # noqa: F401
    local,
    openai_backend,
)
