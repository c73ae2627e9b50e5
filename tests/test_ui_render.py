"""The chat message's HTML (assistant/ui_render.py): pure functions on real Answers, fast."""

from __future__ import annotations

import dataclasses
from datetime import date
from html.parser import HTMLParser

import pytest

from assistant.schema import Answer, Citation, Passage
from assistant.ui.render import CONTEXT_CHARS, card_id, render_reply, source_cards, timeline

EVIL = "<img src=x onerror=alert(1)>"
ARTICLE = "Alpha one is first. Beta two is cited. Gamma three is last."


def make_citation(n: int, published: date | None, title: str = "T", **kw) -> Citation:  # type: ignore[no-untyped-def]
    return Citation(
        n=n,
        article_id=f"a{n}",
        title=title,
        source=kw.get("source", "Outlet"),
        published=published,
        url=kw.get("url"),
        passage=kw.get("passage", "cited"),
        start=kw.get("start", 0),
        end=kw.get("end", 5),
        context=kw.get("context", ""),
        context_start=0,
    )


def _passage(text: str = ARTICLE, start: int = 1000, **kw) -> Passage:  # type: ignore[no-untyped-def]
    return Passage(
        chunk_id="a1:0",
        article_id="a1",
        text=text,
        start=start,
        end=start + len(text),
        title=kw.get("title", "Title"),
        score=0.5,
        source=kw.get("source", "Outlet"),
        published=kw.get("published", date(2024, 2, 26)),
        url=kw.get("url"),
    )


def _cite(n: int, passage: Passage, sentence: str) -> Citation:
    """Citation n of `sentence`, at its offsets in the article, as the answerers make it."""
    i = passage.text.index(sentence)
    return Citation.of_span(
        n, passage, sentence, passage.start + i, passage.start + i + len(sentence)
    )


