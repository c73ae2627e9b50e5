"""Time questions as a news desk answers them (issue 17, items 2 and 3).

Windows anchored on the as-of date, a digest of a window's stories, a topic scoped to its
window, and the newest state of a story, on a slice of realtimeqa-dev's corpus-small
(tests/data/time/articles.jsonl: its articles of 17 October to 4 November 2022, and three
of early September on the UK's new prime minister), with the real model and index.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.schema import Answer, Filters
from assistant.text.dates import Window, asks_current_state, resolve

SLICE = Path(__file__).parent / "data" / "time" / "articles.jsonl"
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


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, shared_embedder, linguist) -> Assistant:  # type: ignore[no-untyped-def]
    """An Assistant over the slice, ingested once for this module."""
    assistant = Assistant(
        index_dir=tmp_path_factory.mktemp("time-index"),
        auto_ingest=False,
        embedder=shared_embedder,
        linguist=linguist,
    )
    assert assistant.ingest([SLICE]).ok
    return assistant


def _cited_days(answer: Answer) -> set[date]:
    return {c.published for c in answer.citations if c.published}


def test_a_topic_asked_of_yesterday_is_answered_from_yesterday(desk: Assistant):
    """On 1 November Musk said $8; the $19.99 plan was reported on 31 October."""
    as_of = Filters(as_of=date(2022, 11, 2))
    found = desk.retriever.search(
        "What did Musk say about Twitter verification yesterday?", 5, as_of
    )
    assert found.scoped and found.passages
    assert {p.published for p in found.passages} == {date(2022, 11, 1)}
    answer = desk.ask("What did Musk say about Twitter verification yesterday?", filters=as_of)
    assert answer.answered and _cited_days(answer) == {date(2022, 11, 1)}
    unscoped = desk.retriever.search("What did Musk say about Twitter verification?", 5, as_of)
    assert date(2022, 10, 31) in {p.published for p in unscoped.passages}, "the test can fail"


def test_an_empty_window_falls_back_to_preferring_it(desk: Assistant):
    """No article of 26 October: the search is not scoped, and still finds the story."""
    as_of = Filters(as_of=date(2022, 10, 27))
    found = desk.retriever.search("What did Kanye West buy yesterday?", 5, as_of)
    assert found.window and found.window.since == date(2022, 10, 26)
    assert not found.scoped and found.passages
    assert all(p.published and p.published <= date(2022, 10, 27) for p in found.passages)
