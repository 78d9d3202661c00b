"""The abstention model and the short-answer metrics: pure functions, tables of cases."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from assistant.abstain import (
    EVIDENCE_FEATURES,
    FEATURES,
    Calibration,
    Signals,
    curve,
    load_calibration,
    novelty,
)
from assistant.evaluate import (
    EvalQuestion,
    Verdict,
    answer_tokens,
    apply_threshold,
    gold_answers,
    metrics,
    token_f1,
)


@pytest.mark.parametrize(
    "prediction,gold,f1",
    [
        ("329 million NZD", "329 million NZD", 1.0),
        ("The 329 million NZD.", "329 million NZD", 1.0),  # articles and punctuation dropped
        ("329 million", "329 million NZD", 0.8),
        ("Bui Thanh Son", "Bùi Thanh Sơn", 1.0),  # diacritics folded
        ("Son", "Bui Thanh Son", 0.5),
        ("Hanoi", "Vientiane", 0.0),
        ("", "x", 0.0),
    ],
)
def test_token_f1(prediction: str, gold: str, f1: float) -> None:
    assert math.isclose(token_f1(prediction, gold), f1, abs_tol=1e-9)


def test_answer_tokens_fold_case_quotes_and_articles() -> None:
    assert answer_tokens("“The” A an Apple’s") == ["apple", "s"]


def _q(**kw) -> EvalQuestion:
    base = dict(id="q", question="Q?", answerable=True, facts=[["1912"]], support=[], tags=[])
    return EvalQuestion(**{**base, **kw})


@pytest.mark.parametrize(
    "q,golds",
    [
        (_q(answer="in 1912"), ["in 1912", "1912"]),
        (_q(facts=[["Princeton University", "Princeton"]]), ["Princeton University", "Princeton"]),
        (_q(facts=[["a"], ["b"]], answer=""), []),  # no answer given and two facts: no EM gold
    ],
)
def test_gold_answers(q: EvalQuestion, golds: list[str]) -> None:
    assert gold_answers(q) == golds


@pytest.mark.parametrize(
    "answer,question,novel",
    [
        ("1912", "When was Alan Turing born?", 1.0),
        ("Alan Turing", "When was Alan Turing born?", 0.0),  # repeats the question: no answer
        ("Turing's machine", "What did Turing invent?", 1.0),
    ],
)
def test_novelty(answer: str, question: str, novel: float) -> None:
    assert novelty(answer, question) == novel


GOOD = {"weights": dict.fromkeys(FEATURES, 1.0), "bias": 0.0, "threshold": 0.3, "fitted_on": "fit"}
GOOD_EVIDENCE = {**GOOD, "weights": dict.fromkeys(EVIDENCE_FEATURES, 1.0)}


def test_calibration_is_monotone_in_each_positive_weight() -> None:
    cal = Calibration((2.0, 1.0, 0.0, 3.0, 1.0, 1.0), -3.0, 0.5)
    low, high = Signals(p_answer=0.1, cover=0.1), Signals(p_answer=0.9, cover=0.9)
    assert cal.confidence(low) < 0.5 < cal.confidence(high)
    assert not cal.accept(low) and cal.accept(high)


def test_the_shipped_calibration_has_each_bundled_model_and_was_not_fitted_on_the_seeds() -> None:
    evidence = load_calibration(None)
    assert evidence.features == EVIDENCE_FEATURES
    for name in ("qwen2.5-0.5b", "qwen2.5-1.5b"):
        model = load_calibration(name)
        assert model.features == FEATURES, name
        assert "seeds" not in model.fitted_on and "dev parts" in model.fitted_on
        assert 0 < model.threshold < 1
    assert 0 < evidence.threshold < 1 and "seeds" not in evidence.fitted_on


@pytest.mark.parametrize(
    ("content", "model", "features", "calibrated"),
    [
        ({"models": {"m": GOOD}, "evidence": GOOD_EVIDENCE}, "m", FEATURES, True),
        ({"models": {"m": GOOD}, "evidence": GOOD_EVIDENCE}, "other", EVIDENCE_FEATURES, True),
        ({"models": {"m": GOOD}, "evidence": GOOD_EVIDENCE}, None, EVIDENCE_FEATURES, True),
        ({"models": {"m": {"weights": {}}}}, "m", FEATURES, False),  # broken: built-in default
        ({"models": []}, "m", EVIDENCE_FEATURES, False),
        ("not json", "m", EVIDENCE_FEATURES, False),
    ],
)
def test_load_calibration_picks_the_answering_models_fit(
    tmp_path, content, model, features, calibrated
) -> None:
    path = tmp_path / "c.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    cal = load_calibration(model, path)
    assert cal.features == features
    assert (cal.fitted_on == "fit") == calibrated  # else the built-in default, no crash


def test_fit_logistic_separates_a_separable_set() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from calibrate import fit_logistic

    xs = [[0.1], [0.2], [0.3], [0.7], [0.8], [0.9]]
    ys = [0, 0, 0, 1, 1, 1]
    (w,), b, _, _ = fit_logistic(xs, ys)
    p = [1 / (1 + math.exp(-(w * x[0] + b))) for x in xs]
    assert w > 0 and all(pi < 0.5 for pi in p[:3]) and all(pi > 0.5 for pi in p[3:])


def test_curve_counts_refusals_and_precision() -> None:
    scored = [(0.9, True, True), (0.6, True, False), (0.2, False, False), (-1.0, False, False)]
    pts = {p["threshold"]: p for p in curve(scored, [0.0, 0.5, 0.95])}
    assert pts[0.0]["refused"] == 0.25 and pts[0.0]["precision"] == round(1 / 3, 4)
    assert pts[0.5]["refused"] == 0.5 and pts[0.5]["precision"] == 0.5
    assert pts[0.5]["refusal_accuracy"] == 1.0 and pts[0.5]["answer_accuracy"] == 0.5
    assert pts[0.95]["refused"] == 1.0 and pts[0.95]["precision"] == 1.0


def _v(answerable: bool, correct: bool, confidence: float | None, refused: bool = False) -> Verdict:
    return Verdict(
        "id",
        "Q?",
        answerable,
        [],
        "" if refused else "x [a.txt:1]",
        refused,
        [] if refused else [{"source": "a.txt"}],
        "refused" if refused else "answered",
        0.1,
        correct,
        [correct],
        [True],
        [correct],
        True,
        1,
        exact=float(correct),
        f1=float(correct),
        words=1,
        confidence=confidence,
    )


def test_apply_threshold_refuses_what_ask_would_refuse() -> None:
    vs = [
        _v(True, True, 0.9),
        _v(True, True, 0.1),
        _v(False, False, 0.1),
        _v(False, True, None, True),
    ]
    out = apply_threshold(vs, 0.5)
    assert [v.refused for v in out] == [False, True, True, True]
    assert [v.outcome for v in out] == ["answered", "abstained", "abstained", "refused"]
    m = metrics(out)
    assert m["answer_accuracy"] == 0.5 and m["refusal_accuracy"] == 1.0
    assert m["token_f1"] == 0.75  # 1 (right answer) + 0 (refused answerable) + 1 + 1


@pytest.mark.parametrize(
    ("first_top", "logps", "expected"),
    [
        (
            [("42", math.log(0.9)), ("NONE", math.log(0.1))],
            [-0.2, -0.4],
            {"p_answer": 0.9, "logprob": -0.3},
        ),
        (
            [(" NONE", math.log(0.5)), ("None", math.log(0.2)), ("N", math.log(0.1))],
            [-0.1],
            {"p_answer": 0.2, "logprob": -0.1},
        ),
        (
            [("No", math.log(0.6)), ("Nobel", math.log(0.3))],
            [-1.0],
            {"p_answer": 1.0, "logprob": -1.0},
        ),
        ([], [], {}),  # a server that sent no log-probabilities: no model signals
    ],
)
def test_logprob_signals(first_top, logps, expected) -> None:
    from assistant.backends.llm import logprob_signals

    got = logprob_signals(first_top, logps)
    assert got.keys() == expected.keys()
    for k, v in expected.items():
        assert got[k] == pytest.approx(v, abs=1e-6)
