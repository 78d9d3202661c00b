"""Text extraction by format: PDF, Word and HTML as lines, and the pages those lines are on.

Owns: reading a PDF's text layer page by page (``pypdf``), a Word file's paragraphs, headings,
list items and table rows in document order (``python-docx``) and an HTML page's visible text
(stdlib ``html.parser``), each as lines (plus, for PDF, the 1-based page of every line); the one
reason a bad file is skipped (``LoadError``: encrypted, no text layer, corrupt, not the format its
name says); the on-disk cache of extractions keyed by the file's SHA-256; and the conversion
between whole-file line numbers (what chunks, the index and the verifier use) and page-and-line
(what a reader opens: ``paginate`` one way, ``file_line`` the other).
Does not own: finding files, size limits, plain-text decoding or the ``Document`` value
(``documents``); verifying citations (``verify``); where the conversion is applied (``pipeline``).
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path

from .citations import Citation

# Formats read by a loader here; every other extension is plain text (``documents``).
PAGINATED = frozenset({".pdf"})
_CACHE_VERSION = 1


class LoadError(Exception):
    """A file that cannot be read as its format; the message is the reason shown to the user."""


@dataclass(frozen=True)
class Extracted:
    lines: tuple[str, ...]
    pages: tuple[int, ...] | None = None  # the 1-based page of each line; None: no pages


def _split(text: str) -> list[str]:
    from .documents import clean, split_lines

    return split_lines(clean(text))


# --------------------------------------------------------------------------- PDF
def pdf(data: bytes) -> Extracted:
    """The text layer of a PDF, page by page; each page's text split into lines."""
    if b"%PDF-" not in data[:1024]:
        raise LoadError("not a PDF file")
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:  # many PDFs are encrypted only against editing: the empty password opens them
                opened = reader.decrypt("")
            except Exception:  # noqa: BLE001  (a missing AES dependency, a broken key...)
                opened = 0
            if not opened:
                raise LoadError("encrypted: remove the password first")
        lines: list[str] = []
        pages: list[int] = []
        for number, page in enumerate(reader.pages, start=1):
            for line in _split(page.extract_text() or ""):
                lines.append(line)
                pages.append(number)
    except LoadError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as e:
        raise LoadError(f"damaged PDF ({type(e).__name__}: {e})") from e
    if not any(line.strip() for line in lines):
        raise LoadError("no text layer: OCR it first")
    return Extracted(tuple(lines), tuple(pages))


# --------------------------------------------------------------------------- DOCX
def docx(data: bytes) -> Extracted:
    """A Word file's paragraphs, headings, list items and table rows (cells joined by " | "),
    in document order; empty paragraphs are left out."""
    if not data.startswith(b"PK\x03\x04"):
        raise LoadError("not a Word .docx file")
    import docx as python_docx
    from docx.table import Table

    try:
        document = python_docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                for row in block.rows:
                    cells: list[str] = []
                    seen: set[int] = set()
                    for cell in row.cells:  # a merged cell comes back once per grid column
                        if id(cell._tc) in seen:
                            continue
                        seen.add(id(cell._tc))
                        cells.append(" ".join(cell.text.split()))
                    if any(cells):
                        lines.append(" | ".join(cells))
            else:
                lines += [line for line in _split(block.text) if line.strip()]
    except Exception as e:  # noqa: BLE001  (zip, XML and part errors all mean "corrupt")
        raise LoadError(f"corrupt DOCX ({type(e).__name__}: {e})") from e
    return Extracted(tuple(lines))


# --------------------------------------------------------------------------- HTML
_SKIP = frozenset(
    {"script", "style", "nav", "header", "footer", "aside", "noscript", "template", "svg"}
)
_BLOCK = frozenset(
    {
        "address", "article", "blockquote", "body", "br", "caption", "dd", "details", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "html", "li", "main", "ol", "p", "pre", "section", "summary", "table",
        "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul",
    }
)  # fmt: skip
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr"})  # fmt: skip
_CELL = frozenset({"td", "th"})
_KEEP = "\ue000"  # a space inside <pre>, kept from whitespace collapsing


