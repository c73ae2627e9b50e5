"""Hybrid, news-aware retrieval on small hand-made corpora: real model, real Chroma."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from assistant.index import Scope, vector_store
from assistant.retrieval import RankingPolicy
from assistant.retrieval.fusion import collapse_duplicates, reciprocal_rank_fusion
from assistant.schema import Filters
from assistant.text.dates import resolve
from tests.conftest import write_jsonl


def _article(i: str, title: str, text: str, published: str, source: str = "Daily") -> dict:
    return {"id": i, "title": title, "text": text, "published": published, "source": source}


PORT_LINES = [
    "The mayor said the port's finances must first pay for deepening the channel.",
    "A councillor wants the dock spending to go on new cranes and a wider quay.",
    "The treasurer warned that money for the docks cannot cover cranes and dredging at once.",
    "Harbourside traders asked what the port authority will spend on moorings this year.",
    "Fishermen told the council that the port's money should repair the old breakwater.",
    "An auditor found the docks overspent on consultants while the quay crumbled.",
]
PORT = [
    _article(f"p{n}", f"Port finances, day {n}", line, f"2024-03-{10 + n:02d}")
    for n, line in enumerate(PORT_LINES, 1)
]
NAMED = _article(
    "named",
    "Chess final",
    "Vexlora Quintbury won the regional chess final on Sunday after a long endgame.",
    "2024-03-02",
)


def test_hybrid_finds_an_exact_name_that_dense_search_misses(make_assistant, tmp_path: Path):
    assistant = make_assistant()
    assert assistant.ingest([write_jsonl(tmp_path / "news.jsonl", [*PORT, NAMED])]).ok
    question = "What did Quintbury decide about the port's finances?"
    vector = assistant.embedder.embed_query(question)
    dense = assistant.index.dense_search(vector, 3)
    dense_articles = {
        c.article_id for c in assistant.index.get_chunks([i for i, _ in dense]).values()
    }
    assert "named" not in dense_articles, "dense alone ranks the port articles first"
    ids = [p.article_id for p in assistant.retriever.retrieve(question, k=3)]
    assert "named" in ids


TOWNS = [
    ("Alder", "Farmers moved their sheep to higher fields."),
    ("Birch", "The primary school stayed shut for two days."),
    ("Cedar", "Volunteers filled sandbags outside the library."),
    ("Dunmore", "A bus was stranded near the old mill."),
    ("Elmsworth", "Shops on the high street pumped water from cellars."),
    ("Fernley", "The railway station lost power overnight."),
]


@pytest.fixture
def floods(make_assistant, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Six equally relevant articles a week apart, each about a different town."""
    articles = [
        _article(
            f"f{n}",
            f"Flooding in {town}",
            f"Flooding closed the main road into {town}. {detail}",
            (date(2024, 1, 1) + timedelta(days=7 * n)).isoformat(),
        )
        for n, (town, detail) in enumerate(TOWNS)
    ]
    assistant = make_assistant()
    assert assistant.ingest([write_jsonl(tmp_path / "floods.jsonl", articles)]).ok
    return assistant


def test_among_equals_the_more_recent_wins(floods):
    passages = floods.retriever.retrieve("Which road did the flooding close?", k=3)
    assert passages[0].article_id == "f5", "the newest of six equally relevant articles"


def test_as_of_ignores_later_articles_and_prefers_the_latest_before_it(floods):
    as_of = Filters(as_of=date(2024, 1, 22))
    passages = floods.retriever.retrieve("Which road did the flooding close?", k=6, filters=as_of)
    assert {p.article_id for p in passages} == {"f0", "f1", "f2", "f3"}
    assert passages[0].article_id == "f3"


