"""Fit the abstention model (``assistant/abstain.py``) on development questions.

    python scripts/eval_corpora.py --part dev --threshold 0 --out /tmp/dev   # record signals
    python scripts/calibrate.py /tmp/dev/foldoc.json /tmp/dev/click-docs.json ...

Reads the verdicts the evaluation recorded (each verified model answer with its signals), fits a
logistic regression predicting whether the answer is right (every expected fact in it; any answer
to an unanswerable question is wrong), and picks the threshold that maximises the mean token F1
over all the development questions (a refusal of an unanswerable question scores 1). Writes the
fit under the answering model's name in ``assistant/calibration.json`` (``models``; the files
must all hold one model's answers, e.g. ``--set local_model=qwen2.5-1.5b``), and for the default
model also the evidence-only fit, and prints the precision/refusal curve. Never give it the seed
articles' questions or any test part.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.abstain import (  # noqa: E402
    CALIBRATION,
    EVIDENCE_FEATURES,
    FEATURES,
    Calibration,
    Signals,
    curve,
)
from assistant.evaluate import Verdict, apply_threshold, metrics  # noqa: E402
from assistant.settings import Settings  # noqa: E402


def fit_logistic(
    xs: list[list[float]], ys: list[int], l2: float = 1.0, steps: int = 3000, lr: float = 0.1
) -> tuple[list[float], float, list[float], list[float]]:
    """Weights and bias of an L2-regularised logistic regression (full-batch gradient descent on
    standardised features, returned in the original units), and the means and scales used."""
    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(ys, dtype=np.float64)
    n = len(x)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(b + z @ w, -30.0, 30.0)))
        w -= lr * (l2 * w / n + z.T @ (p - y) / n)
        b -= lr * float((p - y).sum() / n)
    weights = w / scale
    bias = b - float((w * mean / scale).sum())
    return weights.tolist(), bias, mean.tolist(), scale.tolist()


def fit(verdicts: list[Verdict], feats: tuple[str, ...], names: list[str]):
    """The fitted model over ``feats`` (as calibration.json holds it) and its dev curve."""
    scored = [v for v in verdicts if v.signals and not v.refused]
    xs = [Signals(**{k: v.signals[k] for k in FEATURES}).vector(feats) for v in scored]
    ys = [int(v.correct) for v in scored]
    weights, bias, _, _ = fit_logistic(xs, ys)
    cal = Calibration(tuple(weights), bias, 0.5, features=feats)
    rescored = []
    for v in verdicts:
        if v.signals and not v.refused:
            conf = cal.confidence(Signals(**{k: v.signals[k] for k in FEATURES}))
            v = Verdict(**{**v.to_dict(), "confidence": conf})
        rescored.append(v)
    best = max(
        (i / 100 for i in range(100)),
        key=lambda t: (metrics(apply_threshold(rescored, t))["token_f1"], -t),
    )
    m = metrics(apply_threshold(rescored, best))
    pts = curve(
        [
            (
                -1.0 if v.refused else (v.confidence if v.confidence is not None else 1.0),
                v.answerable,
                v.correct,
            )
            for v in rescored
        ]
    )
    return {
        "fitted_on": f"dev parts of {', '.join(names)} ({len(verdicts)} questions, "
        f"{len(scored)} verified answers)",
        "weights": dict(zip(feats, (round(w, 5) for w in weights), strict=True)),
        "bias": round(bias, 5),
        "threshold": best,
        "objective": "mean token F1 over all development questions (a refusal of an "
        "unanswerable question scores 1)",
        "dev_metrics_at_threshold": {
            k: m[k]
            for k in (
                "token_f1",
                "exact_match",
                "answer_accuracy",
                "refusal_accuracy",
                "false_refusal_rate",
            )
        },
    }, pts


def main(paths: list[str]) -> int:
    verdicts: list[Verdict] = []
    names, models = [], set()
    for p in paths:
        data = json.loads(Path(p).read_text())
        if data["corpus"] == "seeds" or data["part"] != "dev":
            raise SystemExit(f"{p}: calibrate on development parts of other corpora only")
        names.append(data["corpus"])
        models.add(
            data.get("model")
            or data.get("settings", {}).get("local_model")
            or Settings().local_model
        )
        fields = Verdict.__dataclass_fields__
        verdicts += [
            Verdict(**{k: v for k, v in r.items() if k in fields}) for r in data["verdicts"]
        ]
    if len(models) != 1:
        raise SystemExit(
            f"the files hold answers of several models ({sorted(models)}): "
            "calibrate one model at a time"
        )
    (model,) = models
    try:
        out = json.loads(CALIBRATION.read_text())
    except (OSError, ValueError):
        out = {}
    out["features"] = list(FEATURES)
    out.setdefault("models", {})
    fitted = {"model": FEATURES}
    if model == Settings().local_model:  # the evidence-only model judges the default's answers
        fitted["evidence"] = EVIDENCE_FEATURES
    for kind, feats in fitted.items():
        entry, pts = fit(verdicts, feats, names)
        if kind == "model":
            out["models"][model] = entry
        else:
            out["evidence"] = entry
        print(f"{model} {kind}: {json.dumps(entry, indent=1)}")
        print("threshold  refused  precision  answer_acc  refusal_acc")
        for p in pts:
            print(
                f"{p['threshold']:9.2f}  {p['refused']:7.3f}  {p['precision']:9.3f}  "
                f"{p['answer_accuracy']:10.3f}  {p['refusal_accuracy']:11.3f}"
            )
    CALIBRATION.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
