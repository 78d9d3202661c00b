"""Citations as data: the ``Citation`` value and pure functions over citation markers.

Owns: the marker syntax ``[source:line]`` / ``[source:start-end]`` (several may share one bracket,
separated by ``;`` or ``,``), parsing markers out of text, stripping them, and splitting an answer
into claims (a span of text and the markers that follow it). Does not own: checking citations
against the documents (``verify``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Citation:
    """Lines ``start_line``..``end_line`` of ``source`` (of its page ``page``, 1-based, for a
    paginated file; None for files without pages), and the words quoted from them."""

    source: str
    start_line: int
    end_line: int
    quote: str
    page: int | None = None

    @property
    def label(self) -> str:
        """``file.txt:12``, ``file.txt:3-5`` or, in a paginated file, ``file.pdf p.3:12``."""
        page = f" p.{self.page}" if self.page is not None else ""
        return f"{self.source}{page}:{_span(self.start_line, self.end_line)}"

    @property
    def marker(self) -> str:
        return f"[{self.label}]"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Citation:
        page = d.get("page")
        return cls(
            str(d["source"]),
            int(d["start_line"]),
            int(d["end_line"]),
            str(d["quote"]),
            None if page is None else int(page),
        )


@dataclass(frozen=True)
class Marker:
    source: str
    start_line: int
    end_line: int
    page: int | None = None

    def __str__(self) -> str:
        page = f" p.{self.page}" if self.page is not None else ""
        return f"[{self.source}{page}:{_span(self.start_line, self.end_line)}]"


@dataclass(frozen=True)
class MarkedClaim:
    text: str  # the claim with its markers removed, stripped
    markers: tuple[Marker, ...]


def _span(a: int, b: int) -> str:
    return str(a) if a == b else f"{a}-{b}"


# A bracket group, allowing one level of brackets inside (file names like "notes [draft].txt").
_GROUP = re.compile(r"\[((?:[^\[\]\n]|\[[^\[\]\n]*\])+)\]")
# One reference inside a group: a name (anything, colons included), a colon, a line or a range.
_REF = re.compile(
    r"\s*(.+?)\s*:\s*(?:lines?\s*)?L?(\d+)(?:\s*[-\u2013\u2014]\s*L?(\d+))?\s*(?:[;,]|$)"
)


_PAGE = re.compile(r"\s+p\.(\d+)$")  # "file.pdf p.3" in "[file.pdf p.3:12]"


def _refs(group: str) -> list[Marker] | None:
    """The references of a bracket group's inside, or None when it is not a marker."""
    out: list[Marker] = []
    pos = 0
    while pos < len(group):
        m = _REF.match(group, pos)
        if not m or m.end() == pos:
            return None
        name = m.group(1).strip()
        page = None
        if pm := _PAGE.search(name):
            name, page = name[: pm.start()], int(pm.group(1))
        if "." not in name:  # "[1]", "[note: 3]": not a file
            return None
        start = int(m.group(2))
        out.append(Marker(name, start, int(m.group(3)) if m.group(3) else start, page))
        pos = m.end()
    return out or None


def _markers(text: str) -> list[tuple[re.Match[str], list[Marker]]]:
    found = []
    for m in _GROUP.finditer(text):
        refs = _refs(m.group(1))
        if refs:
            found.append((m, refs))
    return found


def parse_markers(text: str) -> list[Marker]:
    """Every marker in ``text``, in order. Malformed brackets are not markers."""
    return [r for _, refs in _markers(text) for r in refs]


def strip_markers(text: str) -> str:
    """``text`` without markers, with the spaces they leave behind tidied."""
    for m, _ in reversed(_markers(text)):
        text = text[: m.start()] + text[m.end() :]
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def split_claims(text: str) -> list[MarkedClaim]:
    """Split an answer into claims: each run of text up to and including its trailing markers.

    A claim ends after a marker group when the next text starts a new sentence, or at a sentence end
    when no marker follows. Text with no marker at all becomes a claim with no markers.
    """
    claims: list[MarkedClaim] = []
    pos = 0
    pending_text = ""
    markers: list[Marker] = []
    for m, refs in _markers(text):
        between = text[pos : m.start()]
        lead = re.match(r"[\s.,;:!?]*", between).end()
        if markers and lead < len(between):
            # New text after a marker group: close the previous claim.
            claims.append(MarkedClaim(strip_markers(pending_text + between[:lead]), tuple(markers)))
            pending_text, markers, between = "", [], between[lead:]
        pending_text += between
        markers += refs
        pos = m.end()
    rest = text[pos:]
    if markers:
        lead = re.match(r"[\s.,;:!?]*", rest).end()
        claims.append(MarkedClaim(strip_markers(pending_text + rest[:lead]), tuple(markers)))
        pending_text, rest = "", rest[lead:]
    pending_text += rest
    if pending_text.strip():
        for sentence in re.split(r"(?<=[.!?])\s+", pending_text.strip()):
            if sentence.strip():
                claims.append(MarkedClaim(strip_markers(sentence), ()))
    return [c for c in claims if c.text or c.markers]
