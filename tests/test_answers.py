"""End to end on the bundled corpus: real model, real Chroma, real answers."""

from __future__ import annotations

import pytest

from assistant import Answer, Assistant

FOUNDERS = ("Arthur Mensch", "Guillaume Lample", "Lacroix")
SEED_TITLE = "Microsoft Teams Up with Mistral AI to Diversify AI Offerings"


def test_headline_question_names_the_founders_and_cites_the_seed(corpus_assistant: Assistant):
    answer = corpus_assistant.ask("Who founded Mistral?")
    assert answer.answered
    for name in FOUNDERS:
        assert name in answer.text
    assert SEED_TITLE in [c.title for c in answer.citations]
    assert "[1]" in answer.text


def test_citation_spans_point_at_the_quoted_text(corpus_assistant: Assistant):
    answer = corpus_assistant.ask("When was Mistral 7B released?")
    assert answer.answered and "27 September 2023" in answer.text
    for c in answer.citations:
        assert c.context[c.start - c.context_start : c.end - c.context_start] == c.passage
        assert c.passage in answer.text or answer.text.count("[") >= 1


def test_every_marker_has_a_citation(corpus_assistant: Assistant):
    answer = corpus_assistant.ask("How much did Mistral raise in June 2024?")
    numbers = {c.n for c in answer.citations}
    assert numbers == set(range(1, len(numbers) + 1))
    for sentence in answer.sentences:
        assert set(sentence.citations) <= numbers
    assert "600 million" in answer.text


@pytest.mark.parametrize(
    "question", ["What is the capital of Australia?", "Who won the 2022 World Cup?"]
)
def test_unanswerable_question_gets_no_invented_answer(corpus_assistant: Assistant, question):
    answer = corpus_assistant.ask(question)
    assert not answer.answered
    assert answer.citations == ()
    assert "does not cover" in answer.text
    assert answer.related, "the closest articles are listed instead"


def test_markdown_lists_numbered_sources(corpus_assistant: Assistant):
    answer = corpus_assistant.ask("Who founded Mistral?")
    rendered = str(answer)
    assert "**Sources**" in rendered
    assert rendered.count("\n[1] ") == 1


def test_json_shape_is_stable(corpus_assistant: Assistant):
    data = corpus_assistant.ask("Who founded Mistral?").to_json()
    assert {"question", "answer", "answered", "citations"} <= data.keys()
    keys = {"n", "article_id", "title", "source", "published", "url", "passage", "start", "end"}
    assert data["citations"] and keys <= data["citations"][0].keys()
    assert data["citations"][0]["published"] == "2024-02-26"


def test_retriever_works_as_a_langchain_retriever(corpus_assistant: Assistant):
    from langchain_core.retrievers import BaseRetriever

    retriever = corpus_assistant.as_retriever(k=3)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke("Mixtral mixture of experts")
    assert len(docs) == 3
    assert "Mixtral" in docs[0].metadata["title"]


def test_empty_question_is_refused(corpus_assistant: Assistant):
    from assistant import AssistantError

    with pytest.raises(AssistantError, match="empty"):
        corpus_assistant.ask("   ")


def test_answer_is_a_frozen_value(corpus_assistant: Assistant):
    answer = corpus_assistant.ask("What is Le Chat?")
    assert isinstance(answer, Answer)
    with pytest.raises(AttributeError):
        answer.text = "changed"  # type: ignore[misc]
