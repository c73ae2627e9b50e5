"""Time questions as a news desk answers them (issue 17, items 2 and 3).

Windows anchored on the as-of date, a digest of a window's stories, a topic scoped to its
window, and the newest state of a story, on a slice of realtimeqa-dev's corpus-small
(tests/data/time/articles.jsonl: its articles of 17 October to 4 November 2022, and three
of early September on the UK's new prime minister), with the real model and index.
"""

from __future__ import annotations

from datetime import date

from assistant.text.dates import Window, asks_current_state, resolve

ANCHOR = date(2022, 11, 4)


def _range(question: str, anchor: date = ANCHOR) -> tuple[date, date]:
    window = resolve(question, anchor)
    assert window is not None, question
    return window.since, window.until


def test_windows_are_a_news_desks_days_counted_from_the_anchor():
    assert _range("What happened today?") == (ANCHOR, ANCHOR)
    assert _range("What happened yesterday?") == (date(2022, 11, 3),) * 2
    assert _range("What happened this week?") == (date(2022, 10, 29), ANCHOR)
    assert _range("What happened last week?") == (date(2022, 10, 22), date(2022, 10, 28))
    assert _range("What happened in March?") == (date(2022, 3, 1), date(2022, 3, 31))
    assert _range("What happened in December?") == (date(2021, 12, 1), date(2021, 12, 31))
    assert _range("What happened in March 2021?") == (date(2021, 3, 1), date(2021, 3, 31))
    assert _range("What happened in November?") == (date(2022, 11, 1), ANCHOR)
    assert resolve("What happened on 5 March?", ANCHOR) is None, "a day is no window"
    assert resolve("Who founded Mistral?", ANCHOR) is None


def test_a_window_says_its_dates():
    week = resolve("What happened this week?", ANCHOR)
    assert week and week.dates() == "29 October – 4 November 2022"
    assert week.describe() == "this week (29 October – 4 November 2022)"
    yesterday = resolve("what did Biden say yesterday?", ANCHOR)
    assert yesterday and yesterday.dates() == "3 November 2022"
    assert Window(date(2022, 10, 22), date(2022, 10, 28), "x").dates() == "22 – 28 October 2022"
    assert Window(date(2021, 12, 29), date(2022, 1, 4), "x").dates() == (
        "29 December 2021 – 4 January 2022"
    )


def test_current_state_questions_are_recognised():
    assert asks_current_state("Who is the new UK prime minister?")
    assert asks_current_state("Is the suspect still in custody?")
    assert asks_current_state("who's the current CEO of Twitter?")
    assert not asks_current_state("Who founded Mistral AI?")
    assert not asks_current_state("What did the senate pass last week?")
