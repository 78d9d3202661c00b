"""CI gate: the answerer must stay above its measured quality on every corpus.

Run on its own (it takes most of half an hour on 2 cores): ``python -m pytest -q -m gate``; the
README's test command leaves it out (``-m "not gate"`` in ``pyproject.toml``), CI runs both.

Two gates, both through ``Assistant.ask`` exactly as ``assistant eval`` runs it (``build_report``),
over real MiniLM indexes, with the thresholds of ``tests/eval/thresholds.yaml``:

- ``default``: the default answer path (the bundled local model, calibrated abstention) on the
  *test* part of every corpus in ``tests/eval/corpora/corpora.yaml`` (news articles, encyclopedia
  entries, software documentation, legal text). Nothing was tuned on these parts; the gate only
  keeps later changes from making them worse.
- ``extractive``: the no-model fallback on the seeds' official set and all blind sets pooled.

The thresholds are what the system really reaches; raise them when it improves, never lower
them to make a run pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant import Assistant
from assistant.evaluate import load_questions
from assistant.report import build_report, format_table

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "eval"
THRESHOLDS = yaml.safe_load((EVAL / "thresholds.yaml").read_text(encoding="utf-8"))
CORPORA = yaml.safe_load((EVAL / "corpora" / "corpora.yaml").read_text(encoding="utf-8"))
# Corpora the gate runs (a new corpus enters with ``gate: false`` until it has thresholds).
GATED = {name: c for name, c in CORPORA.items() if c.get("gate", True)}
DEFAULT = THRESHOLDS["default"]
EXTRACTIVE = THRESHOLDS["extractive"]


def _check(metrics: dict, limits: dict, where: str) -> list[str]:
    bad = []
    for metric, floor in limits.get("min", {}).items():
        value = metrics[metric]
        if value is None or value < floor:
            bad.append(f"{where}: {metric} = {value} fell below the threshold {floor}")
    for metric, ceiling in limits.get("max", {}).items():
        value = metrics[metric]
        if value is None or value > ceiling:
            bad.append(f"{where}: {metric} = {value} rose above the threshold {ceiling}")
    return bad


@pytest.fixture(scope="module")
def default_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The default answer path on each corpus's test part (the slow part of the suite)."""
    out = {}
    for name, c in GATED.items():
        a = Assistant(
            corpus=ROOT / c["docs"],
            index_dir=tmp_path_factory.mktemp(f"gate-{name}"),
            include_uploads=False,
        )
        questions = [q for f in c["test"] for q in load_questions(ROOT / f)]
        report = build_report(
            a,
            questions,
            [DEFAULT["backend"]],
            progress=False,
            questions_file=f"{name} test part",
            echo=print,
        )
        assert len(report["backends"]) == 1, report["skipped"]
        print(format_table(report))  # shown by pytest when a threshold fails
        out[name] = report
    return out


@pytest.mark.gate
@pytest.mark.parametrize("corpus", sorted(GATED))
def test_default_path_on_each_corpus(default_reports: dict, corpus: str) -> None:
    report = default_reports[corpus]
    (backend,) = report["backends"]
    assert backend == "local"  # the bundled model really ran: no silent fallback
    m = report["backends"][backend]["metrics"]
    limits = DEFAULT["corpora"][corpus]
    assert not (bad := _check(m, limits, corpus)), "\n".join(bad)
    # Answers are short: the phrase that answers, not a paragraph.
    assert m["median_answer_words"] <= DEFAULT["max_median_answer_words"]


@pytest.fixture(scope="module")
def extractive_reports(seeds_assistant) -> dict[str, dict]:
    files = sorted((EVAL / "blind").glob("*.yaml"))
    sets = {
        "official": load_questions(EVAL / "questions.yaml"),
        "blind": [q for f in files for q in load_questions(f)],
    }
    return {
        name: build_report(
            seeds_assistant, qs, ["extractive"], progress=False, questions_file=name, echo=print
        )
        for name, qs in sets.items()
    }


@pytest.mark.gate
@pytest.mark.parametrize("part", ["official", "blind"])
def test_extractive_fallback_on_the_seeds(extractive_reports: dict, part: str) -> None:
    report = extractive_reports[part]
    m = report["backends"]["extractive"]["metrics"]
    print(format_table(report))
    assert not (bad := _check(m, EXTRACTIVE[part], part)), "\n".join(bad)


def test_thresholds_cover_every_corpus_and_demand_valid_citations() -> None:
    assert set(DEFAULT["corpora"]) == set(GATED)
    for limits in [*DEFAULT["corpora"].values(), *EXTRACTIVE.values()]:
        assert limits["min"]["citation_validity"] == 1.0  # every shown citation is verified
        assert all(0 <= v <= 1 for part in ("min", "max") for v in limits.get(part, {}).values())


def test_every_corpus_has_a_dev_and_a_test_part_of_the_required_size() -> None:
    for name, c in CORPORA.items():
        assert (ROOT / c["docs"]).is_dir(), name
        for part in ("dev", "test"):
            qs = [q for f in c[part] for q in load_questions(ROOT / f)]
            assert qs, (name, part)
        if name != "seeds":  # the new corpora: >= 150 questions, >= a third unanswerable
            qs = [q for part in ("dev", "test") for f in c[part] for q in load_questions(ROOT / f)]
            assert len(qs) >= 150 and sum(not q.answerable for q in qs) * 3 >= len(qs), name
            dev_ids = {q.id for f in c["dev"] for q in load_questions(ROOT / f)}
            test_ids = {q.id for f in c["test"] for q in load_questions(ROOT / f)}
            assert not dev_ids & test_ids, name
