"""The short answer read off one sentence, on spaCy's real pipeline: which span answers
what the question asks, and when none does."""

from __future__ import annotations

import pytest

from assistant.answer.question import read_question
from assistant.answer.short import short_answer
from assistant.text.nlp import Linguist


@pytest.fixture(scope="module")
def linguist() -> Linguist:
    return Linguist()


def _short(linguist: Linguist, question: str, *sentences: str) -> str | None:
    asked = read_question(question, linguist)
    return short_answer(asked, [(s, linguist.analyse(s), None) for s in sentences])


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        # The asked-about noun names its answer as a title after it.
        (
            "Which storm flooded the coast this week?",
            "Thousands lost power after Hurricane Delia flooded the coast on Tuesday.",
            "Hurricane Delia",
        ),
        # "Which country": the country, not the adjective that describes one.
        (
            "Which country was hit by a strong earthquake?",
            "A strong earthquake struck northern Peru on Sunday, officials in the South "
            "American country said.",
            "Peru",
        ),
        # An adverb and a participle stand in the asked-about phrase.
        (
            "Which highly rated film topped the box office?",
            "“Harbour Lights” topped the box office with $40 million, studio Northgate said.",
            "Harbour Lights",
        ),
        # A place and the larger place after a comma are one answer, not a list.
        (
            "Where did the fire break out?",
            "The fire broke out at a warehouse in Dayton, Ohio, late on Friday.",
            "Dayton, Ohio",
        ),
        # "Which two" asks for a list of two.
        (
            "Which two countries signed the treaty?",
            "Norway and Chile signed the treaty in Geneva on Monday.",
            "Norway and Chile",
        ),
        # An age, not the day of the week.
        (
            "The youngest pilot to cross the Atlantic landed on Friday. How old is she?",
            "A 16-year-old became the youngest pilot to cross the Atlantic on Friday.",
            "16-year-old",
        ),
    ],
)
def test_the_span_that_answers(linguist: Linguist, question: str, sentence: str, expected: str):
    assert _short(linguist, question, sentence) == expected


def test_a_noun_with_no_type_of_its_own_is_read_through_the_question(linguist: Linguist):
    """ "Which music genre": the sentence says "jazz music", not "genre"."""
    question = "The trumpeter died at 88. Which music genre was he known for?"
    sentence = "The trumpeter, who shaped jazz music for six decades, died at 88."
    assert _short(linguist, question, sentence) == "jazz"


def test_the_asked_about_noun_in_a_later_sentence_beats_a_place_in_the_first(
    linguist: Linguist,
):
    question = "Which national park closed after the floods?"
    first = "Floods washed out roads across western Montana on Monday."
    second = "Glacier National Park closed its gates after the floods, officials said."
    assert _short(linguist, question, first, second) == "Glacier National Park"


def test_a_kind_of_thing_is_no_answer_for_a_company(linguist: Linguist):
    """ "Which car company": the words before "car" describe a car, not the company."""
    question = "Which car company unveiled its first electric model?"
    sentence = "The carmaker unveiled its first mainstream electric car on Tuesday."
    assert _short(linguist, question, sentence) is None


def test_three_names_are_no_answer_to_which_two(linguist: Linguist):
    question = "Which two cities hosted the games?"
    sentence = "Oslo, Lisbon and Krakow hosted the games this summer."
    assert _short(linguist, question, sentence) is None


@pytest.mark.parametrize(
    ("question", "wants", "focus"),
    [
        ("How long was the detour?", "QUANTITY", "detour"),
        ("How tall is the new tower?", "QUANTITY", "tower"),
        ("What was her time?", "DATE", None),
        ("What is the capital of Peru?", "GPE", None),
        ("What was the verdict?", None, "verdict"),
        ("Which condiment ran out?", "ORG", None),
        ("How soon could the first shots be given?", "DATE", None),
        ("How often will the council meet?", "DATE", None),
    ],
)
def test_what_a_question_of_how_or_what_is_asks_about(
    linguist: Linguist, question: str, wants: str | None, focus: str | None
):
    asked = read_question(question, linguist)
    assert (asked.wants[0] if asked.wants else None) == wants
    assert asked.focus == focus
    assert "MONEY" not in asked.wants  # a length or a height is no sum of money


def test_a_dash_is_no_answer(linguist: Linguist):
    """The tagger took a spaced dash for a word of the phrase around "the country": a span
    of punctuation alone was the bold answer."""
    sentence = (
        "In a historic vote on Sunday, voters are expected to elect a woman − most likely "
        "a former judge − to lead the country, beating its neighbour."
    )
    question = "Which country elected its first woman president this week?"
    assert _short(linguist, question, sentence) is None


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        (
            "Drug makers are selling their inhalers to more patients at what price?",
            "The list price of the inhalers the company is targeting is roughly $300 each, "
            "according to a foundation.",
            "roughly $300",
        ),
        (
            "Which battleground state did the senator visit on Friday?",
            "The senator spent Friday in the swing state of Arizona, her aides said.",
            "Arizona",
        ),
    ],
)
def test_a_noun_with_types_of_its_own_is_answered_by_one_of_them(
    linguist: Linguist, question: str, sentence: str, expected: str
):
    """A price is a sum of money and a state a place: the words before the noun ("list",
    "swing") are not the answer while the sentence holds an entity of its type."""
    assert _short(linguist, question, sentence) == expected
