"""Normalisation for matching: a table of cases, including the seeds' nasty ones."""

from __future__ import annotations

import pytest

from assistant.normalize import normalize, tokens


@pytest.mark.parametrize(
    "a, b",
    [
        ("Pham Minh Chinh", "Phạm Minh Chính"),
        ("Bui Thanh Son", "Bùi Thanh Sơn"),
        ("Viet Nam", "Việt Nam"),
        ("Da Nang", "Đà Nẵng"),
        ("To Lam", "Tô Lâm"),
        ("delegation", "d♔elegation"),
        ("January 19", "Ja꧅nuary 19"),
        ("ministers' meeting", "ministers’ meeting"),
        ('"quoted"', "“quoted”"),
        ("1975 - 2025", "1975 – 2025"),
        ("a-b", "a—b"),
        ("ASEAN", "ＡＳＥＡＮ"),  # full-width (NFKC)
        ("e\u0301", "é"),  # combining accent vs precomposed
        ("two words", "two \t\n words"),
        ("zero width", "zero\u200b width"),
        ("STRASSE", "straße"),
    ],
)
def test_equivalent(a: str, b: str) -> None:
    assert normalize(a) == normalize(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("ASEAN-UK", "ASEAN UK"),  # a hyphen between words is kept
        ("£17 million", "17 million"),  # a currency sign before a number is kept
        ("3.0", "30"),
    ],
)
def test_not_equivalent(a: str, b: str) -> None:
    assert normalize(a) != normalize(b)


def test_other_scripts_are_kept() -> None:
    assert normalize("会议 ASEAN") == "会议 asean"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("How much did New Zealand commit?", ["how", "much", "did", "new", "zealand", "commit"]),
        ("ACFTA 3.0 and 1,000 USD", ["acfta", "3.0", "and", "1,000", "usd"]),
        ("Việt Nam's d♔elegation", ["viet", "nam's", "delegation"]),
    ],
)
def test_tokens(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected
