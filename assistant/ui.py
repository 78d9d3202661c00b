"""The Gradio chat UI: a thin adapter from browser events to the ``Assistant``.

Owns: the page layout, one conversation history per browser session (``gr.State``), streaming
answers into the page, citation clicks -> the source panel, the side panel (backend, top-k, index
status, re-index), uploads (kept in ``settings.uploads_path``, never in the corpus: store, list,
remove, each followed by an index update), turning every failure into a message, and ``launch``.
Does not own: HTML (``ui_render``; only the small uploads table is drawn here), follow-up
rewriting (``conversation``) or any pipeline step.

Concurrency: one ``Assistant`` serves every session, and sessions answer at the same time (no
lock around answering: backends keep nothing between calls, and the index's readers/writer lock
keeps a search from seeing half an update). Each session's follow-ups go through a
``Conversation`` built from its turns. When the browser goes away mid-answer, Gradio closes the
generator, which releases the backend at once.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from .api import Assistant, clean_question
from .backends.base import TextDelta, available_backends
from .conversation import Conversation, Rewrite
from .documents import UPLOADS, decode
from .errors import AssistantError, QuestionError, describe
from .loaders import file_line
from .ui_render import (
    CSS,
    SOURCE_PLACEHOLDER,
    Turn,
    esc,
    render_conversation,
    render_notice,
    render_source,
    render_status,
    render_uploads,
)

log = logging.getLogger(__name__)

# Uploaded documents are kept in ``settings.uploads_path`` (user data, outside the corpus and
# the repository) and indexed with the corpus as ``uploads/<name>``.
UPLOAD_DIR = UPLOADS
_STREAM_EVERY = 0.08  # seconds between page updates while an answer streams

# Turns a click on a citation chip into a 'cite' event carrying the cited span.
CITE_JS = """
element.addEventListener('click', (event) => {
  const a = event.target.closest('a.cite');
  if (!a || !element.contains(a)) return;
  event.preventDefault();
  element.querySelectorAll('a.cite.active').forEach((x) => x.classList.remove('active'));
  a.classList.add('active');
  trigger('cite', {source: a.dataset.source, start: Number(a.dataset.start),
                   end: Number(a.dataset.end),
                   page: a.dataset.page ? Number(a.dataset.page) : null});
});
"""


# Keeps the highlighted line of the source panel in view (centred when it fits).
SOURCE_JS = """
const centre = () => {
  const box = element.querySelector('.excerpt');
  const hl = element.querySelector('.line.hl');
  if (!box || !hl) return;
  const top = hl.offsetTop - box.offsetTop;
  box.scrollTop = Math.max(0, top - Math.max(0, (box.clientHeight - hl.offsetHeight) / 2));
};
watch('value', centre);
centre();
"""


def error_message(exc: BaseException) -> str:
    """A one-line message for the user (``errors.describe``'s words); never a traceback. An
    unexpected failure is logged with its traceback for the operator."""
    if isinstance(exc, AssistantError):
        return f"{exc.what}: {describe(exc)[0]}"
    log.error("unexpected failure", exc_info=exc)
    return f"Something went wrong ({type(exc).__name__}). The details are in the server log."


# --------------------------------------------------------------------------- uploads
def safe_filename(name: str, default: str = "document") -> str:
    """A file name with only ASCII letters, digits, '.', '_' and '-', no folder, no leading dot."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name or ""))[-1]
    stem, ext = os.path.splitext(base)
    if not stem and ext:  # ".txt" or ".bashrc": a hidden name, no extension
        stem, ext = ext, ""

    def clean(part: str) -> str:
        ascii_ = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode()
        return re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_)

    stem = re.sub(r"_{2,}", "_", clean(stem)).strip("._-")[:80] or default
    ext = clean(ext).lower()
    ext = "." + ext.strip("._-") if ext.strip("._-") else ""
    return stem + ext


@dataclass
class UploadResult:
    name: str  # as uploaded
    stored: str | None  # the source name (``uploads/<safe name>``), or None when refused
    message: str


@dataclass(frozen=True)
class Upload:
    """One uploaded document: its file name in the uploads folder, source name and size."""

    name: str
    source: str
    size: int


