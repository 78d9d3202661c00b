"""The ``assistant eval`` report: run a question file per backend, print a table, write files.

Owns: running every question of a question file through ``Assistant.ask`` (the very path of
``assistant ask`` and the Python API) once per backend, with a progress bar; the terminal table
(one column per backend); and the three files in the output folder: ``report.json`` (metrics per
backend and every question's answer, citations, verdicts and timings), ``report.md`` (the table,
then each backend's failures) and ``metrics.png`` (a grouped bar chart of the 0-1 metrics).
Does not own: loading question files, judging an answer or computing metrics (``evaluate``).

A backend that cannot be created (unknown name, no model, no server) is reported in one line and
skipped; the other backends still run. Only when none can run is it an error.
"""

from __future__ import annotations

import json
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .answer import Outcome
from .api import Assistant
from .backends.base import resolve_backend_name
from .errors import BackendError
from .evaluate import EvalQuestion, Verdict, judge, load_questions, metrics

REPORT_VERSION = 2  # 2: outcomes (was paths), claims, complete-answer metrics

# (label, metrics key); the 0-1 metrics, in table and chart order.
RATIO_METRICS: list[tuple[str, str]] = [
    ("exact match", "exact_match"),
    ("token F1", "token_f1"),
    ("contained accuracy", "answer_accuracy"),
    ("refusal accuracy", "refusal_accuracy"),
    ("false-refusal rate (lower is better)", "false_refusal_rate"),
    ("citation validity", "citation_validity"),
    ("citation recall", "citation_recall"),
    ("citation precision", "citation_precision"),
    ("retrieval recall@k", "retrieval_recall_at_k"),
    ("MRR", "mrr"),
    ("all-facts accuracy (complete questions)", "all_facts_accuracy"),
    ("fact recall", "fact_recall"),
    ("claim citation precision", "claim_citation_precision"),
    ("claim citation recall", "claim_citation_recall"),
]
LATENCY_METRICS: list[tuple[str, str]] = [
    ("latency p50 (ms)", "latency_p50_ms"),
    ("latency p95 (ms)", "latency_p95_ms"),
    ("median answer words", "median_answer_words"),
]

Echo = Callable[[str], Any]


# ------------------------------------------------------------------------------------ running
def _span(source: str, start: int, end: int) -> str:
    return f"{source}:{start}" if start == end else f"{source}:{start}-{end}"


