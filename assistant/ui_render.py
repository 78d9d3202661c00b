"""HTML for the chat UI, as pure functions of plain data.

Owns: what a turn of the conversation looks like (the question, the answer with clickable citation
chips, the sources list, a refusal, an error, a draft still being written), the source panel's
excerpt with the cited lines highlighted, the index status, and the stylesheet. Every piece of text
from a user, a document or a model is HTML-escaped here. Does not own: Gradio, reading files (the
caller passes the lines it got from ``Assistant.lookup``) or answering.

A citation chip is ``<a class="cite" data-source=... data-start=... data-end=...>``; the UI's
script turns a click on one into a request for the source panel.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .answer import CANNOT_ANSWER, Answer, Claim
from .citations import Citation, strip_markers

PENDING, ANSWER, REFUSAL, ERROR = "pending", "answer", "refusal", "error"
CONTEXT_LINES = 3


@dataclass
class Turn:
    """One question and what became of it; a browser session keeps a list of these."""

    question: str  # as typed
    query: str = ""  # the standalone question actually asked, when it differs
    status: str = PENDING  # pending | answer | refusal | error
    text: str = ""  # draft while pending; the refusal or error message after
    claims: list[Claim] = field(default_factory=list)  # the verified answer
    backend: str = ""
    outcome: str = ""  # answered | trimmed | fallback | abstained | refused
    note: str = ""  # why the backend's own answer was not used as written
    seconds: float | None = None
    confidence: str = ""  # in plain words ("high confidence"); "" for the no-model answer

    @property
    def citations(self) -> list[Citation]:
        return list(dict.fromkeys(c for claim in self.claims for c in claim.citations))

    def finish(self, answer: Answer) -> None:
        self.status = REFUSAL if answer.refused else ANSWER
        self.text = answer.text  # the claims rendered with their markers (for programs)
        self.claims = list(answer.claims)
        self.backend = answer.backend
        self.outcome = answer.outcome.value
        self.note = answer.note
        self.seconds = answer.timings.get("total")
        self.confidence = answer.confidence_words

    def fail(self, message: str) -> None:
        self.status, self.text, self.claims = ERROR, message, []


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def span_label(start: int, end: int) -> str:
    return str(start) if start == end else f"{start}\u2013{end}"


# --------------------------------------------------------------------------- answers
def chip(source: str, start: int, end: int, page: int | None = None) -> str:
    """A clickable citation: shows ``source:line`` (``source p.N:line`` in a paginated file)
    and opens the source panel at that page and line."""
    where = f" p.{int(page)}" if page is not None else ""
    label = f"{source}{where}:{span_label(start, end)}"
    data_page = f' data-page="{int(page)}"' if page is not None else ""
    return (
        f'<a class="cite" href="#" role="button" data-source="{esc(source)}" '
        f'data-start="{int(start)}" data-end="{int(end)}"{data_page} '
        f'title="Show {esc(label)} in the source panel">{esc(label)}</a>'
    )


def render_claims(claims: Sequence[Claim]) -> str:
    """The answer's claims, each followed by chips for its citations."""
    parts = []
    for claim in claims:
        spans = dict.fromkeys((c.source, c.start_line, c.end_line, c.page) for c in claim.citations)
        chips = "".join(chip(*span) for span in spans)
        parts.append(f"{esc(claim.text)}{' ' if chips else ''}{chips}")
    return " ".join(parts)


def unique_citations(citations: Sequence[Citation]) -> list[Citation]:
    seen: set[tuple[str, int, int, int | None]] = set()
    out = []
    for c in citations:
        key = (c.source, c.start_line, c.end_line, c.page)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def render_sources(citations: Sequence[Citation]) -> str:
    """The list under an answer: each citation's chip and the quoted words of the source."""
    cites = unique_citations(citations)
    if not cites:
        return ""
    items = "".join(
        f"<li>{chip(c.source, c.start_line, c.end_line, c.page)} "
        f'<q class="quote">{esc(c.quote)}</q></li>'
        for c in cites
    )
    return f'<div class="sources"><div class="sources-title">Sources</div><ol>{items}</ol></div>'


