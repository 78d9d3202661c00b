"""Text normalisation for *matching* only.

Owns: the one function that turns any text into the form used for lexical search, quote
verification and eval fact matching. Does not own: anything displayed, quoted or numbered; the
original text is always kept verbatim elsewhere and never rewritten by this module.

Steps, in order: Unicode NFKC; curly quotes and dashes unified to ASCII; diacritics folded
("Phạm Minh Chính" -> "pham minh chinh", "đ" -> "d"); case-folded; stray symbols injected inside
words dropped ("d♔elegation" -> "delegation", "Ja꧅nuary" -> "january"); zero-width and control
characters dropped; whitespace collapsed.

The injected-symbol rule is deliberately narrow: a run of non-ASCII characters is dropped only
when, after folding, it sits between two ASCII letters or digits. Whole words in other scripts
are kept untouched.

Folding is the standard library's ``unicodedata`` (NFKC/NFD, dropping combining marks) plus a
short table, not a transliteration package: ``Unidecode`` is GPL and spells symbols out
("d♔elegation" -> "dwhite kingelegation"), and ``anyascii`` (ISC) transliterates every script
("会议" -> "HuiYi", "d♔elegation" -> "dKelegation"), against both rules above.
"""

from __future__ import annotations

import re
import unicodedata

_PUNCT_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
    }
)
# Letters whose base form is not reachable through NFD decomposition.
_LETTER_MAP = str.maketrans(
    {"đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "ß": "ss", "æ": "ae", "œ": "oe"}
)
_INJECTED = re.compile(r"(?<=[a-z0-9])[^\x00-\x7f]+(?=[a-z0-9])")
_SPACE = re.compile(r"\s+")


class _DropMarks(dict):
    """``str.translate`` table that deletes combining marks, format and control characters.

    Filled lazily, one code point at a time: the per-character test runs once per distinct
    character instead of once per character of every text (this is the hot loop of matching).
    """

    def __missing__(self, cp: int) -> int | None:
        cat = unicodedata.category(chr(cp))
        drop = cat == "Mn" or cat == "Cf" or (cat == "Cc" and chr(cp) not in "\t\n\r")
        self[cp] = None if drop else cp
        return self[cp]


_DROP_MARKS = _DropMarks()


def fold(text: str) -> str:
    """NFKC, unify quotes/dashes, drop diacritics and invisible characters, case-fold."""
    text = unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP).translate(_LETTER_MAP)
    text = unicodedata.normalize("NFD", text).translate(_DROP_MARKS)
    return unicodedata.normalize("NFC", text).casefold()


def normalize(text: str) -> str:
    """The matching form of ``text``: folded, injected symbols removed, whitespace collapsed."""
    return _SPACE.sub(" ", _INJECTED.sub("", fold(text))).strip()


_TOKEN = re.compile(r"[^\W_]+(?:[.,'][^\W_]+)*", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Word tokens of the normalised text ("329", "asean", "3.0", "1,000", "asean's")."""
    return _TOKEN.findall(normalize(text))