def store_upload(
    path: str | os.PathLike,
    folder: Path,
    extensions: Sequence[str],
    max_kb: int,
    corpus: Path | None = None,
) -> UploadResult:
    """Check one uploaded file and copy it into the uploads ``folder`` under a safe name.

    The stored file is indexed as ``uploads/<name>``; a name that the ``corpus`` already has as
    ``uploads/<name>`` (a real folder of that name in the corpus wins) or that the folder holds
    with other bytes gets a ``-2``, ``-3``... suffix. Every refusal is one line, naming the file.
    """
    src = Path(path)
    name = src.name
    ext = os.path.splitext(name)[1].lower()
    if ext not in extensions:
        allowed = ", ".join(extensions)
        return UploadResult(name, None, f"{name}: refused, only text files ({allowed})")
    try:
        size = src.stat().st_size
        if size > max_kb * 1024:
            return UploadResult(
                name, None, f"{name}: refused, {size / 1024:.0f} KB is over the {max_kb} KB limit"
            )
        data = src.read_bytes()
    except OSError as e:
        return UploadResult(name, None, f"{name}: could not be read ({e.strerror or e})")
    text = decode(data)
    if text is None:
        return UploadResult(name, None, f"{name}: refused, not a text file")
    if not text.strip():
        return UploadResult(name, None, f"{name}: refused, the file is empty")
    folder = Path(folder)
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        return UploadResult(name, None, f"{name}: refused, {folder} is not a plain folder")
    if corpus is not None and folder.resolve().is_relative_to(Path(corpus).resolve()):
        return UploadResult(name, None, f"{name}: refused, the uploads folder is inside the corpus")
    folder.mkdir(parents=True, exist_ok=True)
    in_corpus = Path(corpus) / UPLOAD_DIR if corpus is not None else None
    safe = safe_filename(name)
    stem, suffix = os.path.splitext(safe)
    candidate = safe
    n = 1
    while True:
        dest = folder / candidate
        clash = in_corpus / candidate if in_corpus is not None else None
        if clash is not None and (clash.exists() or clash.is_symlink()):
            if clash.is_file() and not clash.is_symlink() and clash.read_bytes() == data:
                rel = f"{UPLOAD_DIR}/{candidate}"
                return UploadResult(name, rel, f"{name}: already in the corpus as {rel}")
        elif dest.exists() or dest.is_symlink():
            if dest.is_file() and not dest.is_symlink() and dest.read_bytes() == data:
                rel = f"{UPLOAD_DIR}/{candidate}"
                return UploadResult(name, rel, f"{name}: already added as {rel}")
        else:
            break
        n += 1
        candidate = f"{stem}-{n}{suffix}"
    if not dest.parent.resolve() == folder.resolve():
        return UploadResult(name, None, f"{name}: refused, it would land outside the uploads")
    tmp = folder / f".{dest.name}.part"
    tmp.write_bytes(data)
    os.replace(tmp, dest)
    rel = f"{UPLOAD_DIR}/{dest.name}"
    return UploadResult(name, rel, f"{name}: added as {rel}")


def list_uploads(folder: Path, extensions: Sequence[str]) -> list[Upload]:
    """The uploaded documents in ``folder``, by name: regular, visible files of a known type."""
    folder = Path(folder)
    if folder.is_symlink() or not folder.is_dir():
        return []
    found = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith(".") or p.suffix.lower() not in extensions:
            continue
        try:
            if p.is_symlink() or not p.is_file():
                continue
            found.append(Upload(p.name, f"{UPLOAD_DIR}/{p.name}", p.stat().st_size))
        except OSError:
            continue
    return found


def remove_upload(folder: Path, name: str) -> UploadResult:
    """Delete the uploaded document ``name`` (``x.txt`` or ``uploads/x.txt``) from ``folder``.
    Only a plain file directly in the folder can go: any other name is refused in one line."""
    given = str(name or "").strip()
    plain = given.removeprefix(f"{UPLOAD_DIR}/")
    if not plain or plain != safe_filename(plain) or plain.startswith("."):
        return UploadResult(given, None, f"{given or '(no name)'}: not an uploaded document")
    path = Path(folder) / plain
    rel = f"{UPLOAD_DIR}/{plain}"
    if path.is_symlink() or not path.is_file():
        return UploadResult(given, None, f"{rel}: not an uploaded document")
    try:
        path.unlink()
    except OSError as e:
        return UploadResult(given, None, f"{rel}: could not be removed ({e.strerror or e})")
    return UploadResult(given, rel, f"{rel}: removed")


