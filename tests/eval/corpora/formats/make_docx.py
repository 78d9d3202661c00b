"""Build docs/stealth-running.docx from source/stealth05.html (Stealth 4.03.03 manual, chapter 5,
Debian stealth-doc, GPL-2+): the page's visible text as a Word document, headings as headings,
paragraphs as paragraphs, list items as bullets, <pre> blocks one paragraph per line (monospace),
tables as tables. Navigation lists (the links before the first heading) are left out.

Reproducible: the zip entries get a fixed timestamp and the core properties fixed dates, so the
same input gives the same bytes.  Run:  python tests/eval/corpora/formats/make_docx.py
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import docx
from docx.shared import Pt

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "source/stealth05.html"
OUT = HERE / "docs/stealth-running.docx"
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}
BLOCKS = {"p", "li", "ul", "ol", "pre", "hr", "div", "table", "tr", "td", "th", "body", "br"}


class Blocks(HTMLParser):
    """The page as a list of (kind, text) blocks: kind is h1..h4, p, li, pre or table."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, object]] = []
        self.kind = "p"
        self.buf: list[str] = []
        self.skip = 0  # inside <title>/<style>/<script>
        self.started = False  # nothing before the first heading (navigation links)
        self.table: list[list[str]] | None = None

    def flush(self) -> None:
        raw = "".join(self.buf)
        self.buf = []
        if not self.started:
            return
        if self.kind == "pre":
            lines = raw.split("\n")
            while lines and not lines[0].strip():
                lines.pop(0)
            while lines and not lines[-1].strip():
                lines.pop()
            if lines:
                self.blocks.append(("pre", "\n".join(line.rstrip() for line in lines)))
            return
        text = re.sub(r"\s+", " ", raw).strip()
        if not text:
            return
        if self.table is not None and self.kind in ("td", "th"):
            self.table[-1].append(text)
            return
        self.blocks.append((self.kind, text))

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("title", "style", "script"):
            self.skip += 1
            return
        if tag in HEADINGS:
            self.flush()
            self.started = True
            self.kind = tag
        elif tag == "table":
            self.flush()
            self.table = []
        elif tag == "tr" and self.table is not None:
            self.flush()
            self.table.append([])
        elif tag in ("td", "th"):
            self.flush()
            self.kind = tag
        elif tag == "li":
            self.flush()
            self.kind = "li"
        elif tag == "pre":
            self.flush()
            self.kind = "pre"
        elif tag in BLOCKS:
            self.flush()
            if self.kind != "li" or tag in ("p", "ul", "ol"):
                self.kind = "p"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("title", "style", "script"):
            self.skip -= 1
            return
        if tag in HEADINGS or tag in ("pre", "p", "li"):
            self.flush()
            self.kind = "p"
        elif tag in ("ul", "ol"):
            self.flush()
            self.kind = "p"
        elif tag in ("td", "th"):
            self.flush()
            self.kind = "p"
        elif tag == "table" and self.table is not None:
            self.flush()
            rows = [r for r in self.table if r]
            if rows and self.started:
                self.blocks.append(("table", rows))
            self.table = None

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.buf.append(data)

    def close(self) -> None:
        super().close()
        self.flush()


def build(html: str) -> bytes:
    parser = Blocks()
    parser.feed(html)
    parser.close()
    d = docx.Document()
    fixed = dt.datetime(2022, 1, 1, tzinfo=dt.UTC)
    props = d.core_properties
    props.created = props.modified = fixed
    props.last_modified_by = props.author = "make_docx.py"
    props.title = "Stealth V. 4.03.03, Chapter 5: Running `stealth'"
    props.revision = 1
    for kind, value in parser.blocks:
        if kind in HEADINGS:
            d.add_heading(str(value), level=HEADINGS[kind])
        elif kind == "li":
            d.add_paragraph(str(value), style="List Bullet")
        elif kind == "pre":
            for line in str(value).split("\n"):
                run = d.add_paragraph(style="No Spacing").add_run(line)
                run.font.name = "Courier New"
                run.font.size = Pt(9)
        elif kind == "table":
            rows = list(value)  # type: ignore[arg-type]
            width = max(len(r) for r in rows)
            t = d.add_table(rows=len(rows), cols=width)
            t.style = "Table Grid"
            for i, row in enumerate(rows):
                for j, cell in enumerate(row):
                    t.cell(i, j).text = cell
        else:
            d.add_paragraph(str(value))
    raw = io.BytesIO()
    d.save(raw)
    # Same bytes every run: rewrite the zip with a fixed timestamp per entry.
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed_info = zipfile.ZipInfo(info.filename, date_time=(2022, 1, 1, 0, 0, 0))
            fixed_info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed_info, src.read(info.filename))
    return out.getvalue()


def main() -> None:
    OUT.write_bytes(build(SOURCE.read_text(encoding="utf-8")))
    print(f"wrote {OUT.relative_to(HERE)} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
