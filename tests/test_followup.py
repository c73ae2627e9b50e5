"""Follow-ups made standalone by the rule, on spaCy's real pipeline (answer/followup.py)."""

from __future__ import annotations

import pytest

from assistant.answer.followup import resolve_follow_up
from assistant.schema import Turn

FOUNDERS = Turn(
    "Who founded Mistral AI?",
    "Arthur Mensch. The company was founded in April 2023 by Arthur Mensch, Guillaume "
    "Lample and Timothée Lacroix.",
)


def test_and_who_invested_borrows_the_company_not_the_founding(linguist):
    understood = resolve_follow_up("and who invested?", [FOUNDERS], linguist)
    assert "Mistral AI" in understood
    assert "founded" not in understood
    assert understood.startswith("Who invested")


def test_he_is_the_person_the_last_answer_named(linguist):
    ceo = Turn(
        "Who is the chief executive of Mistral AI?",
        "Arthur Mensch. Arthur Mensch, who previously worked at Google DeepMind, leads it.",
    )
    assert resolve_follow_up("Where did he work before?", [ceo], linguist) == (
        "Where did Arthur Mensch work before?"
    )


def test_it_is_the_thing_the_last_question_named(linguist):
    turn = Turn("What is Codestral?", "Codestral is a model for writing code.")
    assert "Codestral" in resolve_follow_up("When was it released?", [turn], linguist)


def test_a_bare_question_word_takes_the_last_question_s_clause(linguist):
    turn = Turn("When was Mistral AI founded?", "In April 2023.")
    assert resolve_follow_up("By whom?", [turn], linguist) == "By whom was Mistral AI founded?"


@pytest.mark.parametrize(
    ("previous", "follow_up", "expected"),
    [
        (
            "What share of the vote did Lula get in the first round?",
            "And Bolsonaro?",
            "What share of the vote did Bolsonaro get in the first round?",
        ),
        (
            "Who won the women's race of the Kestrel Bay Marathon?",
            "And the men's race?",
            "Who won the men's race of the Kestrel Bay Marathon?",
        ),
    ],
)
def test_and_x_swaps_x_for_the_phrase_like_it(linguist, previous, follow_up, expected):
    assert resolve_follow_up(follow_up, [Turn(previous, "")], linguist) == expected


def test_an_event_it_keeps_its_verb_and_names_the_subject(linguist):
    turn = Turn("What happened to Paul Pelosi?", "Paul Pelosi was attacked at his home.")
    understood = resolve_follow_up("and when did it happen?", [turn], linguist)
    assert "Paul Pelosi" in understood and "happen" in understood


def test_a_question_with_its_own_subject_is_left_alone(linguist):
    question = "When did the EU AI Act enter into force?"
    assert resolve_follow_up(question, [FOUNDERS], linguist) == question
