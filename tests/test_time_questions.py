"""Time questions as a news desk answers them (issue 17, items 2 and 3).

Windows anchored on the as-of date, a digest of a window's stories, a topic scoped to its
window, and the newest state of a story, on a slice of realtimeqa-dev's corpus-small (its
articles of 17 October to 4 November 2022, and three of early September on the UK's new
prime minister), with the real model and index. The slice is cut at test time from the
shared eval data, by the ids in tests/data/time/dev-slice.txt: its news text may not be
copied into the repository.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant
from assistant.answer.digest import is_digest
from assistant.schema import Answer, Filters
from assistant.text.dates import Window, asks_current_state, day_text, resolve
from tests.conftest import EVAL_DIR

SLICE_IDS = Path(__file__).parent / "data" / "time" / "dev-slice.txt"
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
    if not EVAL_DIR.exists():
        pytest.skip("the shared eval data is not beside the repo")
    assistant = Assistant(
        index_dir=tmp_path_factory.mktemp("time-index"),
        auto_ingest=False,
        embedder=shared_embedder,
        linguist=linguist,
    )
    assert assistant.ingest([_write_slice(tmp_path_factory.mktemp("slice") / "s.jsonl")]).ok
    return assistant


def _slice() -> list[dict[str, Any]]:
    """The slice's articles, read from the shared corpus-small."""
    ids = set(SLICE_IDS.read_text(encoding="utf-8").split())
    lines = (EVAL_DIR / "corpus-small.jsonl").read_text(encoding="utf-8").splitlines()
    articles = [a for a in map(json.loads, lines) if a["id"] in ids]
    assert len(articles) == len(ids)
    return articles


def _write_slice(path: Path) -> Path:
    path.write_text("".join(json.dumps(a) + "\n" for a in _slice()), encoding="utf-8")
    return path


def _cited_days(answer: Answer) -> set[date]:
    return {c.published for c in answer.citations if c.published}


def test_a_topic_asked_of_yesterday_is_answered_from_yesterday(desk: Assistant):
    """On 1 November Musk said $8; the $19.99 plan was reported on 31 October."""
    as_of = Filters(as_of=date(2022, 11, 2))
    found = desk.retriever.search(
        "What did Musk say about Twitter verification yesterday?", 5, as_of
    )
    assert found.scoped and found.passages
    assert {p.published for p in found.passages if not p.background} == {date(2022, 11, 1)}
    # The window's other articles are about other things: older coverage of the story
    # takes their places, after the window's own, as background.
    background = [p for p in found.passages if p.background]
    assert [p.background for p in found.passages] == sorted(p.background for p in found.passages)
    assert all(p.published and p.published < date(2022, 11, 1) for p in background)
    assert date(2022, 10, 31) in {p.published for p in background}
    answer = desk.ask("What did Musk say about Twitter verification yesterday?", filters=as_of)
    assert answer.answered and _cited_days(answer) == {date(2022, 11, 1)}, "no background"
    unscoped = desk.retriever.search("What did Musk say about Twitter verification?", 5, as_of)
    assert date(2022, 10, 31) in {p.published for p in unscoped.passages}, "the test can fail"


def test_an_empty_window_falls_back_to_preferring_it(desk: Assistant):
    """No article of 26 October: the search is not scoped, and still finds the story."""
    as_of = Filters(as_of=date(2022, 10, 27))
    found = desk.retriever.search("What did Kanye West buy yesterday?", 5, as_of)
    assert found.window and found.window.since == date(2022, 10, 26)
    assert not found.scoped and found.passages
    assert all(p.published and p.published <= date(2022, 10, 27) for p in found.passages)


def _texts() -> dict[str, str]:
    return {a["id"]: a["text"] for a in _slice()}


def test_only_a_time_question_is_a_digest():
    week = resolve("What happened this week?", ANCHOR)
    assert week and is_digest("What happened this week?", week)
    for question in (
        "What happened yesterday?",
        "what's the news today",
        "What happened in March?",
    ):
        window = resolve(question, ANCHOR)
        assert window and is_digest(question, window), question
    for question in ("what did Biden say yesterday?", "Who won the World Series this week?"):
        window = resolve(question, ANCHOR)
        assert window and not is_digest(question, window), question


def test_this_weeks_digest_lists_its_stories_once_each_dated_and_cited(desk: Assistant):
    answer = desk.ask("What happened this week?")
    week = Window(date(2022, 10, 29), ANCHOR, "this week")
    assert answer.answered and answer.text.startswith("This week (29 October – 4 November 2022)")
    assert answer.citations and all(c.published in week for c in answer.citations)
    assert answer.passages and all(p.published in week for p in answer.passages)
    assert 1 < len(answer.sentences) <= 8
    texts = _texts()
    for c in answer.citations:
        assert texts[c.article_id][c.start : c.end] == c.passage, "an exact span of the article"
    by_number = {c.n: c for c in answer.citations}
    for line in answer.sentences:
        first = by_number[line.citations[0]]
        assert first.published and line.text.startswith(day_text(first.published))
    # One story each, as read by hand: the Astros' no-hitter (three articles, two outlets)
    # and Twitter's paid verification (three, two outlets).
    for story in (
        {"rtqa-06e833812c1d", "rtqa-8f53b7ae85a5", "rtqa-c9443906f4ce"},
        {"rtqa-967c4d17187c", "rtqa-1863dad1dc6c", "rtqa-3df3422e8c6c"},
    ):
        lines = [
            s for s in answer.sentences if {by_number[n].article_id for n in s.citations} & story
        ]
        assert len(lines) == 1, story
    first_line = {by_number[n].article_id for n in answer.sentences[0].citations}
    assert len(first_line) == 3, "the most covered story comes first"


def test_an_empty_window_says_so_and_lists_the_closest_dated_articles(desk: Assistant):
    answer = desk.ask("What happened yesterday?", filters=Filters(as_of=date(2022, 10, 27)))
    assert not answer.answered and not answer.citations
    assert "yesterday (26 October 2022)" in answer.text
    assert answer.related
    # The newest articles before it: 21, 20 and 19 October (none after the as-of date).
    days = [p.published for p in answer.related]
    assert days == [date(2022, 10, 21), date(2022, 10, 20), date(2022, 10, 19)]
    march = desk.ask("What happened in March?")
    assert not march.answered and "in March (1 – 31 March 2022)" in march.text


def test_a_current_state_is_answered_from_the_newest_article_and_dated(desk: Assistant):
    """'Who is the new UK prime minister?': not the 2 September article that says it
    will be one of two candidates, but a later one, and the answer says its date."""
    answer = desk.ask("Who is the new UK prime minister?")
    assert answer.answered and answer.citations
    lead = {c.n: c for c in answer.citations}[answer.sentences[0].citations[0]]
    assert lead.published and lead.published > date(2022, 9, 2)
    assert answer.text.startswith(f"As of {day_text(lead.published)}: ")
    plain = desk.ask("Who won the Conservative Party leadership race?")
    assert plain.answered and not plain.text.startswith("As of")


def test_an_answer_older_than_the_window_says_so(desk: Assistant):
    """Nothing of 26 October: the answer comes from the Parler deal of 17 October, and
    says it is from before the window."""
    as_of = Filters(as_of=date(2022, 10, 27))
    answer = desk.ask("What did Kanye West buy yesterday?", filters=as_of)
    assert answer.answered and answer.citations
    lead = {c.n: c for c in answer.citations}[answer.sentences[0].citations[0]]
    assert lead.published and lead.published < date(2022, 10, 26)
    assert answer.text.startswith(
        f"From {day_text(lead.published)}, before yesterday (26 October 2022): "
    )
