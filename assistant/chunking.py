"""Splitting documents into line-addressed chunks, and lines into sentences.

Owns: the ``Chunk`` value and the rules that cut a document into chunks: consecutive lines are
packed up to ``chunk_chars``; a chunk never crosses files, never starts or ends on a blank line, and
keeps its text verbatim. A line longer than ``chunk_chars`` is cut into several chunks that all
carry that line's number (needed for pathological 1 MB lines). Markdown headings start a new chunk.
Also owns sentence splitting of one line, used by answerers to quote less than a whole paragraph.
Does not own: reading files (``documents``) or normalisation (``normalize``).

The sentence splitter is hand-written on purpose. ``pysbd`` and ``sentencex`` (both MIT, with
character offsets) were measured against it: both pass the table in ``tests/test_chunking.py`` and
leave the extractive answerer's scores on the dev parts of the four eval corpora exactly as they
are. But ``pysbd`` is about 230x slower (all seed lines: 1.1 ms -> 257 ms; sentences are split on
every question), and ``sentencex`` ends sentences where no space follows a full stop (``except
click.`` | ``Abort:``; ``VOV.`` | ``VN``) and cuts closing quotes and brackets off their sentence
(``... the fee.`` | ``)``; a docstring's closing quotes), which technical and legal text is full
of; the two split 295 and 135 of the corpora's 5,944 lines differently from this one (better in a
few: ``p. 34``, a sentence that opens with ``{``). Here a boundary needs a space after the
terminator, and closing quotes and brackets stay with their sentence.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .documents import Document


@dataclass(frozen=True)
class Chunk:
    source: str
    start_line: int
    end_line: int
    text: str  # verbatim: the lines joined by "\n" (or a piece of one long line)

    @property
    def id(self) -> str:
        h = hashlib.sha1(f"{self.source}\x00{self.text}".encode()).hexdigest()[:16]
        return f"{self.start_line}-{self.end_line}-{h}"

    def lines(self) -> list[tuple[int, str]]:
        """(line number, text) for each line in the chunk."""
        if self.start_line == self.end_line:
            return [(self.start_line, self.text)]
        return list(enumerate(self.text.split("\n"), start=self.start_line))


def _split_long(text: str, size: int) -> Iterator[str]:
    """Cut one long line into pieces of about ``size`` chars, at spaces when possible."""
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            space = text.rfind(" ", start + size // 2, end)
            if space > start:
                end = space + 1
        yield text[start:end]
        start = end


def chunk_document(doc: Document, chunk_chars: int = 700) -> list[Chunk]:
    chunks: list[Chunk] = []
    buf: list[tuple[int, str]] = []

    def flush() -> None:
        if buf:
            chunks.append(Chunk(doc.source, buf[0][0], buf[-1][0], "\n".join(t for _, t in buf)))
            buf.clear()

    # A line may exceed chunk_chars a little before it is cut: paragraphs stay whole.
    hard_limit = chunk_chars * 2
    for number, line in enumerate(doc.lines, start=1):
        if not line.strip():
            flush()
            continue
        if len(line) > hard_limit:
            flush()
            seen: set[str] = set()  # a repetitive line yields equal pieces: one id each
            for piece in _split_long(line, chunk_chars):
                if piece.strip() and piece not in seen:
                    seen.add(piece)
                    chunks.append(Chunk(doc.source, number, number, piece))
            continue
        size = sum(len(t) + 1 for _, t in buf)
        if buf and (size + len(line) > chunk_chars or line.lstrip().startswith("#")):
            flush()
        buf.append((number, line))
    flush()
    return chunks


_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|St|No|Jr|Sr|Gen|Col|Lt|Sen|Rep|Gov|Inc|Ltd|Co|vs|etc|e\.g|i\.e)"
    r"|\b[A-Z](?:\.[A-Z])*)\.$"
)
_BOUNDARY = re.compile(r"[.!?][\"'”’)]*(?=\s+[\"“‘(]?[A-Z0-9À-Ỹ])")


def sentences(line: str) -> list[tuple[int, int]]:
    """Character spans (start, end) of the sentences of one line, covering its non-space text."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(line):
        if _ABBREV.search(line[start : m.start() + 1]):
            continue
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(line)))
    out = []
    for s, e in spans:
        while s < e and line[s].isspace():
            s += 1
        while e > s and line[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out