def evaluate_backend(
    assistant: Assistant,
    questions: Sequence[EvalQuestion],
    backend: str,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Ask every question with ``backend``; one record per question (verdict, timings, evidence).

    Each record is ``Verdict.to_dict()`` plus, from the ``Answer``: ``timings`` (seconds per
    pipeline step), ``retrieved`` (the evidence chunks given to the answerer, best first),
    ``dropped`` (claims the verifier removed) and ``note`` (why a backend fell back, if it did).
    """
    from tqdm import tqdm

    records = []
    with tqdm(
        total=len(questions),
        desc=backend,
        unit="q",
        file=sys.stderr,
        disable=not progress,
        leave=False,
    ) as bar:
        for q in questions:
            t = time.perf_counter()
            ans = assistant.ask(q.question, backend=backend)
            verdict: Verdict = judge(
                q, ans, assistant.lookup, time.perf_counter() - t, assistant.pages
            )
            rec = verdict.to_dict()
            rec["timings"] = {k: round(v, 4) for k, v in ans.timings.items()}
            rec["retrieved"] = [
                _span(e.chunk.source, e.chunk.start_line, e.chunk.end_line) for e in ans.evidence
            ]
            # Claims the verifier removed, with the reason; why a backend fell back, if it did.
            rec["dropped"] = [f"{d.text} ({d.reason})" for d in ans.dropped]
            rec["note"] = ans.note
            rec["claims"] = [c.to_dict() for c in ans.claims]
            records.append(rec)
            bar.update(1)
    return records


def _verdicts(records: list[dict[str, Any]]) -> list[Verdict]:
    fields = Verdict.__dataclass_fields__
    return [Verdict(**{k: v for k, v in r.items() if k in fields}) for r in records]


def build_report(
    assistant: Assistant,
    questions: Sequence[EvalQuestion],
    backends: Sequence[str] = ("auto",),
    *,
    questions_file: str | Path | None = None,
    progress: bool = True,
    echo: Echo = print,
) -> dict[str, Any]:
    """Evaluate ``questions`` on each backend and return the report (what ``report.json`` holds).

    ``"auto"`` is resolved to the backend it stands for; a backend named twice runs once. A
    backend that fails to start or to answer is listed under ``skipped`` with its reason.
    """
    assistant.ensure_index(progress=progress)
    assistant.retrieve("warm up")  # load the embedding model now, so latency is per question
    s = assistant.settings
    report: dict[str, Any] = {
        "version": REPORT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "questions_file": str(questions_file) if questions_file else None,
        "corpus": str(s.corpus),
        "index_dir": str(s.index_path),
        "embedding_model": s.embedding_model,
        "top_k": s.top_k,
        "questions": {
            "total": len(questions),
            "answerable": sum(q.answerable for q in questions),
            "unanswerable": sum(not q.answerable for q in questions),
        },
        "backends": {},
        "skipped": {},
    }
    for requested in backends:
        name = resolve_backend_name(requested)
        if name in report["backends"] or name in report["skipped"]:
            continue
        try:
            assistant.backend(name)
            records = evaluate_backend(assistant, questions, name, progress=progress)
        except BackendError as e:
            reason = str(e)
        except Exception as e:  # noqa: BLE001 - one backend's failure must not stop the others
            reason = f"{type(e).__name__}: {e}"
        else:
            report["backends"][name] = {
                "requested": requested,
                "metrics": metrics(_verdicts(records)),
                "results": records,
            }
            continue
        reason = " ".join(reason.split())
        report["skipped"][name] = reason
        echo(f"backend {name}: skipped ({reason})")
    return report


# ------------------------------------------------------------------------------------ tables
def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "ratio":
        return f"{value:.3f}"
    if kind == "ms":
        return f"{value:.0f}"
    return str(value)


def table_rows(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header (``metric`` + one column per backend) and the rows of the metrics table."""
    names = list(report["backends"])
    ms = [report["backends"][n]["metrics"] for n in names]
    k = report.get("top_k", "k")
    rows = []
    for label, key in RATIO_METRICS:
        label = label.replace("@k", f"@{k}")
        rows.append([label, *(_fmt(m.get(key), "ratio") for m in ms)])
    for label, key in LATENCY_METRICS:
        rows.append([label, *(_fmt(m.get(key), "ms") for m in ms)])
    for o in Outcome:
        rows.append([f"outcome: {o}", *(str(m.get("outcomes", {}).get(o.value, 0)) for m in ms)])
    return ["metric", *names], rows


def format_table(report: dict[str, Any]) -> str:
    """The metrics as an aligned plain-text table (numbers right-aligned)."""
    header, rows = table_rows(report)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        return "  ".join([first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))])

    q = report["questions"]
    title = (
        f"{q['total']} questions ({q['answerable']} answerable, {q['unanswerable']} unanswerable)"
        f" from {report.get('questions_file') or 'the question file'}"
    )
    return "\n".join(
        [title, line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    )


def markdown_table(report: dict[str, Any]) -> str:
    header, rows = table_rows(report)
    out = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


# ------------------------------------------------------------------------------------ failures
def failure_reason(rec: dict[str, Any]) -> str | None:
    """Why a question counts as failed, or None when it passed."""
    if rec.get("citation_valid") and not all(rec["citation_valid"]):
        return "a citation does not match its lines"
    if rec["correct"]:
        return None
    if not rec["answerable"]:
        return "answered a question the documents cannot answer"
    if rec["refused"]:
        return "refused an answerable question"
    missing = [
        alts[0] for alts, ok in zip(rec["expected"], rec["facts_found"], strict=True) if not ok
    ]
    return "missing " + ", ".join(f'"{m}"' for m in missing)


def _quote(text: str) -> str:
    return "\n".join("> " + ln if ln.strip() else ">" for ln in text.splitlines() or [""])


def _md_failure(rec: dict[str, Any], reason: str) -> str:
    if rec["answerable"]:
        expected = "; ".join(" / ".join(f'"{a}"' for a in alts) for alts in rec["expected"])
    else:
        expected = "a refusal (unanswerable)"
    cites = ", ".join(
        _span(c["source"], c["start_line"], c["end_line"]) + ("" if ok else " (invalid)")
        for c, ok in zip(rec["citations"], rec["citation_valid"], strict=True)
    )
    rank = rec["retrieval_rank"]
    parts = [
        f"### {rec['id']}: {reason}",
        "",
        f"- **Question:** {rec['question']}",
        f"- **Expected:** {expected}",
        f"- **Support:** {', '.join(rec['support']) or 'none'}",
        f"- **Retrieved support at rank:** {rank if rank else 'not retrieved'}",
        *([f"- **Note:** {rec['note']}"] if rec.get("note") else []),
        *(
            [f"- **Dropped by the verifier:** {'; '.join(rec['dropped'])}"]
            if rec.get("dropped")
            else []
        ),
        f"- **Got** ({rec['outcome']}{', cites ' + cites if cites else ''}):",
        "",
        _quote(rec["answer"]),
        "",
    ]
    return "\n".join(parts)


def format_markdown(report: dict[str, Any], chart: str | None = "metrics.png") -> str:
    q = report["questions"]
    out = [
        "# Evaluation report",
        "",
        f"- Question file: `{report.get('questions_file')}` ({q['total']} questions: "
        f"{q['answerable']} answerable, {q['unanswerable']} unanswerable)",
        f"- Corpus: `{report['corpus']}`; embeddings: {report['embedding_model']}; "
        f"top-k: {report['top_k']}",
        f"- Created: {report['created']}",
        "",
        markdown_table(report),
        "",
    ]
    if chart:
        out += [f"![metrics per backend]({chart})", ""]
    for name, reason in report["skipped"].items():
        out += [f"Backend **{name}** was skipped: {reason}", ""]
    for name, b in report["backends"].items():
        out += curve_table(name, b["metrics"].get("curve") or [])
    for name, b in report["backends"].items():
        failures = [(r, why) for r in b["results"] if (why := failure_reason(r))]
        out += [f"## Failures: {name} ({len(failures)} of {len(b['results'])})", ""]
        if not failures:
            out += ["None.", ""]
        out += [_md_failure(r, why) for r, why in failures]
    return "\n".join(out).rstrip() + "\n"


def curve_table(name: str, points: list[dict[str, float]]) -> list[str]:
    """The precision/refusal curve of a backend's calibrated confidence, as markdown lines."""
    if not points:
        return []
    out = [
        f"## Precision / refusal curve: {name}",
        "",
        "Answers whose calibrated confidence is below the threshold are refused.",
        "",
        "| threshold | refused | precision | answer accuracy | refusal accuracy |",
        "|---:|---:|---:|---:|---:|",
    ]
    out += [
        f"| {p['threshold']:.2f} | {p['refused']:.3f} | {p['precision']:.3f} | "
        f"{p['answer_accuracy']:.3f} | {p['refusal_accuracy']:.3f} |"
        for p in points
    ]
    return out + [""]


# ------------------------------------------------------------------------------------ chart
def write_chart(report: dict[str, Any], path: str | Path) -> Path:
    """A grouped bar chart of the 0-1 metrics, one colour per backend, values on the bars."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = list(report["backends"])
    k = report.get("top_k", "k")
    labels = [textwrap.fill(lbl.replace("@k", f"@{k}"), 14) for lbl, _ in RATIO_METRICS]
    n = max(len(names), 1)
    width = 0.8 / n
    fig = Figure(figsize=(min(16.0, 9.0 + 1.5 * n), 5.6), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs = range(len(labels))
    for i, name in enumerate(names):
        m = report["backends"][name]["metrics"]
        values = [m.get(key) for _, key in RATIO_METRICS]
        pos = [x - 0.4 + width * (i + 0.5) for x in xs]
        bars = ax.bar(pos, [v or 0.0 for v in values], width * 0.92, label=name)
        ax.bar_label(
            bars,
            labels=["n/a" if v is None else f"{v:.2f}" for v in values],
            padding=2,
            fontsize=9 if n < 3 else 8 if n < 5 else 6,
        )
    ax.set_xticks(list(xs), labels, fontsize=9)
    ax.set_ylim(0, 1.18)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_ylabel("score (0 to 1)")
    ax.set_xlabel("metric (false-refusal rate: lower is better; all others: higher is better)")
    q = report["questions"]
    src = Path(report["questions_file"]).name if report.get("questions_file") else "questions"
    ax.set_title(f"Evaluation per backend: {src}, {q['total']} questions")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(title="backend", loc="upper left", ncol=n, fontsize=9, frameon=False)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    return path


# ------------------------------------------------------------------------------------ files
def write_report(report: dict[str, Any], out: str | Path) -> dict[str, Path]:
    """Write ``report.json``, ``report.md`` and ``metrics.png`` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "json": out / "report.json",
        "md": out / "report.md",
        "png": out / "metrics.png",
    }
    files["json"].write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    files["md"].write_text(format_markdown(report, files["png"].name), encoding="utf-8")
    write_chart(report, files["png"])
    return files


