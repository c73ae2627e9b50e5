"""The date note before an answer older than the question's window, within the answer's
word budget: the note counts, so the answer's last sentences give way to it."""

from __future__ import annotations

from datetime import date

from assistant.answer.dated import dated
from assistant.schema import ANSWER_WORDS, Answer, Citation, Sentence
from assistant.text.dates import Window

WEEK = Window(date(2024, 3, 8), date(2024, 3, 14), "this week")


def _citation(n: int, published: date) -> Citation:
    return Citation(n, f"a{n}", f"Story {n}", "example.com", published, None, "…", 0, 1)


def _answer(*sentences: tuple[str, tuple[int, ...]]) -> Answer:
    told = tuple(Sentence(text, refs, 0.6) for text, refs in sentences)
    numbers = sorted({n for _, refs in sentences for n in refs})
    return Answer(
        "Which city held the vote this week?",
        " ".join(s.told() for s in told),
        tuple(_citation(n, date(2024, 3, 1)) for n in numbers),
        True,
        told,
        short_answer="Dayton",
    )


def _words(text: str) -> int:
    return sum(1 for w in text.split() if not (w.startswith("[") and w.endswith("]")))


def test_an_old_answer_says_its_date_and_drops_what_no_longer_fits():
    first = "Voters in Dayton approved the new harbour plan on Tuesday, officials said."
    second = " ".join(["The plan"] + ["was debated for months"] * 9) + "."
    third = " ".join(["Critics said"] + ["the costs would grow"] * 7) + "."
    answer = _answer((first, (1,)), (second, (1, 2)), (third, (3,)))
    assert _words(answer.text) <= ANSWER_WORDS  # within the budget without the note

    out = dated(answer, WEEK, current=False)

    assert out.text.startswith("From 1 March 2024, before this week: ")
    assert _words(out.text) <= ANSWER_WORDS
    assert [s.text for s in out.sentences] == [first, second]
    assert [c.n for c in out.citations] == [1, 2]  # [3] was cited only by the dropped one
    assert out.short_answer == "Dayton"


def test_the_windows_dates_go_first_when_room_is_short():
    """An answer that fits with "before this week:" but not with the week's dates keeps
    every sentence and says the window without its dates."""
    first = "Voters in Dayton approved the new harbour plan on Tuesday, officials said."
    second = " ".join(["The plan"] + ["was debated for months"] * 14) + "."
    answer = _answer((first, (1,)), (second, (1, 2)))
    out = dated(answer, WEEK, current=False)
    assert out.text == f"From 1 March 2024, before this week: {answer.text}"
    assert out.sentences == answer.sentences


def test_a_short_old_answer_keeps_every_sentence():
    answer = _answer(("Voters in Dayton approved the plan.", (1,)), ("It passed easily.", (2,)))
    out = dated(answer, WEEK, current=False)
    assert out.sentences == answer.sentences
    assert out.citations == answer.citations
    assert out.text == f"From 1 March 2024, before this week (8 – 14 March 2024): {answer.text}"


def test_the_first_sentence_stays_however_long():
    long = " ".join(["Voters in Dayton approved"] + ["the plan"] * 36) + "."
    answer = _answer((long, (1,)))
    out = dated(answer, WEEK, current=False)
    assert [s.text for s in out.sentences] == [long]
