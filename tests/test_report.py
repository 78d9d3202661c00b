"""``assistant eval`` on a tiny corpus and question file: the table, the three files, the CLI.

Uses the hash embedder (fast, deterministic); the real-model run on the seeds is the CI gate in
``test_eval_gate.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import Assistant, Settings
from assistant.cli import main
from assistant.errors import BackendError
from assistant.evaluate import QuestionFileError, Verdict, metrics
from assistant.report import failure_reason, format_table, run_and_report

CORPUS = {
    "bridge.txt": (
        "The Lumen Bridge opened in Harbor City on 3 March 2021.\n"
        "The Lumen Bridge cost 42 million euros and spans 800 metres.\n"
        "Engineer Maria Okafor designed the Lumen Bridge.\n"
    ),
    "orchard.md": (
        "# Orchard notes\n"
        "The Greyleaf orchard grows 12 varieties of apple.\n"
        "The oldest tree of the Greyleaf orchard was planted in 1893.\n"
    ),
}
QUESTIONS = """\
version: 1
questions:
  - id: t1
    question: "Who designed the Lumen Bridge?"
    answerable: true
    facts: [["Maria Okafor", "Okafor"]]
    support: ["bridge.txt:3"]
    tags: [person]
  - id: t2
    question: "How much did the Lumen Bridge cost?"
    answerable: true
    facts: [["42 million euros"]]
    support: ["bridge.txt:2"]
    tags: [numeric]
  - id: t3
    question: "When was the oldest tree of the Greyleaf orchard planted?"
    answerable: true
    facts: [["1893"]]
    support: ["orchard.md:3"]
    tags: []
  - id: t4
    question: "How many visitors did the Greyleaf orchard receive in 2020?"
    answerable: false
    facts: []
    support: []
    tags: [unanswerable]
  - id: t5
    # Deliberately unsatisfiable (the fact is in no document), so the report has a failure.
    question: "In which city did the Lumen Bridge open?"
    answerable: true
    facts: [["Harbor City"], ["zebra crossing"]]
    support: ["bridge.txt:1"]
    tags: []
