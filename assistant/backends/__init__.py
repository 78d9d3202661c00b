"""Answering backends. Importing this package registers every built-in backend by name."""

from . import extractive  # noqa: F401