def test_date_range_and_source_filters(make_assistant, tmp_path: Path):
    articles = [
        _article(
            f"a{n}",
            f"Rail strike day {n}",
            f"Rail workers walked out for the {n}th day over pay and rosters.",
            f"2024-05-{n:02d}",
            source="Gazette" if n % 3 == 0 else "Courier",
        )
        for n in range(1, 28)
    ]
    assistant = make_assistant()
    assert assistant.ingest([write_jsonl(tmp_path / "rail.jsonl", articles)]).ok
    window = Filters(since=date(2024, 5, 10), until=date(2024, 5, 14))
    got = assistant.retriever.retrieve("rail strike pay", k=5, filters=window)
    assert {p.article_id for p in got} == {f"a{n}" for n in range(10, 15)}, "five in range"
    gazette = Filters(sources=("Gazette",))
    got = assistant.retriever.retrieve("rail strike pay", k=9, filters=gazette)
    assert len(got) == 9 and all(p.source == "Gazette" for p in got), "not starved"


def test_keyword_search_keeps_to_the_scope_inside_its_query(make_assistant, tmp_path: Path):
    """Dates and outlets filter the keyword query itself. An undated article is outside
    every date range, and inside an outlet filter that names its outlet."""
    undated = {"id": "undated", "title": "Ferry history", "source": "Wire"}
    articles = [
        _article(
            "wire", "Ferry strike", "Quayport ferry crews stopped work.", "2024-05-02", "Wire"
        ),
        _article("local", "Ferry strike", "Quayport ferry crews stopped again.", "2024-05-09"),
        {**undated, "text": "Quayport ferries first sailed in 1890."},
    ]
    assistant = make_assistant()
    assert assistant.ingest([write_jsonl(tmp_path / "ferry.jsonl", articles)]).ok
    index = assistant.index

    def found(scope: Scope | None) -> set[str]:
        hits = [cid for cid, _ in index.keyword_search("Quayport ferry", 10, scope)]
        return {c.article_id for c in index.get_chunks(hits).values()}

    assert found(None) == {"wire", "local", "undated"}
    assert found(Scope(sources=("Wire",))) == {"wire", "undated"}
    assert found(Scope(until=date(2024, 5, 31))) == {"wire", "local"}
    assert found(Scope(since=date(2024, 5, 5), sources=("Wire", "Daily"))) == {"local"}


def test_keyword_search_folds_accents_and_stems(make_assistant, tmp_path: Path):
    articles = [
        _article(
            "fair", "Book fair", "Publishers gathered in São Paulo for the book fair.", "2024-05-02"
        ),
        _article("cafe", "Cafe", "A small cafe in Sao Paulo sold coffee and cake.", "2024-05-03"),
        _article("far", "Trains", "Commuters in Lisbon waited for delayed trains.", "2024-05-04"),
    ]
    assistant = make_assistant()
    assert assistant.ingest([write_jsonl(tmp_path / "sp.jsonl", articles)]).ok
    index = assistant.index

    def found(words: str) -> set[str]:
        hits = [cid for cid, _ in index.keyword_search(words, 10)]
        return {c.article_id for c in index.get_chunks(hits).values()}

    assert found("Sao Paulo") == {"fair", "cafe"}
    assert found("São Paulo") == {"fair", "cafe"}
    assert found("publisher gathering cafés") == {"fair", "cafe"}


def test_sentence_matrix_holds_each_chunks_sentences_together(make_assistant, tmp_path: Path):
    week = _article("week", "Port finances, the week", " ".join(PORT_LINES), "2024-03-20")
    assistant = make_assistant()
    assert assistant.ingest([write_jsonl(tmp_path / "news.jsonl", [*PORT, NAMED, week])]).ok
    index = assistant.index
    stored = index.get_chunks([r[0] for r in index.db.execute("SELECT id FROM chunks")])
    ids = sorted(stored)
    chunks, starts, matrix = index.sentence_matrix([*ids, "not-a-chunk"])
    assert sorted(chunks) == ids and starts[0] == 0 and starts == sorted(starts)
    sizes = []
    for cid, first, end in zip(chunks, starts, [*starts[1:], len(matrix)], strict=True):
        c = stored[cid]
        own = index.sentence_vectors(c.article_id, c.start, c.end)  # (span) -> vector
        assert end - first == len(own) > 0
        assert {tuple(v) for v in own.values()} == {tuple(v) for v in matrix[first:end]}
        sizes.append(end - first)
    assert max(sizes) > 1, "a chunk of several sentences is among them"


