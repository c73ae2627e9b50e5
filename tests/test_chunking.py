"""Chunks fit the model's window, cover the text, and know their spans."""

from __future__ import annotations

from assistant.ingest import Chunker, ChunkingPolicy
from assistant.schema import Article
from assistant.text.nlp import Linguist


def _split(linguist: Linguist, text: str) -> list[str]:
    return [text[a:b] for a, b in linguist.sentences(text)]


def test_sentence_spans_are_exact(linguist: Linguist):
    text = "First one. Second “quoted.” Third?\n\nFourth line"
    assert _split(linguist, text) == ["First one.", "Second “quoted.”", "Third?", "Fourth line"]


def test_initials_titles_and_abbreviations_do_not_end_a_sentence(linguist: Linguist):
    text = (
        "The inquiry was led by former acting Attorney General Sally Q. Yates, who was hired "
        "by the league. Mr. Smith met Dr. Jones in the U.S. on Friday."
    )
    assert _split(linguist, text) == [
        "The inquiry was led by former acting Attorney General Sally Q. Yates, who was hired "
        "by the league.",
        "Mr. Smith met Dr. Jones in the U.S. on Friday.",
    ]


def test_a_question_inside_a_quote_does_not_end_the_sentence(linguist: Linguist):
    text = "She kept shouting, “Where is Nancy? Where is Nancy?” as officers arrived. He left."
    assert _split(linguist, text) == [
        "She kept shouting, “Where is Nancy? Where is Nancy?” as officers arrived.",
        "He left.",
    ]


def test_a_paragraph_break_ends_a_sentence(linguist: Linguist):
    text = "Biden is expected to be isolating\n\nBiden has ramped up his travel."
    assert _split(linguist, text) == [
        "Biden is expected to be isolating",
        "Biden has ramped up his travel.",
    ]


def test_chunks_never_exceed_the_model_window(shared_embedder):
    chunker = Chunker(shared_embedder.tokenizer, shared_embedder.max_tokens)
    long_sentence = " ".join(["antidisestablishmentarianism"] * 400)
    text = "Short start. " + long_sentence + ". " + "Normal sentence here. " * 200
    article = Article(id="a", title="T " * 80, text=text)
    chunks = chunker.split(article)
    title = chunker.title_for_embedding(article.title)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        embedded = chunker.policy.embed_text(title, chunk.text)
        assert shared_embedder.count_tokens(embedded) <= shared_embedder.max_tokens
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_chunk_ids_are_stable_and_versioned(shared_embedder):
    chunker = Chunker(shared_embedder.tokenizer, 256, ChunkingPolicy(chunk_tokens=32))
    article = Article(id="x", title="T", text="One sentence here. " * 30)
    assert [c.id for c in chunker.split(article)] == [c.id for c in chunker.split(article)]
    changed = Article(id="x", title="T", text="One sentence here. " * 31)
    assert chunker.split(article)[0].id != chunker.split(changed)[0].id


def test_the_title_budget_cuts_the_title_and_zero_leaves_it_out(shared_embedder):
    title = "Parliament passes the long-awaited coastal flood defence bill after a night vote"
    short = Chunker(shared_embedder.tokenizer, 256, ChunkingPolicy(title_tokens=4))
    assert title.startswith(short.title_for_embedding(title))
    assert shared_embedder.count_tokens(short.title_for_embedding(title)) <= 4 + 2
    none = Chunker(shared_embedder.tokenizer, 256, ChunkingPolicy(title_tokens=0))
    assert none.title_for_embedding(title) == ""
    assert none.policy.embed_text("", "Body.") == "Body."


def test_an_analysis_read_again_is_remembered_and_the_same(monkeypatch):  # type: ignore[no-untyped-def]
    """A sentence analysed once is not run through spaCy again (a follow-up reads the same
    sentences), and a batch mixing known, new and repeated texts keeps its order."""
    linguist = Linguist()
    first = linguist.analyse_many(["Ilse Varga designed the barge.", "It holds 4,000 books."])
    runs: list[list[str]] = []
    analyse = linguist._analyse

    def counted(texts):  # type: ignore[no-untyped-def]
        runs.append(list(texts))
        return analyse(texts)

    monkeypatch.setattr(linguist, "_analyse", counted)
    again = linguist.analyse_many(
        ["It holds 4,000 books.", "Wexley opened it on Tuesday.", "It holds 4,000 books."]
    )
    assert runs == [["Wexley opened it on Tuesday."]]
    assert again[0] == again[2] == first[1]
    assert "Tuesday" in [e.text for e in again[1].entities]
    assert [e.text for e in first[0].entities] == ["Ilse Varga"]
