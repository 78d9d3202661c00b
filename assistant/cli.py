"""The ``assistant`` command: index, ask, chat, eval, ui.

Owns: argument parsing, printing answers for people (text, rendered from the answer's claims) or
programs (``--json``, exactly ``Answer.to_dict()``), the interactive ``chat`` loop, and turning
every failure into a one-line ``error: ...`` message and an exit code through
``errors.describe`` (never a traceback). Does not own: any pipeline logic.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Any

import click


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command; any failure becomes one line on stderr and ``errors.describe``'s code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .errors import EXIT_INTERNAL, describe

        try:
            return fn(*args, **kwargs)
        except BrokenPipeError:  # `assistant ask ... | head -1`: the reader left; nothing to say
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except (Exception, KeyboardInterrupt) as e:
            message, code = describe(e)
            if code == EXIT_INTERNAL and os.environ.get("ASSISTANT_TRACEBACK"):
                raise
            click.echo(f"error: {message}", err=True)
            sys.exit(code)

    return wrapper


def _assistant(**kw: Any) -> Any:
    from .api import Assistant

    return Assistant(**{k: v for k, v in kw.items() if v is not None})


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="assistant")
def main() -> None:
    """Answer questions about a folder of documents, citing file:line for every claim.

    Settings come from options, then ASSISTANT_* environment variables (ASSISTANT_CORPUS,
    ASSISTANT_INDEX_DIR, ASSISTANT_BACKEND, ...), then defaults that work offline.
    """


@main.command()
@click.option("--rebuild", is_flag=True, help="Delete the index and build it from scratch.")
@click.option("--corpus", type=click.Path(), help="Folder of documents (default: seeds/).")
@click.option("--index-dir", type=click.Path(), help="Index folder (default: vectorstore/).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@friendly
def index(rebuild: bool, corpus: str | None, index_dir: str | None, quiet: bool) -> None:
    """Build or update the index from the corpus (only new or changed files are embedded)."""
    a = _assistant(corpus=corpus, index_dir=index_dir)
    report = a.build_index(rebuild=rebuild, progress=not quiet)
    click.echo(f"indexed: {report.summary()}")


def _print_answer(ans: Any) -> None:
    """An answer for people: its claims, then each distinct citation with its quoted line."""
    for note in ans.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(ans.text)
    if ans.citations:
        click.echo("")
        click.echo("Sources:")
        for c in ans.citations:
            click.echo(f"  {c.label}  \u201c{c.quote}\u201d")
        # What was checked, in plain words: the quotes are on those lines; not "verified".
        how = f"; {ans.confidence_words}" if ans.confidence_words else ""
        click.echo(f"(quoted from the lines above{how})")


def _stream_answer(pieces: Any) -> Any:
    """Show the model's text as it is written (stderr), then return the verified answer."""
    from .backends.base import TextDelta

    answer = None
    for item in pieces:
        if isinstance(item, TextDelta):
            click.echo(item.text, nl=False, err=True)
        else:
            answer = item
    click.echo("", err=True)
    click.echo("--- verified answer ---", err=True)
    return answer


