"""Prompt templates: package files, loaded and checked before any model sees them.

Owns: finding the templates (``assistant/prompts/system.txt`` and ``user.txt``, package data read
through ``importlib.resources``, so an installed wheel finds them as well as a checkout; or any
folder given), the placeholders they may use, and rendering them. A template is plain text with
``{name}`` placeholders (``{{`` and ``}}`` for literal braces). Loading fails loudly, with a
``PromptError`` naming the file, when a template is missing, uses a placeholder nobody fills, or
lacks one it needs; rendering fails when a value is missing. Does not own: what goes into the
placeholders (``backends.llm`` numbers the evidence) or talking to a model.

The repository's top-level ``prompts/`` is a symlink to ``assistant/prompts/``: one copy.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from .errors import BackendError

# The shipped templates: package data beside this module (``assistant/prompts/*.txt``).
PACKAGED_PROMPTS: Traversable = resources.files(__package__).joinpath("prompts")

# Every placeholder a template may use, and what it holds.
PLACEHOLDERS = {
    "question": "the user's question, with instructions aimed at the assistant removed",
    "evidence": "the numbered evidence lines, grouped by document",
    "cannot_answer": "the one phrase that says the documents do not answer",
    "max_sentences": "the longest answer wanted, in sentences",
}
# The placeholders each template must use; without them the model cannot do its job.
REQUIRED = {"system": frozenset({"cannot_answer"}), "user": frozenset({"question", "evidence"})}


class PromptError(BackendError):
    """A prompt template is missing or malformed; the message names the file and the problem."""


def placeholders(text: str, where: str = "template") -> frozenset[str]:
    """The ``{name}`` placeholders of ``text``; positional, indexed or formatted ones are errors."""
    names = set()
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as e:  # a lone "{" or "}"
        raise PromptError(f"{where}: {e} (write {{{{ and }}}} for literal braces)") from e
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise PromptError(f"{where}: bad placeholder {{{field}}}; use plain {{name}} fields")
        names.add(field)
    return frozenset(names)


@dataclass(frozen=True)
class Template:
    name: str
    text: str
    fields: frozenset[str]

    def render(self, **values: object) -> str:
        missing = self.fields - values.keys()
        if missing:
            raise PromptError(f"prompt {self.name!r}: no value for {sorted(missing)}")
        return self.text.format(**{k: values[k] for k in self.fields})


def load_template(name: str, directory: str | Path | None = None) -> Template:
    """Read ``<directory>/<name>.txt`` (the packaged template when no directory is given) and
    check its placeholders against what ``name`` needs."""
    base = PACKAGED_PROMPTS if directory is None else Path(directory)
    path = base.joinpath(f"{name}.txt")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise PromptError(f"cannot read prompt template {path}: {e.strerror or e}") from e
    fields = placeholders(text, str(path))
    unknown = fields - PLACEHOLDERS.keys()
    if unknown:
        raise PromptError(
            f"{path}: unknown placeholder(s) {sorted(unknown)}; known: {sorted(PLACEHOLDERS)}"
        )
    missing = REQUIRED.get(name, frozenset()) - fields
    if missing:
        raise PromptError(f"{path}: missing placeholder(s) {sorted(missing)}")
    return Template(name, text.strip(), fields)


@dataclass(frozen=True)
class Prompts:
    system: Template
    user: Template

    @property
    def numbered(self) -> bool:
        """Whether the templates ask the model to cite evidence numbers (an example such as
        ``[3]`` in them); otherwise the model writes a bare answer and the line that holds it
        is found for it (``backends.llm.locate``)."""
        return any(re.search(r"\[\d+\]", t.text) for t in (self.system, self.user))


def load_prompts(directory: str | Path | None = None) -> Prompts:
    return Prompts(load_template("system", directory), load_template("user", directory))
