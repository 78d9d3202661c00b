"""Evaluate one backend on every corpus of tests/eval/corpora/corpora.yaml, one part at a time.

    python scripts/eval_corpora.py --part test                  # the default answer path
    python scripts/eval_corpora.py --part dev --threshold 0     # what calibration reads
    python scripts/eval_corpora.py --part test --backend extractive --corpus foldoc
    python scripts/eval_corpora.py --part complete-test          # complete answers, near misses

Each question is asked once through ``Assistant.ask`` with abstention off (threshold 0), so every
verified answer is recorded with its calibrated confidence; the metrics are then those of the
calibrated threshold (``evaluate.apply_threshold``: exactly what ``ask`` would have refused), and
the precision/refusal curve covers every threshold. Writes ``OUT/<corpus>.json`` (metrics, curve,
every verdict with its signals) and prints one table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant import Assistant  # noqa: E402
from assistant.abstain import load_calibration  # noqa: E402
from assistant.evaluate import apply_threshold, load_questions, metrics, run_eval  # noqa: E402

COLUMNS = [
    ("EM", "exact_match"),
    ("F1", "token_f1"),
    ("contained", "answer_accuracy"),
    ("refusal", "refusal_accuracy"),
    ("false ref.", "false_refusal_rate"),
    ("cit. recall", "citation_recall"),
    ("validity", "citation_validity"),
    ("all facts", "all_facts_accuracy"),
    ("fact rec.", "fact_recall"),
    ("claim prec.", "claim_citation_precision"),
    ("claim rec.", "claim_citation_recall"),
    ("words", "median_answer_words"),
    ("p50 ms", "latency_p50_ms"),
    ("p95 ms", "latency_p95_ms"),
]
PARTS = ["dev", "test", "complete-dev", "complete-test"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", choices=PARTS, default="test")
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--corpus", action="append", help="only these corpora (repeatable)")
    ap.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="abstention threshold for the metrics (default: the calibrated one)",
    )
    ap.add_argument("--limit", type=int, default=0, help="at most this many questions a corpus")
    ap.add_argument("--index-root", default="/tmp/assistant-eval-indexes")
    ap.add_argument("--out", default=str(ROOT / "eval-report" / "corpora"))
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for Assistant (e.g. local_model=qwen2.5-1.5b)",
    )
    args = ap.parse_args()
    corpora = yaml.safe_load((ROOT / "tests/eval/corpora/corpora.yaml").read_text())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    extra = dict(kv.split("=", 1) for kv in args.set)
    rows = []
    for name, c in corpora.items():
        if args.corpus and name not in args.corpus:
            continue
        questions = [q for f in c[args.part] for q in load_questions(ROOT / f)]
        if args.limit:
            questions = questions[: args.limit]
        a = Assistant(
            corpus=ROOT / c["docs"],
            index_dir=Path(args.index_root) / name,
            backend=args.backend,
            abstain_threshold=0.0,
            include_uploads=False,  # the corpus alone, never a user's UI uploads
            **extra,
        )
        a.ensure_index(progress=True)
        a.retrieve("warm up")
        cal = load_calibration(a.backend().calibration)
        threshold = cal.threshold if args.threshold is None else args.threshold
        t = time.perf_counter()
        verdicts = run_eval(a, questions)
        seconds = time.perf_counter() - t
        final = apply_threshold(verdicts, threshold)
        m = metrics(final)
        m["curve"] = metrics(verdicts)["curve"]
        be = a.backend().name
        (out / f"{name}.json").write_text(
            json.dumps(
                {
                    "corpus": name,
                    "kind": c["kind"],
                    "part": args.part,
                    "backend": be,
                    "settings": {k: str(v) for k, v in extra.items()},
                    "threshold": threshold,
                    "model": a.backend().calibration,
                    "calibration": cal.fitted_on,
                    "seconds": round(seconds, 1),
                    "metrics": m,
                    "verdicts": [v.to_dict() for v in verdicts],
                },
                indent=1,
                ensure_ascii=False,
            )
        )
        rows.append((name, len(questions), be, m))
        print(f"{name}: {len(questions)} questions in {seconds:.0f} s", file=sys.stderr)
    header = ["corpus", "q", "backend", *(h for h, _ in COLUMNS)]
    table = [header] + [
        [
            n,
            str(q),
            be,
            *(
                f"{m[k]:.3f}"
                if isinstance(m[k], float)
                and k not in ("latency_p50_ms", "latency_p95_ms", "median_answer_words")
                else str(m[k] if m[k] is not None else "-")
                for _, k in COLUMNS
            ),
        ]
        for n, q, be, m in rows
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for r in table:
        print(
            "  ".join(
                c.ljust(w) if i < 3 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    print(f"(part: {args.part}; abstention threshold {threshold:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
