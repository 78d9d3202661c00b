"""Follow-up rewriting: a table of conversations and the standalone question each must become."""

from __future__ import annotations

import pytest

from assistant.conversation import (
    CONTEXTUALISED,
    EXTENDED,
    RESOLVED,
    STANDALONE,
    SUBSTITUTED,
    names,
    rewrite,
)

NZ = "How much did New Zealand commit to regional programmes?"
RETREAT = "Who led the Vietnamese delegation to the ASEAN Foreign Ministers' Retreat?"


@pytest.mark.parametrize(
    ("previous", "question", "expected", "how"),
    [
        # The example: same question, another country.
        (
            NZ,
            "And how much did the UK commit?",
            "How much did the UK commit to regional programmes?",
            EXTENDED,
        ),
        (
            NZ,
            "And when did the UK commit?",
            "When did the UK commit to regional programmes?",
            EXTENDED,
        ),
        # Fragments are put into the previous question.
        (
            NZ,
            "What about the UK?",
            "How much did the UK commit to regional programmes?",
            SUBSTITUTED,
        ),
        (
            NZ,
            "And Australia?",
            "How much did Australia commit to regional programmes?",
            SUBSTITUTED,
        ),
        (
            NZ,
            "how about Canada?",
            "How much did Canada commit to regional programmes?",
            SUBSTITUTED,
        ),
        ("Who chaired ASEAN in 2025?", "And in 2024?", "Who chaired ASEAN in 2024?", SUBSTITUTED),
        (
            "Who led the delegation?",
            "And for Malaysia?",
            "Who led the delegation for Malaysia?",
            CONTEXTUALISED,
        ),
        (
            "What is the ASEAN Power Grid?",
            "what about that?",
            "What is the ASEAN Power Grid?",
            SUBSTITUTED,
        ),
        # The new name replaces the old one in the same slot (same preposition, shared words).
        (
            "What did the UK commit to the ASEAN Green Finance Fund?",
            "And to the ASEAN-UK Green Transformation Fund?",
            "What did the UK commit to the ASEAN-UK Green Transformation Fund?",
            SUBSTITUTED,
        ),
        # Pronouns become the previous question's name.
        (
            RETREAT,
            "And when did it take place?",
            "When did the ASEAN Foreign Ministers' Retreat take place?",
            RESOLVED,
        ),
        (
            RETREAT,
            "Where was it held?",
            "Where was the ASEAN Foreign Ministers' Retreat held?",
            RESOLVED,
        ),
        (
            "Who is Bui Thanh Son?",
            "What did he say about Myanmar?",
            "What did Bui Thanh Son say about Myanmar?",
            RESOLVED,
        ),
        (
            "When was the ASEAN-UK Dialogue Partnership established?",
            "What are its pillars?",
            "What are the ASEAN-UK Dialogue Partnership's pillars?",
            RESOLVED,
        ),
        # "it" is the name the new one did not replace.
        (
            "How much did ASEAN get from New Zealand?",
            "And how much did it get from the UK?",
            "How much did ASEAN get from the UK?",
            RESOLVED,
        ),
        # A follow-up with no name of its own keeps the previous names as context.
        (
            NZ,
            "And how much was pledged for climate resilience?",
            "How much was pledged for climate resilience (New Zealand)?",
            CONTEXTUALISED,
        ),
        # Made-up names: nothing depends on the documents' wording.
        (
            "How many goats did Ruritania export to Freedonia?",
            "And Graustark?",
            "How many goats did Graustark export to Freedonia?",
            SUBSTITUTED,
        ),
        (
            "How many goats did Ruritania export to Freedonia?",
            "And how many did Graustark export?",
            "How many did Graustark export to Freedonia?",
            EXTENDED,
        ),
        (
            "How many goats did Ruritania export to Freedonia?",
            "And to Sylvania?",
            "How many goats did Ruritania export to Sylvania?",
            SUBSTITUTED,
        ),
        (
            "Where does Ada Quill live?",
            "What does she grow?",
            "What does Ada Quill grow?",
            RESOLVED,
        ),
    ],
)
def test_follow_ups_become_standalone(previous, question, expected, how):
    r = rewrite(question, [previous])
    assert r.query == expected
    assert r.how == how
    assert r.changed


@pytest.mark.parametrize(
    "question",
    [
        "How much did the UK commit?",  # a full question with its own name: not a follow-up
        "Who won the 2022 World Cup?",
        "And who is the ASEAN Secretary-General?",  # connector, but nothing left to fill in
        "Is it true that Vietnam co-chaired the meeting?",  # dummy "it"
        "What did Son say about his visit to Malaysia?",  # "his" points to Son
        "ASEAN Power Grid",  # a keyword search, not a fragment
    ],
)
def test_standalone_questions_are_left_alone(question):
    r = rewrite(question, [NZ])
    assert r.query == (
        question
        if question != "And who is the ASEAN Secretary-General?"
        else "Who is the ASEAN Secretary-General?"
    )
    assert r.how == STANDALONE


def test_without_history_nothing_changes():
    for q in ["And how much did the UK commit?", "What about it?", "And Australia?"]:
        r = rewrite(q, [])
        assert (r.query, r.how, r.changed) == (q, STANDALONE, False)


def test_only_the_latest_standalone_question_is_used():
    history = ["Who chaired ASEAN in 2025?", NZ]
    assert rewrite("What about Japan?", history).query == (
        "How much did Japan commit to regional programmes?"
    )


def test_chained_follow_ups():
    history = [NZ]
    first = rewrite("And how much did the UK commit?", history)
    history.append(first.query)
    second = rewrite("What about Australia?", history)
    assert second.query == "How much did Australia commit to regional programmes?"


def test_deterministic():
    outs = {rewrite("And how much did the UK commit?", [NZ]).query for _ in range(20)}
    assert len(outs) == 1


def test_whitespace_is_tidied():
    r = rewrite("  And   Australia?  ", [NZ])
    assert r.question == "And Australia?"
    assert r.query == "How much did Australia commit to regional programmes?"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (NZ, ["New Zealand"]),
        (RETREAT, ["Vietnamese", "ASEAN Foreign Ministers' Retreat"]),
        ("Did New Zealand's minister meet the UK?", ["New Zealand", "UK"]),
        ("What is the Code of Conduct in the East Sea?", ["Code of Conduct", "East Sea"]),
        ("Vietnam and Malaysia signed it", ["Vietnam", "Malaysia"]),
        ("What did I say?", []),
    ],
)
def test_names(text, expected):
    assert [n.text for n in names(text)] == expected
