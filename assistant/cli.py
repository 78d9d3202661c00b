"""The ``assistant`` command: index, ask, eval, ui.

Owns: argument parsing, turning every expected failure into a one-line ``error: ...`` message and a
non-zero exit code (never a traceback), and printing answers for people (text) or programs
(``--json``, exactly ``Answer.to_dict()``). Does not own: any pipeline logic.
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

# Exit codes: 1 = bad input / not found, 2 = usage (click), 3 = index problem, 4 = backend problem,
# 70 = a bug in the assistant (EX_SOFTWARE).
EXIT_INPUT, EXIT_INDEX, EXIT_BACKEND, EXIT_INTERNAL = 1, 3, 4, 70


def _fail(message: str, code: int) -> None:
    from .api import redact

    click.echo(f"error: {redact(message)}", err=True)
    sys.exit(code)


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Map the package's expected errors to one-line messages and exit codes."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from pydantic import ValidationError

        from .answer import BackendError
        from .api import QuestionError
        from .documents import CorpusError
        from .evaluate import QuestionFileError
        from .index import IndexError_

        try:
            return fn(*args, **kwargs)
        except (QuestionError, CorpusError, QuestionFileError) as e:
            _fail(str(e), EXIT_INPUT)
        except IndexError_ as e:
            _fail(str(e), EXIT_INDEX)
        except BackendError as e:
            _fail(str(e), EXIT_BACKEND)
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
            _fail(f"invalid setting {where}: {first.get('msg')}", EXIT_INPUT)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except BrokenPipeError:  # `assistant ask ... | head -1`: the reader left; nothing to say
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except OSError as e:  # an index folder that is a file, a full disk, a read-only folder...
            where = f": {e.filename}" if e.filename else ""
            _fail(f"{e.strerror or e}{where}", EXIT_INPUT)
        except Exception as e:  # a bug: one line, not a traceback (ASSISTANT_TRACEBACK=1 shows it)
            if os.environ.get("ASSISTANT_TRACEBACK"):
                raise
            _fail(
                f"unexpected {type(e).__name__}: {e} (this is a bug; run again with "
                "ASSISTANT_TRACEBACK=1 to see where)",
                EXIT_INTERNAL,
            )

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
    if getattr(ans, "note", ""):
        then = {"fallback": "showing the no-model answer instead", "refused": "no verified answer",
                "trimmed": "removed what did not verify"}.get(ans.path, ans.path)
        click.echo(f"note: {ans.note} ({then})", err=True)
    click.echo(ans.text)
    if ans.citations:
        click.echo("")
        click.echo("Sources:")
        for c in ans.citations:
            click.echo(f"  {c.marker[1:-1]}  \u201c{c.quote}\u201d")


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
        answer = None
        for piece in a.stream(q):
            if isinstance(piece, str):
                click.echo(piece, nl=False, err=True)
            else:
                answer = piece
        click.echo("", err=True)
        click.echo("--- verified answer ---", err=True)
        _print_answer(answer)
        return
    ans = a.ask(q)
    if as_json:
        click.echo(json.dumps(ans.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_answer(ans)


@main.command(name="eval")
@click.option("--backend", "backends", multiple=True, help="Backend to evaluate (repeatable).")
@click.option(
    "--questions", type=click.Path(), help="Question file (default: tests/eval/questions.yaml)."
)
@click.option("--corpus", type=click.Path(), help="Folder of documents (default: seeds/).")
@click.option("--index-dir", type=click.Path(), help="Index folder (default: vectorstore/).")
@click.option("--out", type=click.Path(), default="eval-report", show_default=True,
              help="Folder for report.json, report.md and metrics.png.")
@friendly
def eval_(backends: tuple[str, ...], questions: str | None, corpus: str | None,
          index_dir: str | None, out: str) -> None:
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
def ui(host: str | None, port: int | None, share: bool, corpus: str | None,
       index_dir: str | None) -> None:
    """Start the chat UI in the browser (bound to 127.0.0.1 unless --host says otherwise)."""
    from .ui import launch

    launch(_assistant(corpus=corpus, index_dir=index_dir), host=host, port=port, share=share)


if __name__ == "__main__":
    main()