# --------------------------------------------------------------------------- handlers
class ChatApp:
    """The UI's behaviour, independent of Gradio so that it can be tested without a server."""

    MAX_CONVERSATIONS = 1000  # kept for the JSON API; the oldest is forgotten first

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        # The JSON API's conversations, by id (a browser session keeps its own in gr.State).
        self._conversations: OrderedDict[str, Conversation] = OrderedDict()
        self._conversations_lock = threading.Lock()  # guards the dict only, never answering

    # ------------------------------------------------------------------ conversation
    def conversation(self, turns: Sequence[Turn]) -> Conversation:
        """This session's conversation: the standalone questions of its answered turns."""
        conv = self.assistant.conversation()
        conv.history = [
            Rewrite(t.question, t.query or t.question, "")
            for t in turns
            if t.status in ("answer", "refusal")
        ]
        return conv

    def respond(
        self,
        message: str,
        turns: list[Turn] | None,
        backend: str | None = None,
        top_k: int | float | None = None,
    ) -> Iterator[tuple[str, list[Turn], str]]:
        """Answer ``message`` in the context of this session's ``turns``.

        Yields (conversation HTML, turns, new text of the question box) as the answer streams.
        """
        turns = list(turns or [])
        corpus_name = Path(self.assistant.settings.corpus).name
        if not (message or "").strip():
            yield render_conversation(turns, corpus_name), turns, ""
            return
        try:
            asked = clean_question(message)
        except QuestionError as e:
            turn = Turn(question=message.strip()[:500])
            turn.fail(error_message(e))
            turns.append(turn)
            yield render_conversation(turns, corpus_name), turns, ""
            return
        conv = self.conversation(turns)
        rw = conv.understand(asked)
        turn = Turn(question=asked, query=rw.query if rw.changed else "")
        turns.append(turn)
        yield render_conversation(turns, corpus_name), turns, ""
        k = int(top_k) if top_k else None
        last = time.monotonic()
        try:
            for item in conv.stream(asked, backend=backend or None, top_k=k):
                if isinstance(item, TextDelta):
                    turn.text += item.text
                    if time.monotonic() - last >= _STREAM_EVERY:
                        last = time.monotonic()
                        yield render_conversation(turns, corpus_name), turns, ""
                else:
                    turn.finish(item)
        except Exception as e:  # every failure becomes a message in the conversation
            turn.fail(error_message(e))
        if turn.status == "pending":
            turn.fail("The backend stopped without an answer.")
        yield render_conversation(turns, corpus_name), turns, ""

    def clear(self) -> tuple[str, list[Turn], str]:
        corpus_name = Path(self.assistant.settings.corpus).name
        return render_conversation([], corpus_name), [], SOURCE_PLACEHOLDER

    # ------------------------------------------------------------------ JSON API
    def api_new_conversation(self) -> str:
        """``/new_conversation``: the id of a new, empty conversation for ``/answer``."""
        conv = self.assistant.conversation()
        with self._conversations_lock:
            self._conversations[conv.id] = conv
            while len(self._conversations) > self.MAX_CONVERSATIONS:
                self._conversations.popitem(last=False)
        return conv.id

    def api_answer(
        self, question: str, conversation_id: str = "", backend: str = "", top_k: float = 0
    ) -> dict:
        """``/answer``: exactly ``Answer.to_dict()`` for ``question``. With a
        ``conversation_id`` (from ``/new_conversation``) it is read as a follow-up there;
        an unknown id is an error, so a typo never silently starts over."""
        kw = {"backend": backend or None, "top_k": int(top_k) or None}
        try:
            if not conversation_id:
                return self.assistant.ask(question, **kw).to_dict()
            with self._conversations_lock:
                conv = self._conversations.get(conversation_id)
            if conv is None:
                raise QuestionError(
                    f"no conversation {conversation_id!r}: start one with /new_conversation"
                )
            return conv.ask(question, **kw).to_dict()
        except Exception as e:  # the client gets the one-line message, never a traceback
            raise gr.Error(error_message(e), print_exception=False) from None

    def api_source(
        self,
        source: str,
        line: float,
        end_line: float = 0,
        context: float = 3,
        page: float | None = None,
    ) -> dict:
        """``/source``: the lines ``line``..``end_line`` of an indexed document with ``context``
        lines around them, as ``{"source", "start_line", "end_line", "lines": [{"line", "text",
        "cited"}]}``; only documents of the indexed corpus can be read. With ``page`` (a PDF
        citation's page), ``line`` and ``end_line`` count within that page; the reply's line
        numbers are always whole-file ones."""
        src = str(source or "")
        lines = self.assistant.lookup(src) if src else None
        a, b = int(line), int(end_line or line)
        if lines is None:
            raise gr.Error(
                f"{src!r} is not a document of the indexed corpus", print_exception=False
            )
        if page:
            first = file_line(self.assistant.pages(src), int(page), a)
            if first is None:
                raise gr.Error(f"{src} has no line {a} on page {int(page)}", print_exception=False)
            a, b = first, first + (b - a)
        if not (1 <= a <= b <= len(lines)):
            raise gr.Error(f"{src} has lines 1-{len(lines)}, not {a}-{b}", print_exception=False)
        lo, hi = max(1, a - int(context)), min(len(lines), b + int(context))
        return {
            "source": src,
            "start_line": a,
            "end_line": b,
            "lines": [
                {"line": n, "text": lines[n - 1], "cited": a <= n <= b} for n in range(lo, hi + 1)
            ],
        }

    # ------------------------------------------------------------------ source panel
    def show_source(self, source: Any, start: Any, end: Any = None, page: Any = None) -> str:
        """The source panel for a clicked citation; only indexed corpus files are shown. With
        ``page`` (a PDF citation), ``start`` and ``end`` count within that page."""
        src = str(source or "")
        pages = None
        try:
            lines = self.assistant.lookup(src) if src else None
        except Exception:  # a broken index must not break the page
            log.exception("lookup of %r failed", src)
            lines = None
        try:
            pages = self.assistant.pages(src) if lines is not None else None
        except Exception:  # without pages the panel still shows whole-file lines
            log.exception("pages of %r failed", src)
        try:
            a = int(start)
            b = int(end) if end is not None else a
            p = int(page) if page not in (None, "", 0) else None
        except (TypeError, ValueError):
            a = b = 0
            p = None
        if p is not None:
            first = file_line(pages, p, a)
            a, b = (first, first + (b - a)) if first is not None else (0, 0)
        return render_source(src, a, b, lines, pages=pages)

    # ------------------------------------------------------------------ index
    def status(self) -> str:
        try:
            st = self.assistant.index.status()
        except Exception as e:
            return render_notice([error_message(e)], ok=False)
        st["corpus"] = str(self.assistant.settings.corpus)
        return render_status(st)

    def reindex(self, rebuild: bool = False) -> tuple[str, str]:
        """(status HTML, notice HTML) after bringing the index up to date."""
        try:
            report = self.assistant.build_index(rebuild=rebuild, progress=True)
            notice = render_notice([f"Indexed: {report.summary()}"])
        except Exception as e:
            notice = render_notice([error_message(e)], ok=False)
        return self.status(), notice

    def uploads(self) -> list[Upload]:
        """The documents uploaded for this corpus (kept in ``settings.uploads_path``)."""
        s = self.assistant.settings
        return list_uploads(s.uploads_path, s.extensions)

    def upload(self, files: Sequence[Any] | None) -> tuple[str, str]:
        """(notice HTML, status HTML) after storing and indexing the uploaded files. The notice
        holds this call's files only, one line each."""
        paths = [getattr(f, "name", f) for f in (files or [])]
        if not paths:
            return "", self.status()
        s = self.assistant.settings
        results = []
        for p in paths:
            try:
                results.append(
                    store_upload(
                        p, s.uploads_path, s.extensions, s.upload_max_kb, corpus=Path(s.corpus)
                    )
                )
            except OSError as e:
                name = Path(str(p)).name
                results.append(
                    UploadResult(name, None, f"{name}: could not be stored ({e.strerror or e})")
                )
        lines = [r.message for r in results]
        ok = all(r.stored for r in results)
        if any(r.stored for r in results):
            ok = self._index_into(lines) and ok
        return render_notice(lines, ok=ok), self.status()

    def remove(self, name: str | None) -> tuple[str, str]:
        """(notice HTML, status HTML) after deleting the uploaded document ``name`` and
        re-indexing (its chunks disappear)."""
        r = remove_upload(self.assistant.settings.uploads_path, name or "")
        lines = [r.message]
        ok = r.stored is not None and self._index_into(lines)
        return render_notice(lines, ok=ok), self.status()

    def _index_into(self, lines: list[str]) -> bool:
        """Update the index, adding its summary (or the error) to ``lines``; True when done."""
        try:
            report = self.assistant.build_index(progress=True)
            lines.append(f"Indexed: {report.summary()}")
            return True
        except Exception as e:
            lines.append(error_message(e))
            return False


