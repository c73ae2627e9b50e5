"""End to end on the bundled corpus: real model, real Chroma, real answers."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

import assistant.answer.extractive as answering
from assistant import Answer, Assistant
from assistant.answer.extractive import ExtractiveAnswerer
from assistant.retrieval.langchain import document_to_passage as _to_passage
from assistant.schema import Passage
from tests.conftest import write, write_jsonl

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


class CountingEmbedder:
    """The real Embedder, counting the texts each `embed` call is asked for (a fake wrapper)."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.embedded: list[str] = []

    def embed(self, texts):  # type: ignore[no-untyped-def]
        self.embedded += list(texts)
        return self.inner.embed(texts)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)


def _sentence_rows(assistant: Assistant, article_id: str | None = None) -> int:
    """Sentence rows in all (orphans too), or of one article's chunks."""
    sql, args = "SELECT count(*) FROM sentence_vectors s", ()
    if article_id:
        sql += " JOIN chunks c ON c.rowid = s.chunk WHERE c.article_id = ?"
        args = (article_id,)
    return int(assistant.index.db.execute(sql, args).fetchone()[0])


def test_ingest_stores_sentence_vectors_and_deletes_them_with_the_article(make_assistant, tmp_path):
    assistant = make_assistant()
    write(tmp_path / "a.md", "# Alpha\n\nAlpha Corp was founded in 1999. It makes widgets.\n")
    write(tmp_path / "b.md", "# Beta\n\nBeta Ltd sells gadgets in Spain. Its founder is Ann Lee.\n")
    assistant.ingest([tmp_path / "a.md", tmp_path / "b.md"])
    ids = {r[0]: r[1] for r in assistant.index.db.execute("SELECT title, id FROM articles")}
    alpha = ids["Alpha"]
    assert _sentence_rows(assistant, alpha) == 2
    rows = assistant.index.db.execute(
        'SELECT s.start, s."end", a.title FROM sentence_vectors s '
        "JOIN chunks c ON c.rowid = s.chunk JOIN articles a ON a.id = c.article_id"
    ).fetchall()
    assert all(title in ("Alpha", "Beta") for *_, title in rows)
    stored = assistant.index.sentence_vectors(alpha, 0, 10**6)
    assert all(v.dtype == np.float32 and abs(np.linalg.norm(v) - 1) < 1e-5 for v in stored.values())
    assistant.index.delete([alpha])
    assert _sentence_rows(assistant, alpha) == 0
    assert _sentence_rows(assistant) == 2, "the other article keeps its sentences"


def test_stored_sentences_need_no_model_call(corpus_assistant: Assistant):
    counting = CountingEmbedder(corpus_assistant.embedder)
    answerer = ExtractiveAnswerer(counting, sentences=corpus_assistant.index.sentence_vectors)  # type: ignore[arg-type]
    question = "When was Mistral 7B released?"
    passages = [_to_passage(d) for d in corpus_assistant.as_retriever().invoke(question)]
    answer = answerer.answer(question, passages, corpus_assistant.embedder.embed_query(question))
    assert answer.answered and "27 September 2023" in answer.text
    # Only the headlines are embedded: they are candidates with no stored vector.
    titles = [p.title for p in passages]
    assert all(any(text.rstrip(".") in t for t in titles) for text in counting.embedded)
    assert len(counting.embedded) <= len(titles)
    # An index without stored sentences (an old one) still answers, by embedding them.
    old = ExtractiveAnswerer(counting)  # type: ignore[arg-type]
    assert old.answer(question, passages, corpus_assistant.embedder.embed_query(question)).answered
    assert counting.embedded


def test_stored_spans_are_the_chunks_sentences_in_article_offsets(corpus_assistant: Assistant):
    db = corpus_assistant.index.db
    for article_id, start, end, text in db.execute(
        'SELECT article_id, start, "end", text FROM chunks'
    ).fetchall():
        spans = sorted(corpus_assistant.index.sentence_vectors(article_id, start, end))
        pieces = [text[a - start : b - start] for a, b in spans]
        assert all(p == p.strip() and p for p in pieces), "exact, stripped spans"
        assert all(b <= a2 for (_, b), (a2, _) in itertools.pairwise(spans))
        assert "".join("".join(pieces).split()) == "".join(text.split()), "they cover the chunk"


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Which retailer switched off the air conditioning in its stores?", "Brightmart"),
        ("How many stores did the retailer switch the air conditioning off in?", "140"),
    ],
)
def test_the_answer_is_the_sentence_that_adds_what_was_asked(
    make_assistant, tmp_path, monkeypatch, question: str, answer: str
):
    """The sentence that restates the question shares the most with it; the answer is
    the one that holds a name for "which", a number for "how many"."""
    text = (
        "A report says the retailer switched off the air conditioning in its stores to save "
        "money. Brightmart switched off the air conditioning in 140 stores this summer, the "
        "report said. Shoppers complained about the heat on social media."
    )
    article = {"id": "ac", "title": "Heat in the aisles", "text": text}
    assistant = make_assistant()
    assert assistant.ingest([write_jsonl(tmp_path / "ac.jsonl", [article])]).ok
    got = assistant.ask(question)
    assert got.answered and answer in got.sentences[0].text
    policy = dataclasses.replace(answering.AnswerPolicy(), answer_type_weight=0.0)
    monkeypatch.setattr(assistant.answerer, "policy", policy)
    without = assistant.ask(question)
    assert answer not in without.sentences[0].text, "without the preference, the restatement"


