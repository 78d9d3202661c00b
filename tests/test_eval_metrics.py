"""The complete-answer metrics, as pure functions over hand-made answers (no model, no index).

all-facts accuracy (complete questions answered with every fact), fact recall, claim citation
precision (a shown claim cites one of the question's support lines) and claim citation recall
(each stated fact is cited at one of its own support lines).
"""

from __future__ import annotations

import pytest

from assistant.answer import Answer, Claim, Outcome
from assistant.citations import Citation
from assistant.evaluate import EvalQuestion, judge, metrics

LINES = {
    "a.txt": ["Leaders met in Hanoi.", "They signed pact A.", "They signed pact B.", "Rain fell."],
    "b.txt": ["Pact C came later.", "Nothing else."],
}


def cite(source: str, line: int) -> Citation:
    return Citation(source, line, line, LINES[source][line - 1])


LIST_Q = EvalQuestion(
    "q1",
    "Which pacts were signed?",
    True,
    [["pact A"], ["pact B"], ["Pact C"]],
    [("a.txt", 2, 2), ("a.txt", 3, 3), ("b.txt", 1, 1)],
    [],
    kind="list",
    fact_support=[[("a.txt", 2, 2)], [("a.txt", 3, 3)], [("b.txt", 1, 1)]],
)


def answer(*claims: Claim, outcome: Outcome = Outcome.ANSWERED) -> Answer:
    return Answer("q", list(claims), outcome, "fake")


@pytest.mark.parametrize(
    "ans, correct, facts_found, claim_cites, fact_cited",
    [
        # every item, each cited at its own line
        (
            answer(
                Claim("They signed pact A", (cite("a.txt", 2),)),
                Claim("and pact B", (cite("a.txt", 3),)),
                Claim("Pact C came later", (cite("b.txt", 1),)),
            ),
            True,
            [True, True, True],
            [True, True, True],
            [True, True, True],
        ),
        # one item missing: not complete, recall 2/3
        (
            answer(
                Claim("They signed pact A", (cite("a.txt", 2),)),
                Claim("and pact B", (cite("a.txt", 3),)),
            ),
            False,
            [True, True, False],
            [True, True],
            [True, True],
        ),
        # every item, but pact B cited at pact A's line: stated, not cited where it stands
        (
            answer(
                Claim("They signed pact A and pact B", (cite("a.txt", 2),)),
                Claim("Pact C came later", (cite("b.txt", 1),)),
            ),
            True,
            [True, True, True],
            [True, True],
            [True, False, True],
        ),
        # a claim citing a line that is no support line
        (
            answer(
                Claim("Rain fell", (cite("a.txt", 4),)),
                Claim("They signed pact A", (cite("a.txt", 2),)),
            ),
            False,
            [True, False, False],
            [False, True],
            [True],
        ),
        # a refusal states nothing
        (answer(outcome=Outcome.REFUSED), False, [False, False, False], [], []),
    ],
)
def test_claim_level_verdicts(ans, correct, facts_found, claim_cites, fact_cited) -> None:
    v = judge(LIST_Q, ans, LINES.get, 0.1)
    assert v.complete and v.correct == correct and v.facts_found == facts_found
    assert v.claim_cites_support == claim_cites and v.fact_cited == fact_cited


def test_metrics_of_complete_answers() -> None:
    full = answer(
        Claim("They signed pact A", (cite("a.txt", 2),)),
        Claim("and pact B", (cite("a.txt", 3),)),
        Claim("Pact C came later", (cite("b.txt", 1),)),
    )
    part = answer(
        Claim("They signed pact A", (cite("a.txt", 2),)), Claim("Rain fell", (cite("a.txt", 4),))
    )
    single = EvalQuestion(
        "q2", "Where did leaders meet?", True, [["Hanoi"]], [("a.txt", 1, 1)], [], kind="single"
    )
    where = answer(Claim("Hanoi", (cite("a.txt", 1),)))
    m = metrics(
        [
            judge(LIST_Q, full, LINES.get, 0.1),
            judge(LIST_Q, part, LINES.get, 0.1),
            judge(single, where, LINES.get, 0.1),
        ]
    )
    assert m["complete_questions"] == 2 and m["all_facts_accuracy"] == 0.5  # the single is out
    assert m["fact_recall"] == round((1 + 1 / 3 + 1) / 3, 4)
    assert m["claim_citation_precision"] == round(5 / 6, 4)  # "Rain fell" cites no support
    assert m["claim_citation_recall"] == 1.0
