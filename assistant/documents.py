"""Loading documents from the corpus folder, with editor line numbers.

Owns: finding files (recursively, by extension; in the corpus and in the uploads folder, whose
files are named ``uploads/<name>``), deciding what is text, decoding, and splitting into
lines exactly as an editor numbers them (1-based; CRLF, LF and lone CR all end a line; a last line
without a newline is a line; a trailing newline does not start a new one). Files that cannot be
read as text are skipped with a warning and never stop the run. PDF, Word and HTML files are
handed to ``loaders`` by extension (their lines, and a PDF's page of each line). Does not own:
extraction of those formats (``loaders``), chunking, normalisation or anything in the index.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import loaders
from .errors import CorpusError  # noqa: F401  (re-exported)

_NEWLINE = re.compile(r"\r\n|\n|\r")
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")  # control characters, undecodable bytes


@dataclass(frozen=True)
class Document:
    source: str  # path relative to the corpus root, with forward slashes
    lines: tuple[str, ...]  # verbatim text of each line, without its line ending
    sha256: str
    encoding: str = "utf-8"  # what the bytes were read as
    # The 1-based page of each line, for paginated formats (PDF); None for files without pages.
    pages: tuple[int, ...] | None = None

    def line(self, number: int) -> str:
        """The text of 1-based line ``number``."""
        return self.lines[number - 1]


def split_lines(text: str) -> list[str]:
    """Split text into lines as an editor numbers them."""
    if text == "":
        return []
    parts = _NEWLINE.split(text)
    if parts[-1] == "":  # text ended with a newline: no extra line
        parts.pop()
    return parts


# Byte-order marks, longest first (UTF-32 LE starts with the UTF-16 LE mark).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control characters (C0 but tab and line breaks, DEL, C1) and bidi overrides/isolates: they
# would reach an answer, a quote or the page raw. Vertical tab and form feed (page breaks in old
# text files) become a space; the others U+FFFD. Line breaks are untouched: line numbers stay.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_PAGE_BREAK = re.compile(r"[\x0b\x0c]")


def detect(data: bytes) -> tuple[str, str] | None:
    """The text of ``data`` and the encoding it was read with, or None for a binary file.

    A byte-order mark decides (UTF-8, UTF-16, UTF-32); else UTF-8 when the bytes are valid UTF-8;
    else the encoding ``charset_normalizer`` finds (Latin-1, Windows-1252, Shift-JIS...). Bytes
    with a NUL in their first 8 KB and no BOM are binary."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding.removesuffix("-sig")
            except UnicodeDecodeError:
                return None
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return None
    best = matches[0]
    # Short texts often fit several code pages equally well: then Windows-1252, the legacy
    # encoding most text in Latin script was saved in (and the web's default for "Latin-1").
    tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    best = next((m for m in tied if "cp1252" in m.could_be_from_charset), best)
    return str(best), best.encoding


def decode(data: bytes) -> str | None:
    """The text of ``data`` in whatever encoding it is (``detect``), control characters made
    harmless (``clean``); None for binary bytes."""
    found = detect(data)
    return clean(found[0]) if found else None


def clean(text: str) -> str:
    """``text`` with control characters and bidi overrides replaced; line breaks kept."""
    return _CONTROL.sub("\ufffd", _PAGE_BREAK.sub(" ", text))


def _is_inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
        return True
    except ValueError:
        return False


def _hidden(relative: Path) -> bool:
    """Whether a path inside the corpus is hidden or lies in a hidden folder."""
    return any(part.startswith(".") for part in relative.parts)


def discover(
    root: Path,
    extensions: list[str],
    warn: Callable[[str], None] = lambda m: None,
    uploads: Path | None = None,
) -> list[Path]:
    """Every candidate document under ``root``, sorted; hidden entries and escapes are skipped.

    ``uploads`` (documents added in the UI, kept outside the corpus) is a second root whose
    files come after the corpus's, under the source names ``uploads/<name>`` (``source_of``). A
    corpus file of the same source name wins: the upload is skipped with a warning."""
    root = Path(root)
    if not root.exists():
        raise CorpusError(f"corpus folder not found: {root}")
    if not root.is_dir():
        raise CorpusError(f"corpus is not a folder: {root}")
    extra = Path(uploads) if uploads is not None and Path(uploads).is_dir() else None
    found = _walk(root, "", extensions, warn, skip=extra)
    if extra is not None:
        taken = {source_of(p, root, extra) for p in found}
        for path in _walk(extra, UPLOADS + "/", extensions, warn, skip=root):
            source = source_of(path, root, extra)
            if source in taken:
                warn(f"skipped the upload {source}: the corpus has a file of that name")
                continue
            found.append(path)
    return found


