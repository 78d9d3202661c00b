"""Documents: editor line numbering, text detection, discovery."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.documents import CorpusError, decode, discover, iter_documents, load, split_lines

EXT = [".txt", ".md"]


@pytest.mark.parametrize(
    "text, lines",
    [
        ("", []),
        ("one", ["one"]),  # no final newline: still a line
        ("one\n", ["one"]),  # a final newline does not start a new line
        ("one\ntwo", ["one", "two"]),
        ("one\r\ntwo\r\n", ["one", "two"]),  # CRLF numbers like LF
        ("one\rtwo", ["one", "two"]),  # old Mac line ends
        ("a\n\nb", ["a", "", "b"]),  # blank lines count
        ("a\n\n", ["a", ""]),
        ("\n", [""]),
        ("a\u2028b\x0cc", ["a\u2028b\x0cc"]),  # editors do not break on these
    ],
)
def test_split_lines(text: str, lines: list[str]) -> None:
    assert split_lines(text) == lines


@pytest.mark.parametrize(
    "data, ok",
    [
        (b"plain", True),
        ("Phạm Minh Chính".encode(), True),
        (b"\xef\xbb\xbfwith bom", True),
        ("hi there".encode("utf-16"), True),  # UTF-16 with its byte-order mark
        ("Café crème brûlée, à la carte.".encode("latin-1"), True),  # Latin-1
        (b"ab\x00cd", False),  # a NUL in the first 8 KB and no BOM: binary
        (b"\x89PNG\r\n\x1a\n\x00\x00", False),
    ],
)
def test_decode(data: bytes, ok: bool) -> None:
    assert (decode(data) is not None) == ok


def test_bom_is_not_part_of_line_one(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"\xef\xbb\xbfFirst\nSecond")
    doc = load(tmp_path / "a.txt", tmp_path, 10**6)
    assert doc is not None and doc.lines == ("First", "Second")


def test_discover_recursive_sources_and_skips(tmp_path: Path) -> None:
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "sub" / "b.md").write_text("b")
    (tmp_path / "sub" / "deeper" / "c.TXT").write_text("c")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden.txt").write_text("h")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02")
    warnings: list[str] = []
    docs = list(iter_documents(tmp_path, EXT, 10**6, warnings.append))
    assert [d.source for d in docs] == ["a.txt", "sub/b.md", "sub/deeper/c.TXT"]
    assert any("bin.txt" in w and "not text" in w for w in warnings)


def test_too_large_file_skipped_with_warning(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("x" * 2000)
    warnings: list[str] = []
    assert load(tmp_path / "big.txt", tmp_path, 1000, warnings.append) is None
    assert "big.txt" in warnings[0]


def test_missing_and_non_folder_corpus(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="not found"):
        discover(tmp_path / "nope", EXT)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(CorpusError, match="not a folder"):
        discover(tmp_path / "file.txt", EXT)


def test_seed_line_numbers_match_an_editor() -> None:
    seeds = Path(__file__).resolve().parents[1] / "seeds"
    doc = load(seeds / "000_fb43058b33008c4d.txt", seeds, 10**7)
    assert doc is not None
    assert len(doc.lines) == 18  # 17 newlines, no final newline
    assert "329 million NZD" in doc.line(11)
    assert doc.line(3) == ""


@pytest.mark.parametrize(
    "text, encoding",
    [
        ("Café crème brûlée.\nÀ la carte, s'il vous plaît.\nLigne trois.\n", "latin-1"),
        ("First line.\r\nSecond line.\r\nThird line.\r\n", "utf-16"),
        ("会議は東京で開かれた。参加者は三十人でした。\n二行目です。\n三行目。\n", "shift_jis"),
        ("Grüße aus Köln.\nZweite Zeile über Straßen.\nDritte.\n", "cp1252"),
    ],
)
def test_other_encodings_keep_an_editors_line_numbers(tmp_path: Path, text: str, encoding: str):
    (tmp_path / "a.txt").write_bytes(text.encode(encoding))
    doc = load(tmp_path / "a.txt", tmp_path, 10**6)
    assert doc is not None and doc.lines == tuple(split_lines(text))
    assert doc.encoding != "utf-8"


def test_control_characters_never_reach_a_line(tmp_path: Path) -> None:
    """A NUL past the first 8 KB, C0/C1 controls and bidi overrides are replaced; the line
    count stays what an editor shows."""
    body = "x" * 9000 + "\n" + "secret\x00code \x1b[31mred\u202eevil\x85 done\n" + "page\x0cbreak\n"
    (tmp_path / "a.txt").write_bytes(body.encode("utf-8"))
    doc = load(tmp_path / "a.txt", tmp_path, 10**6)
    assert doc is not None and len(doc.lines) == 3
    bad = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
    assert not any(bad.search(line) for line in doc.lines)
    assert doc.lines[1].startswith("secret\ufffdcode") and doc.lines[2] == "page break"
