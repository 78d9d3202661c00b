"""Deciding whether to show an answer or say the documents do not hold one.

Owns: the signals an answer comes with, all of them general (none knows what a corpus is about):

- ``p_answer``: the model's own probability that the evidence answers the question (one minus the
  probability of its first token being the "no answer" reply), when the backend reports it;
- ``logprob``: the model's mean log-probability per token of the answer it wrote;
- ``dense``: the cosine similarity of the best retrieved chunk to the question;
- ``cover``: the idf-weighted share of the question's terms found in the cited lines;
- ``support``: the verifier's share of the answer's own terms found in the cited lines;
- ``novel``: whether the answer says anything the question did not already say;

and turning them into one confidence with a logistic model whose weights and threshold were fitted
on development questions of corpora that are not the seed articles (``scripts/calibrate.py``
writes ``calibration.json`` beside this file), one per bundled model, since each model's
probabilities have their own scale. An answer from a model nobody calibrated (a server's, any
GGUF file) or from a backend that reports no probabilities is judged by a model fitted on the
other four signals alone.
Pure functions, no model calls. Does not own: producing the signals (the backends and
``pipeline``), checking citations (``verify``) or fitting the weights (``scripts/calibrate.py``,
with numpy: fitting is a development step, not something the runtime package does).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from .citations import strip_markers
from .lexical import analyze, coverage, question_weights
from .question import analyse
from .verify import support

CALIBRATION = Path(__file__).with_name("calibration.json")
FEATURES = ("p_answer", "logprob", "dense", "cover", "support", "novel")
EVIDENCE_FEATURES = FEATURES[2:]  # what is known without the model's probabilities


@dataclass(frozen=True)
class Signals:
    p_answer: float = 1.0
    logprob: float = 0.0
    dense: float = 0.0
    cover: float = 0.0
    support: float = 0.0
    novel: float = 0.0

    def vector(self, features: tuple[str, ...] = FEATURES) -> list[float]:
        return [float(getattr(self, f)) for f in features]

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


def novelty(answer: str, question: str) -> float:
    """1.0 when the answer has a term the question lacks ("1912" for "When was X born?"); an
    answer that only repeats the question's words answers nothing."""
    asked = set(analyze(question))
    return 1.0 if any(t not in asked for t in analyze(answer)) else 0.0


def measure(
    question: str,
    answer: str,
    near: str,
    evidence: list,
    idf: Callable[[str], float],
    model: dict[str, float],
) -> Signals:
    """The signals of a verified ``answer`` (markers allowed): ``near`` is the text of its cited
    lines with their neighbours, ``evidence`` what was retrieved, ``model`` what the model
    reported (``p_answer``, ``logprob``; absent ones take their neutral values)."""
    answer = strip_markers(answer)
    dense = max((e.dense for e in evidence if e.dense is not None), default=0.0)
    return Signals(
        p_answer=float(model.get("p_answer", 1.0)),
        logprob=float(model.get("logprob", 0.0)),
        dense=float(dense),
        cover=coverage(question_weights(analyse(question).text, idf), near),
        support=support(answer, near),
        novel=novelty(answer, question),
    )


@dataclass(frozen=True)
class Calibration:
    weights: tuple[float, ...]
    bias: float
    threshold: float
    fitted_on: str = ""
    features: tuple[str, ...] = FEATURES

    def confidence(self, s: Signals) -> float:
        x = s.vector(self.features)
        z = self.bias + sum(w * v for w, v in zip(self.weights, x, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def accept(self, s: Signals) -> bool:
        return self.confidence(s) >= self.threshold


# Used only when no calibration file exists: trust the model's own probability and the verifier.
UNCALIBRATED = {
    "model": Calibration((4.0, 0.5, 0.0, 2.0, 2.0, 2.0), -5.0, 0.5),
    "evidence": Calibration((0.0, 4.0, 2.0, 2.0), -4.0, 0.5, features=EVIDENCE_FEATURES),
}


@cache
def load_calibration(model: str | None = None, path: Path = CALIBRATION) -> Calibration:
    """The fitted model for answers written by ``model`` (a name under ``models`` in the file:
    all six signals), or, for a model nobody calibrated (``None``, a server's model, any GGUF
    file), the one fitted on the evidence signals alone: a probability from an uncalibrated model
    means nothing on another model's scale."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    models = data.get("models") if isinstance(data, dict) else None
    kind = "model" if model and isinstance(models, dict) and model in models else "evidence"
    features = FEATURES if kind == "model" else EVIDENCE_FEATURES
    try:
        entry = models[model] if kind == "model" else data["evidence"]  # type: ignore[index]
        weights = tuple(float(entry["weights"][f]) for f in features)
        return Calibration(
            weights,
            float(entry["bias"]),
            float(entry["threshold"]),
            str(entry.get("fitted_on", "")),
            features,
        )
    except (KeyError, TypeError, ValueError):
        return UNCALIBRATED[kind]


def curve(
    scored: list[tuple[float, bool, bool]], thresholds: list[float] | None = None
) -> list[dict[str, float]]:
    """The precision/refusal curve: for each threshold, the share of questions refused, the
    precision of what is answered, answer accuracy and refusal accuracy. ``scored`` holds
    (confidence, answerable, correct-when-answered) per question."""
    thresholds = thresholds or [i / 20 for i in range(21)]
    out = []
    n_ans = sum(1 for _, a, _ in scored if a) or 1
    n_una = sum(1 for _, a, _ in scored if not a) or 1
    for t in thresholds:
        answered = [(a, ok) for c, a, ok in scored if c >= t]
        good = sum(1 for a, ok in answered if a and ok)
        out.append(
            {
                "threshold": round(t, 3),
                "refused": round(1 - len(answered) / max(1, len(scored)), 4),
                "precision": round(good / len(answered), 4) if answered else 1.0,
                "answer_accuracy": round(good / n_ans, 4),
                "refusal_accuracy": round(
                    sum(1 for c, a, _ in scored if not a and c < t) / n_una, 4
                ),
            }
        )
    return out