@main.command()
@click.argument("question", nargs=-1, required=True)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the answer as JSON (Answer.to_dict())."
)
@click.option("--backend", help="Answering backend (auto, extractive, local, openai).")
@click.option("--top-k", type=click.IntRange(1, 50), help="Evidence chunks given to the answerer.")
@click.option(
    "--stream", is_flag=True, help="Show the answer as it is written, then the verified one."
)
@click.option("--corpus", type=click.Path(), help="Folder of documents (default: seeds/).")
@click.option("--index-dir", type=click.Path(), help="Index folder (default: vectorstore/).")
@friendly
def ask(
    question: tuple[str, ...],
    as_json: bool,
    backend: str | None,
    top_k: int | None,
    stream: bool,
    corpus: str | None,
    index_dir: str | None,
) -> None:
    """Answer QUESTION from the documents, with verified citations."""
    from .api import clean_question

    q = clean_question(" ".join(question))
    a = _assistant(corpus=corpus, index_dir=index_dir, backend=backend, top_k=top_k)
    if a.ensure_index(progress=not as_json) is not None and not as_json:
        click.echo("(built the index first)", err=True)
    if stream and not as_json:
        _print_answer(_stream_answer(a.stream(q)))
        return
    ans = a.ask(q)
    if as_json:
        click.echo(json.dumps(ans.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_answer(ans)


@main.command()
@click.option("--backend", help="Answering backend (auto, extractive, local, openai).")
@click.option("--top-k", type=click.IntRange(1, 50), help="Evidence chunks given to the answerer.")
@click.option("--corpus", type=click.Path(), help="Folder of documents (default: seeds/).")
@click.option("--index-dir", type=click.Path(), help="Index folder (default: vectorstore/).")
@friendly
def chat(backend: str | None, top_k: int | None, corpus: str | None, index_dir: str | None) -> None:
    """Ask questions one after another; follow-ups ("And in 2024?") use the conversation.

    Type a question and press Enter. Commands: /new starts a new conversation, /quit (or
    Ctrl-D) leaves. Answers stream as they are written, then the verified answer is shown.
    """
    from .errors import AssistantError, describe

    a = _assistant(corpus=corpus, index_dir=index_dir, backend=backend, top_k=top_k)
    if a.ensure_index(progress=True) is not None:
        click.echo("(built the index first)", err=True)
    conv = a.conversation()
    click.echo("Ask about the documents (/new: new conversation, /quit: leave).", err=True)
    while True:
        try:
            line = input("> ")
        except EOFError:
            click.echo("", err=True)
            return
        line = line.strip()
        if line in ("/quit", "/exit"):
            return
        if line == "/new":
            conv.reset()
            click.echo("(new conversation)", err=True)
            continue
        if not line:
            continue
        try:
            rw = conv.understand(line)
            if rw.changed:
                click.echo(f"(understood as: {rw.query})", err=True)
            _print_answer(_stream_answer(conv.stream(line)))
        except AssistantError as e:  # a bad question must not end the conversation
            click.echo(f"error: {describe(e)[0]}", err=True)
        click.echo("")


@main.command(name="eval")
@click.option("--backend", "backends", multiple=True, help="Backend to evaluate (repeatable).")
@click.option(
    "--questions", type=click.Path(), help="Question file (default: tests/eval/questions.yaml)."
)
@click.option("--corpus", type=click.Path(), help="Folder of documents (default: seeds/).")
@click.option("--index-dir", type=click.Path(), help="Index folder (default: vectorstore/).")
@click.option(
    "--out",
    type=click.Path(),
    default="eval-report",
    show_default=True,
    help="Folder for report.json, report.md and metrics.png.",
)
@friendly
def eval_(
    backends: tuple[str, ...],
    questions: str | None,
    corpus: str | None,
    index_dir: str | None,
    out: str,
) -> None:
    """Run the evaluation question set and write a report."""
    from .report import run_and_report

    run_and_report(
        backends=list(backends) or ["auto"],
        questions=questions or os.path.join("tests", "eval", "questions.yaml"),
        corpus=corpus,
        index_dir=index_dir,
        out=out,
        echo=click.echo,
    )


@main.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 7860).")
@click.option("--share", is_flag=True, help="Create a public Gradio share link (off by default).")
@click.option("--corpus", type=click.Path(), help="Folder of documents (default: seeds/).")
@click.option("--index-dir", type=click.Path(), help="Index folder (default: vectorstore/).")
@friendly
def ui(
    host: str | None, port: int | None, share: bool, corpus: str | None, index_dir: str | None
) -> None:
    """Start the chat UI in the browser (bound to 127.0.0.1 unless --host says otherwise)."""
    from .ui import launch

    launch(_assistant(corpus=corpus, index_dir=index_dir), host=host, port=port, share=share)


if __name__ == "__main__":
    main()
