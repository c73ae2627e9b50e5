"""The public seams: one path for a question, the LangChain retriever's arguments, injected
parts, the answerer registry and the entry points."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from langchain_core.runnables import RunnableLambda

import assistant
from assistant import Answer, Assistant
from assistant.answer.base import Answerer
from assistant.answer.extractive import ExtractiveAnswerer
from assistant.answer.llm import LLMAnswerer
from assistant.answer.registry import ANSWERERS, make_answerer
from assistant.embedding import fake_embedder
from assistant.errors import BackendError
from assistant.evaluation import Question, evaluate
from assistant.schema import Passage
from tests.conftest import write

ROOT = Path(__file__).resolve().parents[1]


def test_as_retriever_takes_search_kwargs_and_invoke_takes_k(corpus_assistant: Assistant):
    retriever = corpus_assistant.as_retriever(search_kwargs={"k": 2})
    assert len(retriever.invoke("Mixtral mixture of experts")) == 2
    assert len(retriever.invoke("Mixtral mixture of experts", k=4)) == 4
    with pytest.raises(TypeError, match="unknown search argument"):
        retriever.invoke("Mixtral", top_k=3)


def test_the_retriever_composes_in_an_lcel_chain(corpus_assistant: Assistant):
    titles = RunnableLambda(lambda docs: [d.metadata["title"] for d in docs])
    chain = corpus_assistant.as_retriever(search_kwargs={"k": 3}) | titles
    got = chain.invoke("Who founded Mistral?")
    assert len(got) == 3 and all(isinstance(t, str) for t in got)


class _Counting(Answerer):
    """Records what the pipeline hands the answerer."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Passage], np.ndarray]] = []

    def answer(self, question: str, passages: list[Passage], query_vector: np.ndarray) -> Answer:
        self.calls.append((question, passages, query_vector))
        return Answer(question, "counted")


def _counted(base: Assistant) -> tuple[Assistant, _Counting]:
    """An Assistant on `base`'s index and model whose answerer records its calls."""
    counting = _Counting()
    mine = Assistant(
        base.settings,
        embedder=base.embedder,
        index=base.index,
        answerer=counting,
        auto_ingest=False,
    )
    return mine, counting


def test_ask_stream_and_eval_take_one_path_and_embed_the_question_once(
    corpus_assistant: Assistant,
):
    mine, counting = _counted(corpus_assistant)
    calls = []
    real = mine.embedder.embed

    def spy(texts):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return real(texts)

    mine.embedder.embed = spy  # type: ignore[method-assign]
    try:
        question = "Which  company invested in Mistral AI for Azure? (unseen wording)"
        answer = mine.ask(question, k=3)
    finally:
        del mine.embedder.embed
    assert [c for c in calls if any("unseen wording" in t for t in c)] == [
        [" ".join(question.split())]
    ]
    (asked, passages, vector) = counting.calls[0]
    assert asked == " ".join(question.split()) and len(passages) == 3
    assert np.array_equal(vector, mine.embedder.embed_query(asked)), "the search's vector"
    assert answer.passages == tuple(passages), "the Answer carries what it was answered from"
    streamed = list(mine.ask_stream(question, k=3))
    assert streamed[0] == "counted" and isinstance(streamed[-1], Answer)
    result = evaluate(mine, [Question("q1", question, ("Microsoft",))], k=3)
    assert counting.calls[-1][0] == asked, "eval asks exactly what a user's question asks"
    assert result.outcomes[0].article_ids == tuple(p.article_id for p in passages)


def test_follow_ups_are_rewritten_on_every_path(corpus_assistant: Assistant):
    mine, counting = _counted(corpus_assistant)
    mine.ask("when was it founded?", history=["What is Mistral AI?"])
    list(mine.ask_stream("when was it founded?", history=["What is Mistral AI?"]))
    assert [c[0] for c in counting.calls] == ["when was Mistral AI founded?"] * 2


def test_a_fake_embedder_is_passed_in_not_assigned(tmp_path: Path):
    news = write(tmp_path / "n" / "a.md", "# Harbour news\n\nThe ferry to Wexley was cancelled.")
    mine = Assistant(index_dir=tmp_path / "index", embedder=fake_embedder(), auto_ingest=False)
    assert mine.ingest([news]).ok
    docs = mine.as_retriever(search_kwargs={"k": 1}).invoke("ferry Wexley cancelled")
    assert docs[0].metadata["title"] == "Harbour news"
    assert mine.embedder.name == "fake"


def test_answerers_declare_what_they_can_do(shared_embedder):
    assert not ExtractiveAnswerer.can_stream and not ExtractiveAnswerer.can_rewrite
    assert LLMAnswerer.can_stream and LLMAnswerer.can_rewrite
    assert set(ANSWERERS) == {"extractive", "openai", "ollama", "llamacpp"}
    with pytest.raises(BackendError, match="valid: extractive, llamacpp, ollama, openai"):
        make_answerer("gpt", shared_embedder)


def test_entry_points():
    assert assistant.__version__ and assistant.__version__ != "0.0.0+unknown"
    assert (ROOT / "assistant" / "py.typed").exists()
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"assistant {assistant.__version__}"


def _options(help_text: str) -> set[str]:
    return {w.strip("[],") for w in help_text.split() if w.startswith(("--", "[--"))}


def test_ui_offers_the_options_of_assistant_serve():
    run = [sys.executable, "-m", "assistant", "serve", "--help"]
    serve = subprocess.run(run, capture_output=True, text=True, check=True).stdout
    ui = subprocess.run(
        [sys.executable, str(ROOT / "ui.py"), "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert _options(serve) == _options(ui)
    assert {"--index", "--chroma-url", "--host", "--port", "--llm", "--model"} <= _options(ui)