def _meta(turn: Turn) -> str:
    bits = []
    if turn.backend:
        bits.append(f"backend: {esc(turn.backend)}")
    if turn.seconds is not None:
        bits.append(f"{turn.seconds:.1f} s")
    return " \u00b7 ".join(bits)


def render_answer(turn: Turn) -> str:
    n = len(unique_citations(turn.citations))
    # Say what was checked: the quoted words are on the cited line. Not "verified": a reader
    # takes that for "correct", which no citation check can promise.
    cites = unique_citations(turn.citations)
    where = cites[0].label if cites else ""
    more = f" and {n - 1} more line{'s' if n > 2 else ''}" if n > 1 else ""
    badge = f"Answer \u00b7 quoted from {esc(where)}{more}"
    if turn.confidence:
        badge += f" \u00b7 {esc(turn.confidence)}"
    note = turn.note
    return (
        f'<div class="msg answer"><div class="badge">\u2713 {badge}'
        f'<span class="meta">{_meta(turn)}</span></div>'
        f'<div class="answer-text">{render_claims(turn.claims)}</div>'
        + (f'<div class="note">{esc(note)}</div>' if note else "")
        + render_sources(turn.citations)
        + "</div>"
    )


def render_refusal(turn: Turn) -> str:
    return (
        f'<div class="msg refusal"><div class="badge">\u2298 No answer in the documents'
        f'<span class="meta">{_meta(turn)}</span></div>'
        f'<div class="answer-text">{esc(turn.text or CANNOT_ANSWER)}</div>'
        '<div class="note">Nothing in the indexed documents supports an answer, so none is '
        "given. Try other words, or add a document that covers it.</div>"
        + (f'<div class="note">Backend: {esc(turn.note)}</div>' if turn.note else "")
        + "</div>"
    )


def render_error(message: str) -> str:
    return (
        '<div class="msg error"><div class="badge">\u26a0 Error</div>'
        f'<div class="answer-text">{esc(message)}</div></div>'
    )


def render_pending(text: str) -> str:
    draft = esc(strip_markers(text)) if text.strip() else "Searching the documents\u2026"
    return (
        '<div class="msg pending"><div class="badge">\u2026 Writing; citations are checked '
        f'when the answer is complete</div><div class="answer-text">{draft}</div></div>'
    )


def render_turn(turn: Turn) -> str:
    asked = f'<div class="msg user"><div class="user-text">{esc(turn.question)}</div>'
    if turn.query and turn.query != turn.question:
        asked += f'<div class="understood">Understood as: {esc(turn.query)}</div>'
    asked += "</div>"
    if turn.status == ANSWER:
        reply = render_answer(turn)
    elif turn.status == REFUSAL:
        reply = render_refusal(turn)
    elif turn.status == ERROR:
        reply = render_error(turn.text)
    else:
        reply = render_pending(turn.text)
    return f'<div class="turn turn-{turn.status}">{asked}{reply}</div>'


def render_conversation(turns: Sequence[Turn], corpus_name: str = "") -> str:
    if not turns:
        where = f" in <b>{esc(corpus_name)}</b>" if corpus_name else ""
        return (
            '<div class="conversation empty"><div class="intro">'
            f"<p>Ask a question about the documents{where}.</p>"
            "<p>Every sentence of an answer carries a citation like "
            '<span class="cite demo">file.txt:12</span>; click it to see those lines in the '
            "source panel. When the documents do not hold the answer, you are told so.</p>"
            "<p>Follow-up questions (<i>And what about \u2026?</i>) use the conversation.</p>"
            "</div></div>"
        )
    return '<div class="conversation">' + "".join(render_turn(t) for t in turns) + "</div>"


# --------------------------------------------------------------------------- source panel
SOURCE_PLACEHOLDER = (
    '<div class="source-panel empty">Click a citation to see the cited lines here, '
    "with the lines around them.</div>"
)