# --------------------------------------------------------------------------- the page
def menu_backends(environ: dict[str, str] | None = None) -> list[str]:
    """The backends the menu offers: ``auto`` and every registered one, but ``openai`` only when
    it is configured (a key or a server URL): a choice that can only fail is no choice."""
    env = os.environ if environ is None else environ
    configured = bool(env.get("OPENAI_API_KEY") or env.get("OPENAI_BASE_URL"))
    return ["auto", *[b for b in available_backends() if b != "openai" or configured]]


def _theme() -> Any:
    # System fonts only: the default theme would fetch web fonts, and this app runs offline.
    return gr.themes.Soft(
        primary_hue="blue",
        font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )


def build_app(assistant: Assistant) -> Any:
    """The Gradio ``Blocks`` for ``assistant`` (not launched)."""
    app = ChatApp(assistant)
    s = assistant.settings
    corpus_name = Path(s.corpus).name
    backends = menu_backends()

    with gr.Blocks(title="Document assistant", analytics_enabled=False) as demo:
        turns = gr.State([])
        gr.HTML(
            '<div class="app-title"><h1>Document assistant</h1><p>Answers only from the '
            f'documents in <code title="{esc(Path(s.corpus).resolve())}">{esc(corpus_name)}/'
            "</code>, and cites file:line for every sentence.</p></div>",
            js_on_load=None,
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                conversation = gr.HTML(
                    render_conversation([], corpus_name),
                    js_on_load=CITE_JS,
                    elem_id="conversation",
                    autoscroll=True,
                    max_height=640,
                )
                with gr.Row(equal_height=True):
                    box = gr.Textbox(
                        placeholder="Ask a question about the documents\u2026",
                        show_label=False,
                        lines=1,
                        max_lines=4,
                        scale=6,
                        elem_id="question",
                        autofocus=True,
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
                    new_chat = gr.Button("New chat", scale=1, min_width=120, elem_id="new-chat")
            with gr.Column(scale=2, min_width=340):
                gr.Markdown("**Source**")
                source = gr.HTML(SOURCE_PLACEHOLDER, elem_id="source-panel", js_on_load=SOURCE_JS)
                with gr.Accordion("Answering", open=True):
                    backend = gr.Dropdown(
                        backends,
                        value=s.backend if s.backend in backends else "auto",
                        label="Backend",
                        elem_id="backend",
                    )
                    top_k = gr.Slider(
                        1,
                        20,
                        value=min(s.top_k, 20),
                        step=1,
                        label="Evidence passages (top-k)",
                        elem_id="top-k",
                    )
                with gr.Accordion("Index", open=False):
                    status = gr.HTML(app.status(), elem_id="index-status", js_on_load=None)
                    reindex = gr.Button("Re-index", size="sm", elem_id="reindex")
                    reindex_notice = gr.HTML("", elem_id="reindex-notice", js_on_load=None)
                with gr.Accordion("Add documents", open=False):
                    # No ``file_types``: the browser would refuse other files with a toast and
                    # leave the last notice standing; store_upload says why, in the notice.
                    files = gr.File(
                        label=f"Text files ({', '.join(s.extensions)}), up to {s.upload_max_kb} "
                        "KB each",
                        file_count="multiple",
                        type="filepath",
                        elem_id="upload",
                    )
                    upload_notice = gr.HTML("", elem_id="upload-notice", js_on_load=None)
                    uploads = app.uploads()
                    uploads_list = gr.HTML(
                        render_uploads(uploads), elem_id="uploads-list", js_on_load=None
                    )
                    with gr.Row(equal_height=True):
                        to_remove = gr.Dropdown(
                            [u.source for u in uploads],
                            value=None,
                            label="Uploaded document",
                            scale=3,
                            elem_id="remove-choice",
                        )
                        remove = gr.Button("Remove", size="sm", scale=1, elem_id="remove-upload")

        def on_reindex(progress: Any = gr.Progress(track_tqdm=True)) -> tuple[str, str]:  # noqa: B008
            progress(0, desc="Indexing")
            return app.reindex()

        def listed() -> tuple[str, Any]:
            now = app.uploads()
            return render_uploads(now), gr.Dropdown(choices=[u.source for u in now], value=None)

        def on_upload(paths: Any, progress: Any = gr.Progress(track_tqdm=True)) -> tuple:  # noqa: B008
            progress(0, desc="Indexing")
            notice, st = app.upload(paths)
            return notice, st, None, *listed()  # None empties the upload box

        def on_remove(name: Any, progress: Any = gr.Progress(track_tqdm=True)) -> tuple:  # noqa: B008
            progress(0, desc="Indexing")
            notice, st = app.remove(name)
            return notice, st, *listed()

        def on_cite(evt: gr.EventData) -> str:
            data = getattr(evt, "_data", None) or {}
            return app.show_source(
                data.get("source"), data.get("start"), data.get("end"), data.get("page")
            )

        inputs = [box, turns, backend, top_k]
        outputs = [conversation, turns, box]
        box.submit(app.respond, inputs, outputs, api_name="ask")
        ask.click(app.respond, inputs, outputs, api_visibility="private")
        new_chat.click(app.clear, None, [conversation, turns, source], api_visibility="private")
        conversation.cite(on_cite, None, source, api_visibility="private")
        # The JSON API for programs (gradio_client): answers as data, not the page's HTML.
        gr.api(app.api_answer, api_name="answer")
        gr.api(app.api_new_conversation, api_name="new_conversation")
        gr.api(app.api_source, api_name="source")
        reindex.click(on_reindex, None, [status, reindex_notice], api_name="reindex")
        listing = [uploads_list, to_remove]
        files.upload(on_upload, files, [upload_notice, status, files, *listing], api_name="upload")
        remove.click(
            on_remove, to_remove, [upload_notice, status, *listing], api_name="remove_upload"
        )
        demo.load(app.status, None, status, api_visibility="private")
        demo.load(listed, None, listing, api_visibility="private")
    return demo


def launch(
    assistant: Assistant,
    host: str | None = None,
    port: int | None = None,
    share: bool = False,
    **kwargs: Any,
) -> Any:
    """Build the index if needed and serve the UI (on 127.0.0.1 unless ``host`` says otherwise).

    Extra keyword arguments go to ``gradio.Blocks.launch`` (e.g. ``prevent_thread_lock=True``).
    Returns the ``Blocks``.
    """
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    s = assistant.settings
    assistant.ensure_index(progress=True)
    demo = build_app(assistant)
    demo.queue(default_concurrency_limit=4)
    demo.launch(
        server_name=host or s.ui_host,
        server_port=port or s.ui_port,
        share=share,
        # Gradio's own cap, above ours: a file a little over upload_max_kb reaches store_upload,
        # which says why it is refused in the notice (Gradio would only show a passing toast).
        max_file_size=max(8 * s.upload_max_kb * 1024, 16 << 20),
        show_error=False,
        ssr_mode=False,
        theme=_theme(),
        css=CSS,
        **kwargs,
    )
    return demo
