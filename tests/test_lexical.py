"""The analyser: stemming, stop words and term coverage, as tables of cases."""

from __future__ import annotations

import pytest

from assistant.lexical import STOPWORDS, analyze, coverage, question_weights, stem
from assistant.normalize import tokens


@pytest.mark.parametrize(
    "words",
    [
        ("commitment", "committed", "commits", "commit"),
        ("programmes", "programme", "program"),  # British and American spellings
        ("agreed", "agreement", "agreeing"),
        ("delegation", "delegations", "delegate"),
        ("studies", "study"),
        ("meeting", "meetings"),
        ("asean's", "asean"),
    ],
)
def test_forms_of_one_word_share_a_stem(words: tuple[str, ...]) -> None:
    assert len({stem(w) for w in words}) == 1


@pytest.mark.parametrize(
    "a, b",
    [
        ("news", "new"),  # short words are left alone
        ("university", "universe"),
        ("analysis", "analys"),  # -is, -us, -ss are not plural endings
        ("status", "stat"),
        ("class", "clas"),
        ("3.0", "30"),  # numbers are never stemmed
    ],
)
def test_different_words_keep_different_stems(a: str, b: str) -> None:
    assert stem(a) != stem(b)


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "How much did New Zealand commit to regional programmes?",
            ["much", "new", "zealand", "commit", "regional", "program"],
        ),
        ("Phạm Minh Chính's delegations", ["pham", "minh", "chinh", "delegat"]),
        ("The 1,000 USD and ACFTA 3.0", ["1,000", "usd", "acfta", "3.0"]),
        ("It is what it is, and so on.", []),  # only function words
        ("", []),
    ],
)
def test_analyze(text: str, expected: list[str]) -> None:
    assert analyze(text) == expected


def test_stopwords_are_in_matching_form() -> None:
    """``tok in STOPWORDS`` is tested on ``tokens()`` output (here and in ``conversation``)."""
    assert isinstance(STOPWORDS, frozenset)
    assert [w for w in STOPWORDS if tokens(w) != [w]] == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("New Zealand's delegations arrived", 0.75),  # 3 of the 4 equally weighted terms
        ("nothing relevant here", 0.0),
        ("Which delegation did New Zealand send?", 1.0),
    ],
)
def test_coverage(text: str, expected: float) -> None:
    weights = question_weights("Which delegation did New Zealand send?", lambda t: 2.0)
    assert weights == {"delegat": 2.0, "new": 2.0, "zealand": 2.0, "send": 2.0}
    assert coverage(weights, text) == pytest.approx(expected)


def test_weights_are_floored_and_empty_questions_cover_nothing() -> None:
    assert question_weights("delegation", lambda t: 0.0) == {"delegat": 0.1}
    assert coverage(question_weights("the and of", lambda t: 1.0), "the and of") == 0.0