def render_source(
    source: str,
    start: int,
    end: int,
    lines: Sequence[str] | None,
    context: int = CONTEXT_LINES,
    pages: Sequence[int] | None = None,
) -> str:
    """The cited lines of ``source`` highlighted, with ``context`` lines before and after.

    ``lines`` are the file's real lines (``Assistant.lookup``); None means the file is not part
    of the indexed corpus, and nothing is shown. ``start``/``end`` are whole-file lines; with
    ``pages`` (a PDF's page of each line) every line is labelled by its page and its line within
    that page (``p.3:12``), as the citation reads.
    """
    if lines is None:
        return (
            '<div class="source-panel missing"><div class="badge">\u26a0 Not available</div>'
            f"<p><code>{esc(source)}</code> is not a document of the indexed corpus.</p></div>"
        )
    n = len(lines)
    start, end = min(start, end), max(start, end)
    if start < 1 or start > n:
        return (
            '<div class="source-panel missing"><div class="badge">\u26a0 No such line</div>'
            f"<p><code>{esc(source)}</code> has {n} line{'s' if n != 1 else ''}; "
            f"line {start} does not exist.</p></div>"
        )
    end = min(end, n)
    first, last = max(1, start - context), min(n, end + context)
    rows = []
    if first > 1:
        rows.append(
            f'<div class="gap">\u22ee {first - 1} line{"s" if first > 2 else ""} above</div>'
        )

    def label(no: int) -> str:
        if pages is None or len(pages) < no:
            return str(no)
        return f"p.{pages[no - 1]}:{no - pages.index(pages[no - 1])}"

    for no in range(first, last + 1):
        cited = start <= no <= end
        cls = "line hl" if cited else "line"
        mark = ' aria-current="true"' if cited else ""
        text = esc(lines[no - 1]) or "&nbsp;"
        rows.append(
            f'<div class="{cls}" data-line="{no}"{mark}><span class="ln">{label(no)}</span>'
            f'<span class="lt">{text}</span></div>'
        )
    if last < n:
        rows.append(
            f'<div class="gap">\u22ee {n - last} line{"s" if n - last > 1 else ""} below</div>'
        )
    plural = "s" if end > start else ""
    where = f"line{plural} {span_label(start, end)} of {n}"
    if pages is not None and len(pages) >= end:
        page = pages[start - 1]
        a = start - pages.index(page)  # the line within its page
        where = f"page {page}, line{plural} {span_label(a, a + end - start)}"
    return (
        f'<div class="source-panel" data-source="{esc(source)}">'
        f'<div class="source-head"><code>{esc(source)}</code>'
        f'<span class="meta">{where}</span></div>'
        f'<div class="excerpt">{"".join(rows)}</div></div>'
    )


# --------------------------------------------------------------------------- side panel
def render_status(status: dict) -> str:
    """Index status: files, chunks, when it was last indexed, the embedding model."""
    rows = [
        ("Files", status.get("files", "?")),
        ("Chunks", status.get("chunks", "?")),
        ("Last indexed", status.get("indexed_at") or "never"),
        ("Embeddings", status.get("embedding_model") or "?"),
        ("Corpus", status.get("corpus") or "?"),
    ]
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return f'<table class="status">{body}</table>'


def render_notice(lines: Sequence[str], ok: bool = True) -> str:
    cls = "notice ok" if ok else "notice bad"
    return f'<div class="{cls}">' + "<br>".join(esc(x) for x in lines) + "</div>"


