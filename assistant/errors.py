"""Every failure a user can meet, as one family of exceptions, and its one mapping to words.

Owns: ``AssistantError`` (a message for the user and the command line's exit code) and its
subclasses, one per kind of trouble; ``describe``, which turns any exception into the one-line
message and exit code that the CLI prints and the UI shows (an unexpected exception is called a
bug, never shown as a traceback); and ``redact``, which takes secrets out of every such message.
Does not own: where errors are raised, or how an interface shows them.
"""

from __future__ import annotations

import os
import re

# Exit codes: 1 = bad input / not found, 2 = usage (click), 3 = index problem, 4 = backend
# problem, 70 = a bug in the assistant (EX_SOFTWARE), 130 = interrupted.
EXIT_INPUT, EXIT_USAGE, EXIT_INDEX, EXIT_BACKEND, EXIT_INTERNAL, EXIT_INTERRUPTED = (
    1,
    2,
    3,
    4,
    70,
    130,
)


class AssistantError(Exception):
    """An expected failure; ``str(e)`` is a message for the user, ``exit_code`` the CLI's code."""

    exit_code = EXIT_INPUT
    what = "error"  # how the UI introduces the message


class QuestionError(AssistantError, ValueError):
    """The question cannot be asked (empty, only punctuation, not text...)."""

    what = "That question cannot be asked"


class CorpusError(AssistantError):
    """The corpus folder is missing, not a folder, or holds no readable documents."""

    what = "The documents could not be read"


class QuestionFileError(AssistantError, ValueError):
    """An evaluation question file is missing or malformed."""

    what = "The question file could not be read"


class IndexError_(AssistantError):  # noqa: N801 - the builtin IndexError means something else
    """The index is missing, unreadable or was built differently; the message says what to do."""

    exit_code = EXIT_INDEX
    what = "The index is not usable"


class BackendError(AssistantError):
    """A backend could not be created or could not answer; the message is for the user."""

    exit_code = EXIT_BACKEND
    what = "The answering backend failed"


class SettingsError(AssistantError):
    """A setting has a value it cannot take."""

    what = "Invalid setting"


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


def describe(exc: BaseException) -> tuple[str, int]:
    """The one-line message and exit code for ``exc``: what the CLI prints and the UI shows."""
    from pydantic import ValidationError

    if isinstance(exc, AssistantError):
        return redact(str(exc)), exc.exit_code
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        return f"invalid setting {where}: {first.get('msg')}", EXIT_INPUT
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", EXIT_INTERRUPTED
    if isinstance(exc, OSError):  # an index folder that is a file, a full disk, a read-only folder
        where = f": {exc.filename}" if exc.filename else ""
        return redact(f"{exc.strerror or exc}{where}"), EXIT_INPUT
    return (
        redact(
            f"unexpected {type(exc).__name__}: {exc} (this is a bug; run again with "
            "ASSISTANT_TRACEBACK=1 to see where)"
        ),
        EXIT_INTERNAL,
    )