def run_and_report(
    backends: Sequence[str] = ("auto",),
    questions: str | Path = Path("tests") / "eval" / "questions.yaml",
    corpus: str | Path | None = None,
    index_dir: str | Path | None = None,
    out: str | Path = "eval-report",
    echo: Echo = print,
    progress: bool = True,
    **settings: Any,
) -> dict[str, Any]:
    """What ``assistant eval`` does: evaluate, print the table, write the three report files.

    ``settings`` are any other ``Settings`` fields (e.g. ``embedding_model``, ``top_k``). Raises
    ``QuestionFileError`` for a missing or invalid question file (before any index work) and
    ``BackendError`` when no backend could be evaluated.
    """
    qs = load_questions(questions)
    # The corpus alone: documents a user uploaded in the UI are not part of what is measured.
    assistant = Assistant(
        corpus=corpus, index_dir=index_dir, **{"include_uploads": False, **settings}
    )
    report = build_report(
        assistant, qs, backends, questions_file=questions, progress=progress, echo=echo
    )
    if not report["backends"]:
        raise BackendError(
            "no backend could be evaluated: "
            + "; ".join(f"{n}: {r}" for n, r in report["skipped"].items())
        )
    echo(format_table(report))
    files = write_report(report, out)
    echo(f"wrote {files['json']}, {files['md']}, {files['png']}")
    return report