def test_a_sentence_below_the_evidence_gate_never_answers(shared_embedder):
    """The preference for the asked-for term reorders sentences that pass the gate; it
    cannot lift one that does not, however many of the question's words it repeats."""
    close = "The decision was welcomed by residents at a meeting last week."
    far = "The ferry company chose Portlow harbour for its new terminal."
    passage = Passage("c", "a", f"{close} {far}", 0, len(close) + 1 + len(far), "t", 0.9)
    query = np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)
    vectors = {  # cosine to the question: 0.50 for `close`, 0.30 (below the gate) for `far`
        (0, len(close)): np.array([0.50, np.sqrt(1 - 0.50**2), 0.0, 0.0]),
        (len(close) + 1, passage.end): np.array([0.30, 0.0, np.sqrt(1 - 0.30**2), 0.0]),
    }
    answerer = ExtractiveAnswerer(shared_embedder, sentences=lambda *_: vectors)
    answer = answerer.answer("Which harbour did the ferry company choose?", [passage], query)
    assert answer.answered and answer.sentences[0].text == close


def test_a_sentence_of_the_story_a_conversation_follows_answers_below_the_gate(shared_embedder):
    """In a follow-up, the article the last answer cited is known to be the story: its
    sentence that holds what the question asks answers at a cosine the gate would refuse."""
    close = "The decision was welcomed by residents at a meeting last week."
    far = "The ferry company chose Portlow harbour for its new terminal."
    passage = Passage("c", "a", f"{close} {far}", 0, len(close) + 1 + len(far), "t", 0.9)
    query = np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)
    vectors = {
        (0, len(close)): np.array([0.50, np.sqrt(1 - 0.50**2), 0.0, 0.0]),
        (len(close) + 1, passage.end): np.array([0.30, 0.0, np.sqrt(1 - 0.30**2), 0.0]),
    }
    answerer = ExtractiveAnswerer(shared_embedder, sentences=lambda *_: vectors)
    question = "Which harbour did the ferry company choose?"
    followed = dataclasses.replace(passage, followed=True)
    answer = answerer.answer(question, [followed], query)
    assert answer.answered and answer.sentences[0].text == far


def test_a_name_with_a_number_is_found_in_its_sentence(corpus_assistant: Assistant):
    """ "Claude 3": the digit is no word of the sentences, so the name is its other words."""
    answer = corpus_assistant.ask("How large is Claude 3's context window?")
    assert answer.answered and "200,000" in answer.text


LISTED = """---
title: "Harbour Line Orders New Ferries"
published: 2025-05-02
---

*This article was corrected on 3 May to give the right ship names.*

The Harbour Line ferry company has ordered new ships from the Aske yard for 90 million euros.

The order covers three classes of ship:

- Skarv, a fast catamaran for the island route. It carries 300 passengers.
- Ran, a car ferry for the coastal route.
- Tern, a small electric ferry that crosses the harbour.

The first ships are due in 2027, the company said.
"""


def test_a_sentence_that_opens_a_list_answers_with_its_items(tmp_path, make_assistant):  # type: ignore[no-untyped-def]
    assistant = make_assistant()
    assert assistant.ingest([write(tmp_path / "ferries.md", LISTED)]).ok
    answer = assistant.ask("Which classes of ship does the Harbour Line order cover?")
    assert answer.answered
    lead = answer.sentences[0].text
    assert lead.startswith("The order covers three classes of ship:")
    for ship in ("Skarv", "Ran", "Tern"):
        assert ship in lead
    assert "300 passengers" not in lead  # each item's first sentence only
    assert answer.short_answer is None  # three ships are no one short answer
    (card,) = [c for c in answer.citations if "Skarv" in c.passage]
    assert card.context[card.start - card.context_start : card.end - card.context_start] == (
        card.passage
    )
    assert "Tern" in card.passage


def test_a_note_in_emphasis_never_answers(tmp_path, make_assistant):  # type: ignore[no-untyped-def]
    assistant = make_assistant()
    assert assistant.ingest([write(tmp_path / "ferries.md", LISTED)]).ok
    answer = assistant.ask("When was the Harbour Line article corrected?")
    assert all("corrected on 3 May" not in s.text for s in answer.sentences)