"""
FILES = ("report.json", "report.md", "metrics.png")


@pytest.fixture
def tiny(tmp_path: Path) -> dict[str, Path]:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    for name, text in CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    qfile = tmp_path / "questions.yaml"
    qfile.write_text(QUESTIONS, encoding="utf-8")
    return {
        "corpus": corpus,
        "questions": qfile,
        "index": tmp_path / "index",
        "out": tmp_path / "out",
    }


@pytest.fixture
def tiny_report(tiny: dict[str, Path]) -> tuple[dict, list[str]]:
    echoed: list[str] = []
    report = run_and_report(
        backends=["auto", "extractive", "no-such-backend"],
        questions=tiny["questions"],
        corpus=tiny["corpus"],
        index_dir=tiny["index"],
        out=tiny["out"],
        echo=echoed.append,
        progress=False,
        embedding_model="hash",
    )
    return report, echoed


def test_writes_three_files_and_prints_a_table(tiny, tiny_report) -> None:
    report, echoed = tiny_report
    for name in FILES:
        assert (tiny["out"] / name).stat().st_size > 0
    printed = "\n".join(echoed)
    assert "backend no-such-backend: skipped (unknown backend" in printed
    for label in (
        "exact match",
        "token F1",
        "contained accuracy",
        "median answer words",
        "refusal accuracy",
        "false-refusal rate",
        "citation validity",
        "citation recall",
        "citation precision",
        f"retrieval recall@{Settings().top_k}",
        "MRR",
        "latency p50 (ms)",
        "latency p95 (ms)",
        "outcome: answered",
        "outcome: refused",
    ):
        assert label in printed
    # "auto" resolves to the bundled local model offline; each backend runs once.
    assert list(report["backends"]) == ["local", "extractive"]
    assert report["backends"]["local"]["requested"] == "auto"
    assert report["skipped"].keys() == {"no-such-backend"}


def test_report_json_is_consistent(tiny, tiny_report) -> None:
    report, _ = tiny_report
    saved = json.loads((tiny["out"] / "report.json").read_text(encoding="utf-8"))
    assert saved == json.loads(json.dumps(report))
    b = saved["backends"]["extractive"]
    results = b["results"]
    assert [r["id"] for r in results] == ["t1", "t2", "t3", "t4", "t5"]
    assert saved["questions"] == {"total": 5, "answerable": 4, "unanswerable": 1}
    for r in results:
        assert {
            "answer",
            "citations",
            "refused",
            "outcome",
            "correct",
            "facts_found",
            "citation_valid",
            "timings",
            "retrieved",
        } <= r.keys()
        assert r["timings"]["total"] >= r["timings"]["retrieve"] >= 0
        assert len(r["facts_found"]) == len(r["expected"])
        assert len(r["citation_valid"]) == len(r["citations"])
    # The stored metrics are exactly what evaluate.metrics gives for the stored verdicts.
    fields = Verdict.__dataclass_fields__
    verdicts = [Verdict(**{k: v for k, v in r.items() if k in fields}) for r in results]
    assert b["metrics"] == json.loads(json.dumps(metrics(verdicts)))
    assert b["metrics"]["questions"] == 5
    assert b["metrics"]["citation_validity"] == 1.0
    assert sum(b["metrics"]["outcomes"].values()) == 5
    assert not results[4]["correct"] and results[4]["facts_found"][1] is False


def test_report_answers_equal_assistant_ask(tiny, tiny_report, monkeypatch) -> None:
    """The report's answers are what the API and ``assistant ask --json`` give."""
    report, _ = tiny_report
    a = Assistant(corpus=tiny["corpus"], index_dir=tiny["index"], embedding_model="hash")
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "hash")
    runner = CliRunner()
    for name, rec in (
        (be, rec) for be in report["backends"] for rec in report["backends"][be]["results"]
    ):
        api = a.ask(rec["question"], backend=name).to_dict()
        assert rec["answer"] == api["answer"]
        assert rec["refused"] == api["refused"]
        assert rec["citations"] == api["citations"]
        res = runner.invoke(
            main,
            [
                "ask",
                "--json",
                "--corpus",
                str(tiny["corpus"]),
                "--index-dir",
                str(tiny["index"]),
                "--backend",
                name,
                rec["question"],
            ],
        )
        assert res.exit_code == 0, res.output
        # llama.cpp's log-probabilities vary in the last digits between a cached and a fresh
        # prompt (so do confidence and timings); what is shown must not.
        shown = ("outcome", "answer", "claims", "citations", "refused", "backend", "model")
        got = json.loads(res.stdout)
        assert {k: got[k] for k in shown} == {k: api[k] for k in shown}


def test_report_md_has_table_and_failures(tiny, tiny_report) -> None:
    md = (tiny["out"] / "report.md").read_text(encoding="utf-8")
    assert "| metric | local | extractive |" in md  # auto is the bundled local model
    assert "| contained accuracy |" in md and "| token F1 |" in md
    assert "## Precision / refusal curve: local" in md
    assert "![metrics per backend](metrics.png)" in md
    assert "Backend **no-such-backend** was skipped" in md
    assert "## Failures: extractive" in md
    t5 = md.split("### t5:", 1)[1]
    assert "In which city did the Lumen Bridge open?" in t5
    assert '"zebra crossing"' in t5 and "bridge.txt:1" in t5
    assert "**Got**" in t5


def test_png_is_a_valid_image(tiny, tiny_report) -> None:
    import matplotlib.image

    png = tiny["out"] / "metrics.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(png)
    height, width = pixels.shape[:2]
    assert width >= 800 and height >= 400
    assert pixels.std() > 0.05  # not a blank canvas


def test_cli_eval(tiny, monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "hash")
    out = tiny["out"] / "cli"
    res = CliRunner().invoke(
        main,
        [
            "eval",
            "--questions",
            str(tiny["questions"]),
            "--corpus",
            str(tiny["corpus"]),
            "--index-dir",
            str(tiny["index"]),
            "--out",
            str(out),
            "--backend",
            "extractive",
        ],
    )
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    header = next(line for line in lines if line.startswith("metric"))
    assert header.split() == ["metric", "extractive"]
    assert any(
        line.startswith("citation validity") and line.split()[-1] == "1.000" for line in lines
    )
    for name in FILES:
        assert (out / name).is_file()


