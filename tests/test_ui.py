"""The Gradio chat handler, called directly (the browser tests drive the served app)."""

from __future__ import annotations

from datetime import date

from assistant.schema import Answer, Citation
from ui import ChatHandler, build_app, source_cards


def test_handler_answers_with_source_cards(corpus_assistant):
    reply, cards = ChatHandler(corpus_assistant)("Who founded Mistral?", [])
    assert "Arthur Mensch" in reply and "[1]" in reply
    assert "Microsoft Teams Up with Mistral AI" in cards and "2024-02-26" in cards
    assert "<mark>" in cards


def test_handler_turns_errors_into_replies(make_assistant):
    reply, cards = ChatHandler(make_assistant())("Who founded Mistral?", [])
    assert reply.startswith("Sorry") and "assistant ingest" in reply and cards == ""


def test_source_cards_escape_article_text():
    evil = "<img src=x onerror=alert(1)>"
    citation = Citation(
        n=1,
        article_id="x",
        title=evil,
        source="<b>Outlet</b>",
        published=date(2024, 1, 1),
        url="javascript:alert(1)",
        passage=evil,
        start=0,
        end=len(evil),
        context=evil,
        context_start=0,
    )
    html = source_cards(Answer("q", "a [1]", (citation,)))
    assert "<img" not in html and "&lt;img" in html
    assert "javascript:" not in html and "<b>" not in html


def test_app_builds(corpus_assistant):
    app = build_app(corpus_assistant)
    assert app is not None