def test_relative_dates_resolve_against_the_anchor():
    anchor = date(2022, 6, 16)
    week = resolve("What did the senate pass this week?", anchor)
    assert week and (week.since, week.until) == (date(2022, 6, 10), anchor)
    yesterday = resolve("Who resigned yesterday?", anchor)
    assert yesterday and (yesterday.since, yesterday.until) == (date(2022, 6, 15),) * 2
    last_month = resolve("What happened last month in Paris?", anchor)
    assert (last_month.since, last_month.until) == (date(2022, 5, 1), date(2022, 5, 31))
    assert resolve("the latest figures", anchor).until == anchor
    assert resolve("Who recently won?", anchor).since == date(2022, 5, 17)
    assert resolve("Who founded Mistral?", anchor) is None
    assert resolve("this week", None) is None


def test_this_week_prefers_the_last_seven_days_of_the_index(make_assistant, tmp_path: Path):
    """'this week' counts back from the newest article, not from the machine's clock."""
    old = _article(
        "old", "Bridge closed", "The river bridge was closed for repairs to its deck.", "2021-01-04"
    )
    new = _article(
        "new",
        "Bridge closed",
        "The river bridge was closed for repairs to its cables.",
        "2021-02-01",
    )
    filler = _article("x", "Bakery", "A bakery opened on the high street.", "2021-02-03")
    assistant = make_assistant()
    assert assistant.ingest([write_jsonl(tmp_path / "b.jsonl", [old, new, filler])]).ok
    found = assistant.retriever.search("Why was the river bridge closed this week?", k=2)
    assert found.window and found.window.until == date(2021, 2, 3)
    assert found.passages[0].article_id == "new"


def test_wire_story_in_two_outlets_collapses_to_one_passage(make_assistant, tmp_path: Path):
    wire = (
        "Astronomers at the Atacama observatory reported a comet that will pass close to "
        "Earth in October. The comet, named C/2024 Q7, is expected to be visible to the naked "
        "eye for about two weeks, the team said on Tuesday."
    )
    articles = [
        _article("w1", "Comet to pass Earth", wire, "2024-08-06", source="Wire Daily"),
        _article("w2", "Bright comet coming", "AP — " + wire, "2024-08-06", source="Star Post"),
        _article(
            "w3",
            "Comet coming, updated",
            wire + " Updated with a comment.",
            "2024-08-07",
            source="Wire Daily",
        ),
        _article("o", "Meteor shower", "A meteor shower peaks in August.", "2024-08-01"),
    ]
    assistant = make_assistant()
    assert assistant.ingest([write_jsonl(tmp_path / "w.jsonl", articles)]).ok
    passages = assistant.retriever.retrieve("When will the comet pass Earth?", k=3)
    stories = [p for p in passages if p.article_id in {"w1", "w2", "w3"}]
    assert len(stories) == 1, "one passage per story"
    assert len(stories[0].also_reported_by) >= 1
    assert {"Wire Daily", "Star Post"} >= set(stories[0].also_reported_by)
    assert "o" in {p.article_id for p in passages}, "the freed slot goes to another story"
    answer = assistant.ask("When will the comet pass Earth?", k=3)
    assert answer.answered and "October" in answer.text


def test_collapse_keeps_distinct_chunks_of_one_article():
    from assistant.index import StoredChunk

    def chunk(i: str, article: str, text: str) -> StoredChunk:
        return StoredChunk(i, article, 0, 0, len(text), text, "t", None, None, None)

    same = "one two three four five six seven eight nine ten"
    ranked = [chunk("1", "a", same), chunk("2", "a", same + " eleven"), chunk("3", "b", same)]
    picked = collapse_duplicates(ranked, 5, per_article=2)
    assert [c.id for c, _ in picked] == ["1", "2"], "b repeats a and is folded into it"
    assert picked[0][1] == ["t"]


