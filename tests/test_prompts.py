"""Prompt templates: the shipped ones load (package data, through ``importlib.resources``), and
the loader fails loudly on bad ones."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pytest

from assistant.backends.llm import NO_ANSWER
from assistant.errors import BackendError
from assistant.prompts import (
    PACKAGED_PROMPTS,
    PromptError,
    load_prompts,
    load_template,
    placeholders,
)

ROOT = Path(__file__).resolve().parent.parent


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


def test_shipped_templates_are_package_data_read_through_importlib_resources():
    """The templates live inside the package (so a wheel carries them) and the default loader
    reads exactly those files, not a folder beside a checkout."""
    packaged = resources.files("assistant").joinpath("prompts")
    assert PACKAGED_PROMPTS == packaged
    for name in ("system", "user"):
        text = packaged.joinpath(f"{name}.txt").read_text(encoding="utf-8")
        assert load_template(name).text == text.strip()


def test_a_folder_argument_still_loads_a_custom_folder(tmp_path):
    d = write(tmp_path, "Custom. {cannot_answer}", "{evidence}\nQ: {question}")
    p = load_prompts(d)
    assert p.system.text == "Custom. {cannot_answer}"
    assert load_prompts(str(d)).user.text == "{evidence}\nQ: {question}"


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a checkout")
def test_the_top_level_prompts_folder_is_a_relative_symlink_to_the_package_data():
    top = ROOT / "prompts"
    assert top.is_symlink() and os.readlink(top) == "assistant/prompts"
    assert top.resolve() == (ROOT / "assistant" / "prompts").resolve()
    assert sorted(p.name for p in top.iterdir()) == ["system.txt", "user.txt"]


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
