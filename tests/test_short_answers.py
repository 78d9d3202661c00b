"""Short answers: finding the line that holds a bare answer, choosing what the model reads, the
model's "no answer" reply, and the no-model answerer's quotes. Pure functions, tables of cases."""

from __future__ import annotations

import pytest

from assistant.backends.extractive import shorten
from assistant.backends.llm import EvidenceLine, is_refusal, locate, select_lines, to_draft

DOC = [
    "Alan Turing",
    "   <person> Alan M. Turing, 1912-06-22 - 1954-06-07.  A",
    "   British mathematician, inventor of the {Turing Machine}.",
    "   Turing was a graduate student at {Princeton University} from 1936",
    "   to 1938.",
    "In 1945 he joined the National Physical Laboratory in London.",
]
REAL = {"t.txt": DOC, "o.txt": ["Other text about London buses."]}
LINES = [EvidenceLine(i, "t.txt", i, DOC[i - 1].strip()) for i in range(1, 7)] + [
    EvidenceLine(7, "o.txt", 1, "Other text about London buses.")
]


@pytest.mark.parametrize(
    "answer,span",
    [
        ("1912-06-22", (2, 2)),
        ("British mathematician", (3, 3)),
        ("Princeton University", (4, 4)),
        ("from 1936 to 1938", (4, 5)),  # wraps onto the next line: a two-line citation
        ("National Physical Laboratory", (6, 6)),
        ("NATIONAL  physical laboratory", (6, 6)),  # case and spacing do not matter
        ("the National Physical Laboratory in London", (6, 6)),
        ("Cambridge", None),  # in no line: no citation, so the verifier will not show it
    ],
)
def test_locate(answer: str, span) -> None:
    assert locate(answer, LINES, REAL.get) == span


def test_to_draft_cites_a_bare_answer_with_its_whole_line() -> None:
    d = to_draft("Princeton University\n", LINES, REAL.get)
    (claim,) = d.claims
    assert claim.render() == "Princeton University [t.txt:4]" and not d.refused
    (c,) = claim.citations
    assert c.quote == DOC[3].strip()  # the cited line itself, verbatim


def test_to_draft_of_a_wrapped_answer_cites_both_lines() -> None:
    d = to_draft("from 1936 to 1938", LINES, REAL.get)
    assert [c.render() for c in d.claims] == ["from 1936 to 1938 [t.txt:4-5]"]


@pytest.mark.parametrize(
    "reply,refusal",
    [
        ("NONE", True),
        ("None.", True),
        (" none", True),
        ("No answer", True),
        ("The documents do not contain an answer to this question.", True),
        ("Nonesuch Press", False),
        ("1912", False),
        ("Noneteen", False),
    ],
)
def test_is_refusal(reply: str, refusal: bool) -> None:
    assert is_refusal(reply) is refusal


def test_select_lines_prefers_lines_that_cover_the_question_within_budget() -> None:
    chosen = select_lines(
        "Where did Turing study as a graduate student?",
        LINES,
        lambda t: 1.0,
        budget=30,
        count=lambda s: len(s.split()),
    )
    texts = [el.text for el in chosen]
    assert any("graduate student" in t for t in texts)
    assert any(t.startswith("to 1938") for t in texts)  # the line after comes along
    assert sum(len(t.split()) + 2 for t in texts) <= 30
    assert [el.number for el in chosen] == list(range(1, len(chosen) + 1))  # renumbered
    assert [el.line for el in chosen if el.source == "t.txt"] == sorted(
        el.line for el in chosen if el.source == "t.txt"
    )  # in document order


def test_shorten_keeps_the_clauses_that_cover_the_question() -> None:
    long = (
        "The meeting, which was held over two days in the capital after months of delays, "
        "approved a budget of 5 million euros for the new programme, and it also agreed on "
        "a timetable, a list of members, a secretariat and the rules of procedure."
    )
    weights = {"budget": 3.0, "approv": 1.0, "programm": 1.0}
    short = shorten(long, weights, limit=20)
    assert "5 million euros" in short and short in long and len(short.split()) <= 20
    assert shorten("Short one.", weights) == "Short one."