def test_widened_passages_keep_exact_offsets(make_assistant, tmp_path: Path):
    paragraphs = [
        f"Paragraph {n} of the budget story says the council met on day {n} to argue about "
        f"item {n}, and the minutes ran to {10 * n} pages with {n} votes recorded."
        for n in range(1, 30)
    ]
    text = "\n\n".join(paragraphs)
    assistant = make_assistant()
    article = _article("long", "Budget minutes", text, "2024-01-01")
    assert assistant.ingest([write_jsonl(tmp_path / "long.jsonl", [article])]).ok
    assert assistant.index.chunk_count() > 3
    (passage,) = assistant.retriever.retrieve("How many pages did the minutes of day 14 run to?", 1)
    assert passage.end - passage.start == len(passage.text)
    original = text[passage.start : passage.end]
    assert passage.text.split() == original.split(), "only white space may differ"
    width = passage.end - passage.start
    assert width > max(len(c.text) for c in assistant.index.get_chunks([passage.chunk_id]).values())


def test_ask_command_takes_date_and_source_filters(floods, capsys):
    from assistant.cli import main

    index = str(floods.settings.index_dir)
    args = ["ask", "Which road did the flooding close?", "--index", index, "--json"]
    assert main([*args, "--as-of", "2024-01-10"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["answered"] and {c["article_id"] for c in data["citations"]} <= {"f0", "f1"}
    assert main([*args, "--source", "Daily"]) == 0
    assert json.loads(capsys.readouterr().out)["answered"]
    # An outlet the index does not hold is a mistake, not a question nothing answers.
    assert main([*args, "--source", "Nowhere Times"]) == 1
    assert "its outlets are: Daily" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main([*args, "--since", "last tuesday"])
    assert usage.value.code == 2
    assert "argument --since: 'last tuesday' is not a date" in capsys.readouterr().err


def test_fusion_weights_let_one_ranking_count_more():
    even = reciprocal_rank_fusion([[("a", 0.0), ("b", 0.0)], [("b", 0.0), ("a", 0.0)]])
    assert even[0][1] == even[1][1]
    weighted = reciprocal_rank_fusion(
        [[("a", 0.0), ("b", 0.0)], [("b", 0.0), ("a", 0.0)]], weights=(1, 2)
    )
    assert [item for item, _ in weighted] == ["b", "a"]


def test_a_scoped_vector_search_finds_what_chromas_own_filter_finds(make_assistant, tmp_path):
    """The scope is applied to a deeper unfiltered search first (Chroma's filter is slow);
    when that leaves too few, the filtered search runs: either way, the same chunks."""
    recent = [  # each tells the whole port story, in its own order
        _article(f"port{i}", "Port spending", " ".join(PORT_LINES[i:] + PORT_LINES[:i]), day)
        for i, day in enumerate(["2022-06-10", "2022-06-11", "2022-06-12", "2022-06-13"])
    ]
    old = _article(
        "bakery",
        "Bakery",
        "A bakery opened on the high street, selling bread, cakes, pies and pastries to the "
        "shoppers who queue each morning; the owner hopes to hire two more bakers by summer.",
        "2020-01-05",
    )
    others = [  # so that the port's words are rare enough to count in BM25
        _article(f"other{i}", topic, f"News about {topic.lower()} today.", "2022-05-01")
        for i, topic in enumerate(["Tennis", "Rain", "Schools", "Trains", "Museums", "Chess"])
    ]
    assistant = make_assistant()
    assert assistant.ingest([write_jsonl(tmp_path / "a.jsonl", [*recent, old, *others])]).ok
    index = assistant.index
    vector = assistant.embedder.embed_query("How should the port spend its money?")
    for n, scope in [
        (1, Scope(until=date(2021, 1, 1))),  # only the old article: the filtered search
        (2, Scope(since=date(2022, 6, 11))),  # most of the corpus: the deep search suffices
        (2, Scope(sources=("Daily",))),
    ]:
        ours = index.dense_search(vector, n, scope=scope)
        chromas = vector_store.nearest(index.collection, vector, n, scope=scope)
        assert [cid for cid, _ in ours] == [cid for cid, _ in chromas]
        assert len(ours) == n
        # Spare results come after the n, and are in the scope too.
        more = index.dense_search(vector, n, scope=scope, spare=2)
        assert more[:n] == ours and len(more) <= n + 2
        deeper = [cid for cid, _ in vector_store.nearest(index.collection, vector, 20, scope=scope)]
        assert [cid for cid, _ in more] == deeper[: len(more)]
    everything = index.dense_search(vector, 3, spare=2)
    assert everything[:3] == index.dense_search(vector, 3) and len(everything) == 5
    assert len(index.dense_search(vector, 2, scope=Scope(sources=("Daily",)), spare=2)) == 4
    # A search in the question's window, then in the whole index: the unfiltered nearest
    # chunks are asked of Chroma once, and both searches find what they find alone.
    seen: dict[int, list[tuple[str, float]]] = {}
    window = Scope(since=date(2022, 6, 11))
    scoped = index.dense_search(vector, 2, scope=window, spare=2, seen=seen)
    assert scoped == index.dense_search(vector, 2, scope=window, spare=2) and 4 in seen
    again = index.dense_search(vector, 2, spare=2, seen=seen)
    assert again is seen[4] and again == index.dense_search(vector, 2, spare=2)
    # The keyword side filters inside its query: a scope gets the best hits it allows,
    # however deep in the unscoped list they are.
    words = "port money docks quay opened"
    everything = [cid for cid, _ in index.keyword_search(words, 20)]
    chunks = index.get_chunks(everything)
    bakery = [c for c in everything if chunks[c].article_id == "bakery"]
    assert everything.index(bakery[0]) >= 4  # deep in the unscoped list
    found = index.keyword_search(words, 1, scope=Scope(until=date(2021, 1, 1)))
    assert [cid for cid, _ in found] == bakery
    since = Scope(since=date(2022, 6, 12))
    scoped = [cid for cid, _ in index.keyword_search(words, 3, scope=since)]
    assert scoped == [c for c in everything if chunks[c].published >= since.since][:3]


def test_the_lede_wins_over_a_later_paragraph_that_repeats_it(make_assistant, tmp_path: Path):
    """News puts the facts first (the inverted pyramid): when an article's lede and a later
    chunk answer the question about equally well, the passage is the lede."""
    filler = [
        f"Paragraph {n} recalls that the board's {n}th annual report covered ferry timetables, "
        f"mooring fees and the repainting of warehouse {n} on the north quay."
        for n in range(1, 40)
    ]
    lede = (
        "Ottilie Brandt, a former ferry captain, will lead the Harbour Board from next month "
        "after a vote of its members on Monday."
    )
    late = "The Harbour Board named its new chair on Monday: Ottilie Brandt, a ferry captain."
    text = "\n\n".join([lede, *filler, late])
    article = _article("board", "Harbour Board vote", text, "2024-05-06")
    question = "Who did the Harbour Board name as its new chair?"
    assistant = make_assistant()
    assert assistant.ingest([write_jsonl(tmp_path / "board.jsonl", [article])]).ok
    assert assistant.index.chunk_count() > 8, "the lede and the late paragraph are far apart"
    (passage,) = assistant.retriever.retrieve(question, 1)
    assert passage.start == 0 and lede in passage.text
    assistant.retriever.policy = RankingPolicy(lede_weight=0.0)
    (without,) = assistant.retriever.retrieve(question, 1)
    assert late in without.text and lede not in without.text, "the late chunk matches better"