@pytest.mark.parametrize(
    "content",
    [
        None,
        "questions: []\n",
        "questions:\n  - id: x\n",
        "questions: [unclosed\n",
        'questions:\n  - question: "q?"\n    support: ["no-line-number"]\n',
    ],
    ids=["missing", "empty", "no-question", "bad-yaml", "bad-support"],
)
def test_bad_question_file_is_one_line_error(tiny, monkeypatch, content) -> None:
    qfile = tiny["questions"].with_name("bad.yaml")
    if content is not None:
        qfile.write_text(content, encoding="utf-8")
    with pytest.raises(QuestionFileError):
        run_and_report(
            questions=qfile,
            corpus=tiny["corpus"],
            index_dir=tiny["index"],
            out=tiny["out"],
            echo=lambda s: None,
            progress=False,
            embedding_model="hash",
        )
    assert not tiny["index"].exists()  # the question file is checked before any index work
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "hash")
    res = CliRunner().invoke(
        main,
        [
            "eval",
            "--questions",
            str(qfile),
            "--corpus",
            str(tiny["corpus"]),
            "--out",
            str(tiny["out"]),
        ],
    )
    assert res.exit_code == 1
    assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1
    assert "Traceback" not in res.output


def test_no_usable_backend_is_an_error(tiny, monkeypatch) -> None:
    with pytest.raises(BackendError, match="no backend could be evaluated"):
        run_and_report(
            backends=["nope"],
            questions=tiny["questions"],
            corpus=tiny["corpus"],
            index_dir=tiny["index"],
            out=tiny["out"],
            echo=lambda s: None,
            progress=False,
            embedding_model="hash",
        )
    assert not (tiny["out"] / "report.json").exists()
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "hash")
    res = CliRunner().invoke(
        main,
        [
            "eval",
            "--backend",
            "nope",
            "--questions",
            str(tiny["questions"]),
            "--corpus",
            str(tiny["corpus"]),
            "--index-dir",
            str(tiny["index"]),
            "--out",
            str(tiny["out"]),
        ],
    )
    assert res.exit_code == 4
    assert "backend nope: skipped" in res.stdout


BASE = {
    "answerable": True,
    "correct": False,
    "refused": False,
    "expected": [["A"], ["B", "b"]],
    "facts_found": [True, False],
    "citation_valid": [True],
}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"correct": True, "facts_found": [True, True]}, None),
        ({}, 'missing "B"'),
        ({"facts_found": [False, False]}, 'missing "A", "B"'),
        ({"refused": True, "citation_valid": []}, "refused an answerable question"),
        (
            {"answerable": False, "expected": [], "facts_found": []},
            "answered a question the documents cannot answer",
        ),
        ({"correct": True, "citation_valid": [True, False]}, "a citation does not match its lines"),
    ],
)
def test_failure_reason(changes: dict, reason: str | None) -> None:
    assert failure_reason({**BASE, **changes}) == reason


def test_format_table_aligns_columns_and_shows_missing_values() -> None:
    m = {
        "answer_accuracy": 0.5,
        "refusal_accuracy": None,
        "latency_p50_ms": 12.34,
        "outcomes": {"answered": 3},
    }
    report = {
        "questions": {"total": 4, "answerable": 4, "unanswerable": 0},
        "top_k": 3,
        "questions_file": "q.yaml",
        "backends": {"extractive": {"metrics": m}, "other-backend": {"metrics": m}},
    }
    lines = format_table(report).splitlines()
    assert lines[1].split() == ["metric", "extractive", "other-backend"]
    rows = {line[: lines[2].index("  ")].strip(): line.split()[-2:] for line in lines[3:]}
    assert rows["contained accuracy"] == ["0.500", "0.500"]
    assert rows["refusal accuracy"] == ["n/a", "n/a"]
    assert rows["retrieval recall@3"] == ["n/a", "n/a"]
    assert rows["latency p50 (ms)"] == ["12", "12"]
    assert rows["outcome: answered"] == ["3", "3"]
    assert rows["outcome: fallback"] == ["0", "0"]
    assert len({len(line) for line in lines[1:]}) == 1  # every row is padded to the same width