# Colours are variables so that Gradio's dark mode gets a dark palette. Gradio's ``.prose *`` rule
# colours every element; "body .prose ..." selectors outrank it so that these colours apply.
CSS = """
body {
  --da-text: #0f172a; --da-muted: #64748b; --da-soft: #f8fafc; --da-card: #ffffff;
  --da-rule: #e2e8f0; --da-dash: #cbd5e1;
  --da-user-bg: #e0e7ff; --da-user-border: #c7d2fe; --da-user-note: #4338ca;
  --da-ok: #15803d; --da-ok-bar: #16a34a; --da-ok-border: #bbf7d0;
  --da-warn-bg: #fffbeb; --da-warn: #b45309; --da-warn-bar: #d97706; --da-warn-border: #fde68a;
  --da-bad-bg: #fef2f2; --da-bad: #b91c1c; --da-bad-bar: #dc2626; --da-bad-border: #fecaca;
  --da-chip-bg: #dbeafe; --da-chip: #1d4ed8; --da-chip-border: #93c5fd;
  --da-hl-bg: #fef08a; --da-hl-bar: #ca8a04; --da-hl-num: #854d0e;
}
body.dark, .dark body, body .dark {
  --da-text: #e2e8f0; --da-muted: #94a3b8; --da-soft: #111827; --da-card: #0b1220;
  --da-rule: #334155; --da-dash: #475569;
  --da-user-bg: #1e1b4b; --da-user-border: #3730a3; --da-user-note: #a5b4fc;
  --da-ok: #4ade80; --da-ok-bar: #22c55e; --da-ok-border: #14532d;
  --da-warn-bg: #2a1f05; --da-warn: #fbbf24; --da-warn-bar: #f59e0b; --da-warn-border: #78350f;
  --da-bad-bg: #2a0b0b; --da-bad: #f87171; --da-bad-bar: #ef4444; --da-bad-border: #7f1d1d;
  --da-chip-bg: #1e3a8a; --da-chip: #bfdbfe; --da-chip-border: #3b82f6;
  --da-hl-bg: #713f12; --da-hl-bar: #facc15; --da-hl-num: #fde68a;
}
body .prose .conversation *, body .prose .source-panel *, body .prose .notice * {
  color: inherit; }
#conversation { min-height: 460px; }
.conversation { display: flex; flex-direction: column; gap: 14px; padding: 4px 2px; }
body .prose .conversation.empty .intro { color: var(--da-muted); background: var(--da-soft);
  border: 1px dashed var(--da-dash); border-radius: 10px; padding: 14px 18px; line-height: 1.5; }
.turn { display: flex; flex-direction: column; gap: 6px; }
body .prose .msg { border-radius: 10px; padding: 10px 14px; line-height: 1.55;
  color: var(--da-text); }
body .prose .msg.user { align-self: flex-end; max-width: 85%; background: var(--da-user-bg);
  border: 1px solid var(--da-user-border); }
body .prose .msg.user .understood { font-size: 0.82em; color: var(--da-user-note); margin-top: 3px;
  font-style: italic; }
body .prose .msg .badge { font-size: 0.78em; font-weight: 600; letter-spacing: 0.02em;
  text-transform: uppercase; margin-bottom: 4px; display: flex;
  justify-content: space-between; gap: 12px; }
body .prose .msg .badge .meta { font-weight: 400; text-transform: none; color: var(--da-muted); }
body .prose .msg.answer { background: var(--da-card); border: 1px solid var(--da-ok-border);
  border-left: 5px solid var(--da-ok-bar); }
body .prose .msg.answer .badge { color: var(--da-ok); }
body .prose .msg.refusal { background: var(--da-warn-bg); border: 1px solid var(--da-warn-border);
  border-left: 5px solid var(--da-warn-bar); }
body .prose .msg.refusal .badge { color: var(--da-warn); }
body .prose .msg.error { background: var(--da-bad-bg); border: 1px solid var(--da-bad-border);
  border-left: 5px solid var(--da-bad-bar); }
body .prose .msg.error .badge { color: var(--da-bad); }
body .prose .msg.pending { background: var(--da-soft); border: 1px dashed var(--da-dash);
  color: var(--da-muted); }
body .prose .msg .note { font-size: 0.85em; color: var(--da-muted); margin-top: 6px; }
body .prose a.cite, body .prose span.cite { display: inline-block;
  font-family: ui-monospace, SFMono-Regular,
  Menlo, monospace; font-size: 0.78em; line-height: 1.5; padding: 0 7px; margin: 0 2px;
  border-radius: 999px; background: var(--da-chip-bg); color: var(--da-chip) !important;
  border: 1px solid var(--da-chip-border); text-decoration: none !important; white-space: nowrap;
  vertical-align: 1px; cursor: pointer; }
body .prose a.cite:hover, body .prose a.cite.active { background: var(--da-chip);
  color: var(--da-card) !important;
  border-color: var(--da-chip); }
body .prose .sources { margin-top: 8px; border-top: 1px solid var(--da-rule); padding-top: 6px;
  font-size: 0.9em; }
body .prose .sources-title { font-size: 0.78em; font-weight: 600; text-transform: uppercase;
  color: var(--da-muted); }
.sources ol { margin: 4px 0 0 0; padding-left: 22px; }
.sources li { margin: 3px 0; }
.sources q.quote { font-style: italic; }
body .prose .source-panel { border: 1px solid var(--da-rule); border-radius: 10px;
  background: var(--da-card); color: var(--da-text); overflow: hidden; }
body .prose .source-panel.empty, body .prose .source-panel.missing { padding: 14px;
  color: var(--da-muted);
  background: var(--da-soft); }
body .prose .source-panel.missing .badge { color: var(--da-bad); font-weight: 600; }
body .prose .source-head { display: flex; justify-content: space-between; gap: 8px;
  padding: 8px 12px;
  background: var(--da-soft); border-bottom: 1px solid var(--da-rule); font-size: 0.9em;
  flex-wrap: wrap; }
body .prose .source-head .meta { color: var(--da-muted); }
.excerpt { font-size: 0.88em; line-height: 1.5; max-height: 520px; overflow-y: auto; }
.excerpt .line { display: flex; gap: 10px; padding: 2px 12px 2px 0;
  border-left: 4px solid transparent; }
body .prose .excerpt .line .ln { flex: 0 0 3.2em; text-align: right; color: var(--da-muted);
  font-family: ui-monospace, monospace; user-select: none; }
.excerpt .line .lt { white-space: pre-wrap; word-break: break-word; }
body .prose .excerpt .line.hl { background: var(--da-hl-bg); border-left-color: var(--da-hl-bar); }
body .prose .excerpt .line.hl .ln { color: var(--da-hl-num); font-weight: 700; }
body .prose .excerpt .gap { color: var(--da-muted); font-size: 0.85em;
  padding: 2px 12px 2px 4.2em; }
table.status { width: 100%; font-size: 0.88em; border-collapse: collapse; }
body .prose table.status th, body .prose table.status td { border: none; }
body .prose table.status th { text-align: left; color: var(--da-muted); font-weight: 500;
  padding: 2px 8px 2px 0; white-space: nowrap; vertical-align: top; }
table.status td { word-break: break-all; padding: 2px 0; }
body .prose .notice { font-size: 0.88em; border-radius: 8px; padding: 8px 10px; }
body .prose .notice.ok { background: var(--da-card); color: var(--da-ok);
  border: 1px solid var(--da-ok-border); }
body .prose .notice.bad { background: var(--da-bad-bg); color: var(--da-bad);
  border: 1px solid var(--da-bad-border); }
.app-title h1 { margin: 0; font-size: 1.4em; }
body .prose .app-title p { margin: 2px 0 0 0; color: var(--da-muted); }
"""


# --------------------------------------------------------------------------- uploads
def render_uploads(uploads: Sequence[Any]) -> str:
    """The uploaded documents (each with ``source`` and ``size``) as a small table, or a line
    saying there are none."""
    if not uploads:
        return '<p class="uploads-empty">No uploaded documents.</p>'
    rows = "".join(
        f'<tr data-source="{esc(u.source)}"><td><code>{esc(u.source)}</code></td>'
        f"<td>{_size(u.size)}</td></tr>"
        for u in uploads
    )
    return f'<table class="uploads"><tr><th>Uploaded</th><th>Size</th></tr>{rows}</table>'


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KB"
