"""Loading documents from the corpus folder, with editor line numbers.

Owns: finding files (recursively, by extension), deciding what is text, decoding, and splitting into
lines exactly as an editor numbers them (1-based; CRLF, LF and lone CR all end a line; a last line
without a newline is a line; a trailing newline does not start a new one). Files that cannot be
read as text are skipped with a warning and never stop the run. Does not own: chunking,
normalisation or anything stored in the index.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusError  # noqa: F401  (re-exported)

_NEWLINE = re.compile(r"\r\n|\n|\r")
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")  # control characters, undecodable bytes


@dataclass(frozen=True)
class Document:
    source: str  # path relative to the corpus root, with forward slashes
    lines: tuple[str, ...]  # verbatim text of each line, without its line ending
    sha256: str

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


def decode(data: bytes) -> str | None:
    """UTF-8 text (a BOM is dropped), or None for binary / undecodable bytes."""
    if b"\x00" in data[:8192]:
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return text


def _is_inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
        return True
    except ValueError:
        return False


def discover(
    root: Path, extensions: list[str], warn: Callable[[str], None] = lambda m: None
) -> list[Path]:
    """Every candidate document under ``root``, sorted; hidden entries and escapes are skipped."""
    root = Path(root)
    if not root.exists():
        raise CorpusError(f"corpus folder not found: {root}")
    if not root.is_dir():
        raise CorpusError(f"corpus is not a folder: {root}")
    real_root = root.resolve()
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            if os.path.splitext(name)[1].lower() not in extensions:
                continue
            source = path.relative_to(root).as_posix()
            if _BAD_NAME.search(source):  # undecodable bytes or control characters: no citation
                warn(f"skipped {_BAD_NAME.sub('?', source)}: the file name is not printable UTF-8")
                continue
            if path.is_symlink() and not _is_inside(path, real_root):
                warn(f"skipped {path.relative_to(root).as_posix()}: link points outside the corpus")
                continue
            if not path.is_file():  # a FIFO or device would block or never end; a dangling link
                warn(f"skipped {path.relative_to(root).as_posix()}: not a regular file")
                continue
            found.append(path)
    return found


def load(
    path: Path, root: Path, max_bytes: int, warn: Callable[[str], None] = lambda m: None
) -> Document | None:
    """Read one document, or warn and return None when it is not usable text."""
    source = path.relative_to(root).as_posix()
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
    text = decode(data)
    if text is None:
        warn(f"skipped {source}: not UTF-8 text")
        return None
    return Document(source, tuple(split_lines(text)), hashlib.sha256(data).hexdigest())


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