class _Tags(HTMLParser):
    """The tags, attribute names and text of an HTML fragment, as a browser would see them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: dict[str, list[str | None]] = {}
        self.text = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            self.attrs.setdefault(name, []).append(value)

    def handle_data(self, data: str) -> None:
        self.text += data


# -- escaping --------------------------------------------------------------------------------


def test_source_cards_escape_article_text():
    citation = make_citation(
        1,
        date(2024, 1, 1),
        title=EVIL,
        source="<b>Outlet</b>",
        url="javascript:alert(1)",
        passage=EVIL,
        end=len(EVIL),
        context=EVIL + "\n\n[click](javascript:alert(2)) *bold*",
    )
    html = source_cards(Answer("q", "a [1]", (citation,)))
    assert "<img" not in html and "&lt;img" in html
    assert "javascript:" not in html.replace("javascript:alert(2)", "")
    assert "<b>" not in html and "\n" not in html  # one line: it stays one HTML block
    assert "[click]" not in html and "*bold*" not in html  # no Markdown either


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '" onmouseover="alert(1)',
        "' autofocus onfocus='alert(1)",
        "[x](javascript:alert(1)) **bold** _em_ `code`",
        "</blockquote></div><div id=src-1-2>",
        "line one\n\nline two &amp; <b>three</b>",
    ],
)
def test_hostile_title_outlet_and_passage_are_only_text(hostile: str):
    passage = _passage(f"Before. {hostile} After.", title=hostile, source=hostile, url=None)
    html = source_cards(Answer("q", "a [1]", (_cite(1, passage, hostile),)))
    seen = _Tags(html)
    assert set(seen.tags) <= {"div", "span", "blockquote", "mark"}
    assert set(seen.attrs) == {"class", "id"}
    assert seen.attrs["id"] == [card_id(1, 1)]  # no injected id
    shown = " ".join(hostile.split())
    assert seen.text.count(shown) == 3  # title, outlet, cited sentence: verbatim, as text
    assert "\n" not in html
    ours = html.replace('<span class="card-n">[1]</span>', "")
    for md in "[]*_`":  # Markdown punctuation is an entity, so no renderer forms markup
        assert md not in ours, md


@pytest.mark.parametrize(
    ("url", "href"),
    [
        ("https://example.com/a?b=1&c=2", "https://example.com/a?b=1&amp;c=2"),
        ("http://example.com/x", "http://example.com/x"),
        ("javascript:alert(1)", None),
        ("data:text/html,<b>x</b>", None),
        ('https://example.com/"onmouseover=alert(1)', None),
        ("https://example.com/a'b", None),
        ("https://example.com/a b", None),
        ("ftp://example.com/file", None),
    ],
)
def test_only_plain_http_urls_become_links(url: str, href: str | None):
    html = source_cards(Answer("q", "a [1]", (_cite(1, _passage(url=url), "Beta two is cited."),)))
    if href is None:
        assert "<a " not in html and "href" not in html
    else:
        assert f'<a href="{href}" target="_blank" rel="noopener noreferrer">Title</a>' in html


# -- numbering -------------------------------------------------------------------------------


def test_markers_link_to_their_cards_and_unknown_numbers_stay_text():
    p = _passage()
    cites = (_cite(1, p, "Alpha one is first."), _cite(2, p, "Gamma three is last."))
    reply = render_reply(Answer("q", "First [1]. Last [2]. Stray [3].", cites), 4)
    assert '[1]</a>. Last <a class="cite" href="#src-4-2">[2]</a>. Stray [3].' in reply
    assert '<a class="cite" href="#src-4-1">[1]</a>' in reply
    assert "src-4-3" not in reply
    ids = [f'id="{card_id(4, n)}"' for n in (1, 2)]
    assert reply.index(ids[0]) < reply.index(ids[1])  # cards in citation order
    assert '<span class="card-n">[1]</span>' in reply and '<span class="card-n">[2]</span>' in reply


def test_the_same_number_in_another_turn_has_another_card():
    answer = Answer("q", "a [1]", (_cite(1, _passage(), "Beta two is cited."),))
    assert card_id(1, 1) != card_id(2, 1)
    assert f'id="{card_id(2, 1)}"' in render_reply(answer, 2)
    assert card_id(1, 1) not in render_reply(answer, 2)


def test_answer_text_is_escaped_but_markers_stay_links():
    answer = Answer("q", "See <b>this</b> [x](javascript:alert(1)) [1].", (make_citation(1, None),))
    reply = render_reply(answer, 3)
    assert "<b>" not in reply and "[x](javascript" not in reply
    assert '<a class="cite" href="#src-3-1">[1]</a>' in reply


# -- the cited sentence in its passage -------------------------------------------------------


@pytest.mark.parametrize(
    "sentence", ["Alpha one is first.", "Beta two is cited.", "Gamma three is last."]
)
def test_the_cited_sentence_is_marked_at_its_article_offsets(sentence: str):
    citation = _cite(1, _passage(start=1000), sentence)
    assert citation.start >= 1000  # article offsets, not offsets in the passage
    html = source_cards(Answer("q", "a [1]", (citation,)))
    marked = ARTICLE.replace(sentence, f"<mark>{sentence}</mark>")
    assert f"<blockquote>{marked}</blockquote>" in html


def test_offsets_outside_the_passage_mark_the_quote_alone():
    citation = _cite(1, _passage(), "Beta two is cited.")
    for start, end in ((5000, 5018), (990, 1005), (1030, 1030), (1040, 1020)):
        moved = dataclasses.replace(citation, start=start, end=end)
        html = source_cards(Answer("q", "a [1]", (moved,)))
        assert "<blockquote><mark>Beta two is cited.</mark></blockquote>" in html, (start, end)


def test_long_passages_are_clipped_at_words_around_the_sentence():
    words = [f"word{i}" for i in range(60)]
    before, after = " ".join(words[:30]), " ".join(words[30:])
    sentence = "The cited sentence <here>."
    passage = _passage(f"{before} {sentence} {after}", start=0)
    quote = source_cards(Answer("q", "a [1]", (_cite(1, passage, sentence),)))
    quote = quote.split("<blockquote>")[1].split("</blockquote>")[0]
    shown_before, rest = quote.split(" <mark>")
    marked, shown_after = rest.split("</mark> ")
    assert marked == "The cited sentence &lt;here&gt;."
    assert shown_before.startswith("…") and shown_after.endswith("…")
    assert len(shown_before) <= CONTEXT_CHARS + 1 and len(shown_after) <= CONTEXT_CHARS + 1
    assert set(shown_before[1:].split()) <= set(words[:30])  # whole words only
    assert set(shown_after[:-1].split()) <= set(words[30:])
    assert shown_before.endswith(words[29]) and shown_after.startswith(words[30])


# -- timeline and the rest of the message ----------------------------------------------------


def test_timeline_only_when_sources_span_several_dates():
    one_date = (make_citation(1, date(2024, 2, 26)), make_citation(2, date(2024, 2, 26)))
    assert "timeline" not in render_reply(Answer("q", "a [1][2]", one_date), 1)
    spread = (make_citation(1, date(2024, 2, 26)), make_citation(2, date(2023, 6, 13)))
    reply = render_reply(Answer("q", "a [1][2]", spread), 1)
    assert 'class="timeline"' in reply
    assert reply.index("2023-06-13") < reply.index("2024-02-26")  # oldest first


def test_timeline_groups_one_days_sources_and_skips_undated_ones():
    cites = (
        make_citation(1, date(2024, 2, 26)),
        make_citation(2, date(2023, 6, 13)),
        make_citation(3, date(2024, 2, 26)),
        make_citation(4, None),
    )
    stops = _Tags(timeline(cites, 2)).text.split("2024-02-26")
    assert stops[0] == "2023-06-13 [2]" and stops[1] == " [1] [3]"
    assert "src-2-4" not in timeline(cites, 2)


def test_unanswered_lists_closest_articles_escaped():
    related = (Passage("c", "a", "t", 0, 1, EVIL, 0.1, "Outlet", date(2024, 1, 1)),)
    reply = render_reply(Answer("q", "Not covered.", (), False, (), related), 1)
    assert "Closest articles" in reply and "&lt;img" in reply and "<img" not in reply


def test_a_reply_without_sources_is_its_text_alone():
    assert (
        render_reply(Answer("q", "Nothing *found*.", answered=False), 1) == "Nothing \\*found\\*."
    )