UPLOADS = "uploads"  # the source prefix of documents found under the uploads root


def source_of(path: Path, root: Path, uploads: Path | None = None) -> str:
    """The source name of a path ``discover`` found: its path relative to the corpus ``root``,
    or ``uploads/<path relative to uploads>`` for an uploaded one (the deeper root decides
    when one folder lies inside the other)."""
    bases = [(Path(root), "")] + ([(Path(uploads), UPLOADS + "/")] if uploads else [])
    for base, prefix in sorted(bases, key=lambda b: -len(b[0].parts)):
        try:
            return prefix + Path(path).relative_to(base).as_posix()
        except ValueError:
            continue
    raise ValueError(f"{path} is in neither {root} nor {uploads}")


def _walk(
    root: Path,
    prefix: str,
    extensions: list[str],
    warn: Callable[[str], None],
    skip: Path | None = None,
) -> list[Path]:
    """The candidate documents under one root (``prefix`` + relative path names them); the
    folder ``skip`` (the other root, when one lies inside the other) is left out."""
    real_root = root.resolve()
    real_skip = skip.resolve() if skip is not None else None
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".")
            and (real_skip is None or (Path(dirpath) / d).resolve() != real_skip)
        )
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            if os.path.splitext(name)[1].lower() not in extensions:
                continue
            source = prefix + path.relative_to(root).as_posix()
            if _BAD_NAME.search(source):  # undecodable bytes or control characters: no citation
                warn(f"skipped {_BAD_NAME.sub('?', source)}: the file name is not printable UTF-8")
                continue
            if path.is_symlink() and not _is_inside(path, real_root):
                warn(f"skipped {source}: link points outside the corpus")
                continue
            if path.is_symlink() and _hidden(path.resolve().relative_to(real_root)):
                # A link follows the rules of its target: hidden files (.git/config...) are out.
                warn(f"skipped {source}: link points to a hidden file")
                continue
            if not path.is_file():  # a FIFO or device would block or never end; a dangling link
                warn(f"skipped {source}: not a regular file")
                continue
            found.append(path)
    return found


def load(
    path: Path,
    root: Path,
    max_bytes: int,
    warn: Callable[[str], None] = lambda m: None,
    source: str | None = None,
) -> Document | None:
    """Read one document, or warn and return None when it is not usable text. Its source name
    is ``source`` when given (an upload: ``source_of``), else its path relative to ``root``."""
    source = source or path.relative_to(root).as_posix()
    try:
        size = path.stat().st_size
        if size > max_bytes:
            warn(
                f"skipped {source}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit"
            )
            return None
        data = path.read_bytes()
    except OSError as e:
        warn(f"skipped {source}: cannot read ({e.strerror or e})")
        return None
    digest = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix in loaders.LOADERS:
        try:
            got = loaders.extract(suffix, data, digest)
        except loaders.LoadError as e:
            warn(f"skipped {source}: {e}")
            return None
        return Document(source, got.lines, digest, "utf-8", got.pages)  # text, not bytes
    found = detect(data)
    if found is None:
        warn(f"skipped {source}: not text (binary or in no known encoding)")
        return None
    text, encoding = found
    return Document(source, tuple(split_lines(clean(text))), digest, encoding)


def iter_documents(
    root: Path,
    extensions: list[str],
    max_bytes: int,
    warn: Callable[[str], None] = lambda m: None,
) -> Iterator[Document]:
    """Stream the corpus one document at a time (memory stays bounded by the largest file)."""
    root = Path(root)
    for path in discover(root, extensions, warn):
        doc = load(path, root, max_bytes, warn)
        if doc is not None:
            yield doc


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