class _Visible(HTMLParser):
    """Collects the text a browser shows: one line per block element, whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._skip: list[str] = []  # open elements whose content is not shown
        self._pre = 0
        self._cells = 0  # cells already on the current table row

    def _end_line(self) -> None:
        text = " ".join("".join(self._line).split())
        if text:
            self.lines.append(text)
        self._line = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        hidden = any(k == "hidden" or (k == "aria-hidden" and v == "true") for k, v in attrs)
        if self._skip or tag in _SKIP or (hidden and tag not in _VOID):
            if tag not in _VOID:
                self._skip.append(tag)
            return
        if tag in _CELL:
            if self._cells:
                self._line.append(" | ")
            self._cells += 1
            return
        if tag == "tr":
            self._cells = 0
        if tag in _BLOCK:
            self._end_line()
        if tag == "pre":
            self._pre += 1

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if tag in self._skip:  # close up to the matching element (tolerates missing ends)
                while self._skip and self._skip.pop() != tag:
                    pass
            return
        if tag in _CELL:
            return
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        if tag in _BLOCK:
            self._end_line()
            if tag == "tr":
                self._cells = 0

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pre:  # preformatted text keeps its line breaks
            parts = _split(data)
            for i, part in enumerate(parts):
                if i:
                    self._end_line()
                self._line.append(part.replace(" ", _KEEP).replace("\t", _KEEP))
            if data.endswith(("\n", "\r")):
                self._end_line()
            return
        self._line.append(data)


def html(data: bytes) -> Extracted:
    """The visible text of an HTML page, one line per block element, entities decoded."""
    from .documents import decode

    if data.startswith((b"%PDF-", b"PK\x03\x04")):
        raise LoadError("not an HTML file (it is a PDF or a zip/Office file)")
    text = decode(data)
    if text is None:
        raise LoadError("not an HTML file (binary content)")
    parser = _Visible()
    try:
        parser.feed(text)
        parser.close()
    except Exception as e:  # noqa: BLE001  (html.parser is lenient; anything else is damage)
        raise LoadError(f"damaged HTML ({type(e).__name__}: {e})") from e
    parser._end_line()
    lines = [line.replace(_KEEP, " ").rstrip() for line in parser.lines]
    return Extracted(tuple(_split("\n".join(lines))))


LOADERS: dict[str, Callable[[bytes], Extracted]] = {
    ".pdf": pdf,
    ".docx": docx,
    ".html": html,
    ".htm": html,
}


# --------------------------------------------------------------------------- cache
def cache_dir() -> Path:
    """Where extractions are kept: ``<index root>/.extracted`` (``ASSISTANT_INDEX_ROOT``, else
    ``~/.cache/assistant/indexes``), shared by every corpus, one file per content hash."""
    from .settings import default_index_root

    root = os.environ.get("ASSISTANT_INDEX_ROOT")
    return (Path(root) if root else default_index_root()) / ".extracted"


def extract(suffix: str, data: bytes, sha256: str, cache: Path | None = None) -> Extracted:
    """The extraction of ``data`` by the loader for ``suffix``, read from the cache when the same
    bytes were extracted before (an unchanged PDF is not parsed again). Raises ``LoadError``."""
    loader = LOADERS[suffix]
    folder = cache_dir() if cache is None else cache
    path = folder / f"{sha256}{suffix}.json"
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved.get("version") == _CACHE_VERSION:
            pages = saved.get("pages")
            return Extracted(tuple(saved["lines"]), None if pages is None else tuple(pages))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    found = loader(data)
    record = {"version": _CACHE_VERSION, "lines": found.lines, "pages": found.pages}
    try:  # a cache that cannot be written only costs time
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.replace(tmp, path)
    except OSError:
        pass
    return found


# --------------------------------------------------------------------------- page and line
def page_start(pages: Sequence[int], page: int) -> int | None:
    """The whole-file line number of the first line on ``page``, or None when no line is."""
    for i, p in enumerate(pages):
        if p == page:
            return i + 1
    return None


def paginate(citation: Citation, pages: Sequence[int] | None) -> Citation:
    """``citation`` (whole-file lines) as page and line within that page. ``end_line`` counts
    from the same page's first line, so a range that runs onto the next page stays one range.
    Unchanged for a file without pages, a citation that has its page already, or bad lines."""
    if pages is None or citation.page is not None:
        return citation
    if not 1 <= citation.start_line <= len(pages):
        return citation
    page = pages[citation.start_line - 1]
    first = page_start(pages, page) or 1
    return replace(
        citation,
        page=page,
        start_line=citation.start_line - first + 1,
        end_line=citation.end_line - first + 1,
    )


def file_line(pages: Sequence[int] | None, page: int | None, line: int) -> int | None:
    """The whole-file line of ``line`` within ``page`` (the reverse of ``paginate``): ``line``
    itself for a file without pages or no page given; None when the page has no such line."""
    if page is None or pages is None:
        return line
    first = page_start(pages, page)
    if first is None or line < 1:
        return None
    n = first + line - 1
    return n if n <= len(pages) and pages[n - 1] == page else None


_PAGE_LABEL = re.compile(r"^(?P<source>.+?)\s+p\.(?P<page>\d+)$")


def split_page(name: str) -> tuple[str, int | None]:
    """``("file.pdf", 3)`` for ``"file.pdf p.3"``; ``(name, None)`` without a page."""
    m = _PAGE_LABEL.match(name)
    return (m["source"], int(m["page"])) if m else (name, None)
