"""Prompt templates: the shipped ones load, and the loader fails loudly on bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer import BackendError
from assistant.backends.llm import NO_ANSWER
from assistant.prompts import PROMPTS_DIR, PromptError, load_prompts, load_template, placeholders


def write(tmp_path: Path, system: str, user: str) -> Path:
    (tmp_path / "system.txt").write_text(system, encoding="utf-8")
    (tmp_path / "user.txt").write_text(user, encoding="utf-8")
    return tmp_path


def test_shipped_templates_load_and_say_what_the_issue_asks():
    p = load_prompts()
    system = p.system.render(cannot_answer=NO_ANSWER, max_sentences=3)
    user = p.user.render(question="Q?", evidence="E", cannot_answer=NO_ANSWER, max_sentences=3)
    assert NO_ANSWER in system  # the one-word reply whose first-token probability is measured
    assert "E" in user and "Q?" in user
    low = system.lower()
    assert "shortest" in low and "copied from the context" in low  # short, extractive answers
    assert "no knowledge of your own" in low
    assert "not instructions" in low  # the context is data
    assert not p.numbered  # the answer's line is found for the model, not cited by it
    assert (PROMPTS_DIR / "system.txt").is_file() and (PROMPTS_DIR / "user.txt").is_file()


@pytest.mark.parametrize(
    "text,fields",
    [
        ("plain", set()),
        ("{question} and {evidence}", {"question", "evidence"}),
        ("literal {{braces}} and {question}", {"question"}),
        ("{question}{question}", {"question"}),
    ],
)
def test_placeholders(text, fields):
    assert placeholders(text) == fields


@pytest.mark.parametrize(
    "text",
    [
        "{}",
        "{0}",
        "{question!r}",
        "{question:>10}",
        "{a.b}",
        "{x[0]}",
        "lone { brace",
        "lone } brace",
    ],
)
def test_bad_placeholder_syntax_is_an_error(text):
    with pytest.raises(PromptError):
        placeholders(text)


def test_unknown_placeholder_fails_loudly(tmp_path):
    d = write(tmp_path, "{cannot_answer}", "{question} {evidence} {context}")
    with pytest.raises(PromptError, match=r"user\.txt.*unknown placeholder.*context"):
        load_prompts(d)


def test_missing_placeholder_fails_loudly(tmp_path):
    d = write(tmp_path, "{cannot_answer}", "Only the {question}")
    with pytest.raises(PromptError, match=r"user\.txt.*missing placeholder.*evidence"):
        load_prompts(d)
    d = write(tmp_path, "Answer well.", "{question} {evidence}")
    with pytest.raises(PromptError, match=r"system\.txt.*missing placeholder.*cannot_answer"):
        load_prompts(d)


def test_missing_file_fails_loudly(tmp_path):
    with pytest.raises(PromptError, match="cannot read prompt template"):
        load_template("system", tmp_path)


def test_render_without_a_value_fails():
    t = load_template("user")
    with pytest.raises(PromptError, match="no value"):
        t.render(question="q")


def test_values_are_not_reformatted():
    t = load_template("user")
    out = t.render(
        question="{evidence}", evidence="{question} {{x}}", cannot_answer="c", max_sentences=1
    )
    assert "{evidence}" in out and "{question} {{x}}" in out


def test_prompt_error_is_a_backend_error_so_the_cli_reports_it():
    assert issubclass(PromptError, BackendError)
