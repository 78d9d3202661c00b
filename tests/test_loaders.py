"""PDF, Word and HTML documents: extraction, bad files, page-and-line citations end to end."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader, PdfWriter

from assistant import Assistant, loaders
from assistant.citations import Citation
from assistant.documents import iter_documents, load
from assistant.evaluate import _overlaps, parse_ref
from assistant.loaders import docx as load_docx
from assistant.loaders import file_line, html, paginate, pdf
from assistant.ui_render import render_source
from assistant.verify import check_citation

MB = 10**6


def make_pdf(pages: list[list[str]]) -> bytes:
    """A real PDF with a text layer: one page per list, one text line per string (Helvetica)."""
    objects: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, lines in enumerate(pages):
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
        for line in lines:
            text = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops += [f"({text}) Tj", "T*"]
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {5 + 2 * i} 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref))  # fmt: skip
    return out.getvalue()


PAGES = [
    ["Annual report of the Harbour Trust", "Chapter one: the year in brief"],
    [
        "The harbour handled many ships.",
        "Dredging of the inner basin finished in March.",
        "The new lighthouse keeper is Margarethe Oyelaran.",
    ],
]


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(make_pdf(PAGES))).pages:
        writer.add_page(page)
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def scanned_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx() -> bytes:
    d = docx.Document()
    d.add_heading("Tenancy terms", level=1)
    d.add_paragraph("The tenant gives two months notice in writing.")
    d.add_paragraph("")  # empty paragraphs are not lines
    d.add_paragraph("Keys are returned to the office", style="List Bullet")
    d.add_paragraph("Meters are read on the last day", style="List Number")
    table = d.add_table(rows=2, cols=3)
    for r, row in enumerate([["Item", "Deposit", "Due"], ["Flat 2", "900 EUR", "1 May"]]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    d.add_paragraph("Signed by both parties.")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _extract_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "index-root"
    monkeypatch.setenv("ASSISTANT_INDEX_ROOT", str(root))
    return root / ".extracted"


# --------------------------------------------------------------------------- extraction
def test_pdf_lines_and_pages() -> None:
    got = pdf(make_pdf(PAGES))
    assert got.lines == tuple(PAGES[0] + PAGES[1])
    assert got.pages == (1, 1, 2, 2, 2)


def test_docx_in_document_order() -> None:
    got = load_docx(make_docx())
    assert got.pages is None
    assert got.lines == (
        "Tenancy terms",
        "The tenant gives two months notice in writing.",
        "Keys are returned to the office",
        "Meters are read on the last day",
        "Item | Deposit | Due",
        "Flat 2 | 900 EUR | 1 May",
        "Signed by both parties.",
    )


@pytest.mark.parametrize(
    ("page", "lines"),
    [
        ("<p>One &amp; two</p><p>Three&nbsp;four</p>", ("One & two", "Three four")),
        (
            "<html><head><title>T</title><style>p{color:red}</style>"
            "<script>var x = '<p>no</p>';</script></head><body>"
            "<nav><a href='/'>Home</a></nav><header>Site</header>"
            "<main><h1>Notice</h1><p>Give <b>two</b>\n months.</p></main>"
            "<aside>ads</aside><footer>(c) 2024</footer><noscript>enable js</noscript>"
            "<template><p>hidden</p></template></body></html>",
            ("T", "Notice", "Give two months."),
        ),
        ("<ul><li>a</li><li>b<br>c</li></ul>", ("a", "b", "c")),
        (
            "<table><tr><th>k</th><th>v</th></tr><tr><td>x</td><td>1</td></tr></table>",
            ("k | v", "x | 1"),
        ),  # fmt: skip
        ("<div hidden><p>secret</p></div><p>shown</p>", ("shown",)),
        ("<pre>line one\n  line two\n</pre>", ("line one", "  line two")),
        ("<p>unclosed <div>block", ("unclosed", "block")),
    ],
)
def test_html_visible_text(page: str, lines: tuple[str, ...]) -> None:
    assert html(page.encode()).lines == lines


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("locked.pdf", encrypted_pdf(), "encrypted: remove the password first"),
        ("scan.pdf", scanned_pdf(), "no text layer: OCR it first"),
        ("lying.pdf", b"just some text, not a PDF\n", "not a PDF file"),
        ("broken.pdf", b"%PDF-1.4\n garbage", "damaged PDF"),
        ("corrupt.docx", b"PK\x03\x04" + b"\x00" * 64, "corrupt DOCX"),
        ("lying.docx", b"plain text pretending", "not a Word .docx file"),
        ("lying.html", make_pdf(PAGES), "not an HTML file"),
        ("binary.htm", b"\x00\x01binary\x00", "not an HTML file"),
    ],
)
def test_bad_files_are_skipped_with_the_reason(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    (tmp_path / name).write_bytes(data)
    (tmp_path / "ok.txt").write_text("fine\n")
    warnings: list[str] = []
    docs = list(
        iter_documents(tmp_path, [".pdf", ".docx", ".html", ".htm", ".txt"], MB, warnings.append)
    )
    assert [d.source for d in docs] == ["ok.txt"]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"skipped {name}: {reason}")


def test_html_over_the_size_limit_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "big.html").write_text("<p>" + "x" * 2000 + "</p>")
    warnings: list[str] = []
    assert load(tmp_path / "big.html", tmp_path, 1000, warnings.append) is None
    assert warnings == ["skipped big.html: 0.0 MB is over the 0 MB limit"]


def test_extraction_is_cached_by_content(
    tmp_path: Path, _extract_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "r.pdf").write_bytes(make_pdf(PAGES))
    first = load(tmp_path / "r.pdf", tmp_path, MB)
    assert first is not None and first.pages == (1, 1, 2, 2, 2)
    assert len(list(_extract_cache.glob("*.json"))) == 1

    def no_parse(data: bytes) -> None:
        raise AssertionError("the PDF was parsed again")

    monkeypatch.setitem(loaders.LOADERS, ".pdf", no_parse)
    again = load(tmp_path / "r.pdf", tmp_path, MB)
    assert again == first


# --------------------------------------------------------------------------- page and line
PAGE_OF = (1, 1, 2, 2, 2, 4)  # page 3 has no text


@pytest.mark.parametrize(
    ("start", "end", "page", "a", "b"),
    [
        (1, 1, 1, 1, 1),
        (2, 2, 1, 2, 2),
        (3, 3, 2, 1, 1),
        (4, 5, 2, 2, 3),
        (2, 3, 1, 2, 3),  # runs onto the next page: counted from the first page's start
        (6, 6, 4, 1, 1),
    ],
)
def test_paginate_and_back(start: int, end: int, page: int, a: int, b: int) -> None:
    c = paginate(Citation("r.pdf", start, end, "q"), PAGE_OF)
    assert (c.page, c.start_line, c.end_line) == (page, a, b)
    assert c.label == f"r.pdf p.{page}:{a}" + (f"-{b}" if b != a else "")
    assert file_line(PAGE_OF, page, a) == start


@pytest.mark.parametrize(
    ("pages", "page", "line", "expected"),
    [
        (None, None, 7, 7),
        (None, 2, 7, 7),  # a file without pages ignores the page
        (PAGE_OF, None, 4, 4),
        (PAGE_OF, 3, 1, None),  # no text on page 3
        (PAGE_OF, 1, 3, None),  # page 1 has two lines
        (PAGE_OF, 2, 0, None),
        (PAGE_OF, 9, 1, None),
    ],
)
def test_file_line(pages: tuple[int, ...] | None, page: int | None, line: int, expected) -> None:
    assert file_line(pages, page, line) == expected


def test_paginate_leaves_plain_files_alone() -> None:
    c = Citation("a.txt", 3, 4, "q")
    assert paginate(c, None) is c
    assert paginate(Citation("r.pdf", 9, 9, "q"), PAGE_OF).page is None  # out of range


@pytest.mark.parametrize(
    ("ref", "other", "overlaps"),
    [
        ("r.pdf p.2:3", ("r.pdf p.2", 3, 3), True),
        ("r.pdf p.2:3", ("r.pdf p.1", 3, 3), False),
        ("r.pdf p.2:3", ("r.pdf", 3, 3), True),
        ("a.txt:3-5", ("a.txt", 5, 9), True),
    ],
)
def test_eval_refs_with_pages(ref: str, other: tuple[str, int, int], overlaps: bool) -> None:
    assert _overlaps(parse_ref(ref), other) is overlaps


def test_render_source_labels_page_lines() -> None:
    lines = ["a", "b", "c", "d", "e", "f"]
    out = render_source("r.pdf", 4, 4, lines, pages=PAGE_OF)
    assert "page 2, line 2" in out
    assert '<span class="ln">p.2:2</span>' in out


# --------------------------------------------------------------------------- end to end
def test_mixed_folder_answers_with_page_and_line(tmp_path: Path) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "notes.txt").write_text("The cafeteria opens at eight.\nParking is free.\n")
    (corpus / "report.pdf").write_bytes(make_pdf(PAGES))
    (corpus / "lease.docx").write_bytes(make_docx())
    (corpus / "page.html").write_text(
        "<nav>menu</nav><h1>Garden</h1><p>The garden has forty apple trees.</p>"
    )
    (corpus / "scan.pdf").write_bytes(scanned_pdf())
    a = Assistant(
        corpus=corpus, index_dir=tmp_path / "idx", backend="extractive", embedding_model="hash"
    )
    report = a.build_index()
    assert report.files == 4 and report.skipped == 1

    ans = a.ask("Who is the new lighthouse keeper?")
    cites = [c for c in ans.citations if c.source == "report.pdf"]
    assert cites, ans.to_dict()
    c = cites[0]
    assert (c.page, c.start_line, c.end_line) == (2, 3, 3)
    assert "[report.pdf p.2:3]" in ans.text
    d = ans.to_dict()["claims"][0]["citations"][0]
    assert (d["page"], d["start_line"]) == (2, 3)
    # The citation verifies against the page's extracted text.
    pages = a.pages("report.pdf")
    lines = a.lookup("report.pdf")
    assert pages is not None and lines is not None
    page_lines = [line for line, p in zip(lines, pages, strict=True) if p == c.page]
    assert check_citation(c, page_lines) is None
    whole = file_line(pages, c.page, c.start_line)
    assert lines[whole - 1] == "The new lighthouse keeper is Margarethe Oyelaran."

    docx_ans = a.ask("How much is the deposit for Flat 2?")
    assert any(c.source == "lease.docx" and c.page is None for c in docx_ans.citations)
    html_ans = a.ask("How many apple trees does the garden have?")
    assert any(c.source == "page.html" for c in html_ans.citations)
    assert a.pages("notes.txt") is None

    # The source view opens the same line from the page-and-line a reader sees.
    from assistant.ui import ChatApp

    app = ChatApp(a)
    view = app.api_source("report.pdf", c.start_line, context=0, page=c.page)
    assert view["start_line"] == whole
    assert view["lines"][0]["text"] == "The new lighthouse keeper is Margarethe Oyelaran."
    panel = app.show_source("report.pdf", c.start_line, c.end_line, page=c.page)
    assert "page 2, line 3" in panel and "Margarethe Oyelaran" in panel
    assert "No such line" in app.show_source("report.pdf", 9, 9, page=2)

    # The evaluation judges a page citation against a page reference, as written in a question
    # file (``report.pdf p.2:3``): valid, and at the support line.
    from assistant.evaluate import EvalQuestion, judge, parse_ref

    q = EvalQuestion(
        "pdf1",
        "Who is the new lighthouse keeper?",
        True,
        [["Margarethe Oyelaran"]],
        [parse_ref("report.pdf p.2:3")],
        [],
    )
    v = judge(q, ans, a.lookup, 0.0, a.pages)
    assert v.citation_valid and all(v.citation_valid) and v.cites_support is True
    assert v.correct and v.retrieval_rank is not None
    wrong = EvalQuestion("pdf2", q.question, True, q.facts, [parse_ref("report.pdf p.1:3")], [])
    assert judge(wrong, ans, a.lookup, 0.0, a.pages).cites_support is False
