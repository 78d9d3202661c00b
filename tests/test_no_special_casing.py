"""No answerer code may mention an evaluation question.

Scans every ``.py`` file under ``assistant/`` (and the prompt templates under ``prompts/``) for
each question of ``tests/eval/questions.yaml`` and ``tests/eval/dev_questions.yaml``, and for
every run of six consecutive words of a question. Text is compared as words only, case- and
diacritic-folded, so reformatting, line breaks or stripped accents do not hide a copy.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
QUESTION_FILES = [
    ROOT / "tests" / "eval" / "questions.yaml",
    ROOT / "tests" / "eval" / "dev_questions.yaml",
    *sorted((ROOT / "tests" / "eval" / "blind").glob("*.yaml")),
    *sorted((ROOT / "tests" / "eval" / "corpora").glob("*/*.yaml")),
]
WINDOW = 6


def words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.findall(r"[^\W_]+", text.casefold())


def fragments(question: str, n: int = WINDOW) -> set[str]:
    """The whole question and every run of ``n`` consecutive words, as space-joined words."""
    w = words(question)
    out = {" ".join(w)} if w else set()
    out |= {" ".join(w[i : i + n]) for i in range(len(w) - n + 1)}
    return out


def find_copies(questions: dict[str, str], files: list[Path]) -> list[str]:
    """``"file: id: fragment"`` for each question fragment that occurs in one of ``files``."""
    texts = {f: " " + " ".join(words(f.read_text(encoding="utf-8"))) + " " for f in files}
    hits = []
    for qid, question in questions.items():
        for frag in sorted(fragments(question)):
            hits += [f"{f}: {qid}: {frag!r}" for f, t in texts.items() if f" {frag} " in t]
    return hits


def eval_questions() -> dict[str, str]:
    out = {}
    for path in QUESTION_FILES:
        for q in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]:
            out[f"{path.name}:{q['id']}"] = q["question"]
    return out


def package_files() -> list[Path]:
    files = sorted((ROOT / "assistant").rglob("*.py"))
    prompts = ROOT / "prompts"
    if prompts.is_dir():
        files += sorted(p for p in prompts.rglob("*") if p.is_file() and p.suffix != ".pyc")
    return files


def test_package_mentions_no_eval_question() -> None:
    qs = eval_questions()
    assert len(qs) >= 90  # both files were read
    files = package_files()
    assert any(f.name == "api.py" for f in files)
    hits = find_copies(qs, files)
    assert not hits, "evaluation question wording found in the package:\n" + "\n".join(hits)


@pytest.mark.parametrize(
    "code",
    [
        'if q == "Which ministry does General Luong Tam Quang lead?":\n',
        "# special case: which ministry does general luong tam quang lead\n",
        'HINT = ("Which   ministry does General "\n        "Lương Tâm Quang lead")\n',
    ],
)
def test_scanner_finds_a_planted_question(tmp_path: Path, code: str) -> None:
    f = tmp_path / "planted.py"
    f.write_text(code, encoding="utf-8")
    qs = {"dev:d005": "Which ministry does General Luong Tam Quang lead?"}
    assert find_copies(qs, [f])


def test_scanner_ignores_short_common_phrases(tmp_path: Path) -> None:
    f = tmp_path / "ok.py"
    f.write_text('"""Which ministry does it belong to? General code."""\n', encoding="utf-8")
    assert find_copies({"dev:d005": "Which ministry does General Luong Tam Quang lead?"}, [f]) == []
