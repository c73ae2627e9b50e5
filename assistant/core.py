"""`Assistant`: wires settings, index, retrieval and answering into one object.

Everything heavy (the model, the Chroma client) is created on first use and owned by the
Assistant, so building one is instant and nothing loads at import time. The retrieval
chain is a LangChain runnable: the `NewsRetriever` feeds the answerer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from langchain_core.documents import Document
from langchain_core.runnables import Runnable, RunnableLambda, RunnableParallel, RunnablePassthrough

from .answering import Answerer, make_answerer
from .chunking import Chunker
from .config import Settings, default_index_dir
from .embeddings import Embedder
from .errors import AssistantError, IndexError_
from .index import Index, IndexStats
from .ingest import Ingestor, IngestReport, Progress
from .retrieval import NewsRetriever, Retriever
from .schema import Answer, Filters, Passage
from .sources import parse_date
from .verify import Checked

log = logging.getLogger("assistant")


class Assistant:
    """A news corpus you can ask questions about.

    >>> assistant = Assistant(index_dir="/tmp/news-index")
    >>> assistant.ingest(["corpus/"])
    >>> print(assistant.ask("Who founded Mistral?"))
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        answerer: Answerer | None = None,
        auto_ingest: bool | None = None,
        **overrides: Any,
    ) -> None:
        self.settings = (settings or Settings.from_env()).replace(**overrides)
        self._answerer = answerer
        # Only the default index fills itself from the bundled corpus; an index the user
        # named stays exactly as the user built it.
        self.auto_ingest = (
            self.settings.index_dir == default_index_dir() if auto_ingest is None else auto_ingest
        )

    @cached_property
    def embedder(self) -> Embedder:
        return Embedder(
            self.settings.embedding_model,
            self.settings.batch_size,
            backend=self.settings.embedding_backend,
        )

    @cached_property
    def index(self) -> Index:
        return Index(
            self.settings.index_dir, self.settings.chroma_url, self.settings.embedding_model
        )

    @cached_property
    def chunker(self) -> Chunker:
        return Chunker(self.embedder.tokenizer, self.embedder.max_tokens)

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.index, self.embedder)

    @cached_property
    def answerer(self) -> Answerer:
        return self._answerer or make_answerer(
            self.settings.llm, self.embedder, self.settings, self.index.sentence_vectors
        )

    def as_retriever(self, k: int | None = None, filters: Filters | None = None) -> NewsRetriever:
        """This index as a LangChain retriever, for use in other chains."""
        return NewsRetriever(retriever=self.retriever, k=k or self.settings.k, filters=filters)

    def chain(self, k: int | None = None, filters: Filters | None = None) -> Runnable[str, Answer]:
        """question -> Answer, as a LangChain runnable: the retriever feeds the answerer."""
        gather = RunnableParallel(
            question=RunnablePassthrough(), documents=self.as_retriever(k, filters)
        )
        return gather | RunnableLambda(self._answer_documents)

    def _answer_documents(self, inputs: dict[str, Any]) -> Answer:
        passages = [_document_to_passage(d) for d in inputs["documents"]]
        query_vector = self.embedder.embed_query(inputs["question"])
        return self.answerer.answer(inputs["question"], passages, query_vector)

    # -- the public verbs ------------------------------------------------------------

    def ingest(
        self,
        paths: Iterable[str | Path] | None = None,
        sync: bool = False,
        progress: Progress | None = None,
        strict: bool = False,
    ) -> IngestReport:
        """Index these files, folders, globs, URLs or `-` (default: the corpus folder).

        `progress(done, total)` is called as articles are settled; `strict` stops at the
        first failure. Raises IndexError_ if another ingest is writing to this index.
        """
        paths = list(paths) if paths is not None else [self.settings.corpus_dir]
        max_bytes = int(self.settings.max_file_mb * 1_000_000)
        # The chunker is passed lazily: it loads the model, which an ingest with nothing
        # new to embed never needs.
        ingestor = Ingestor(
            self.index,
            self.embedder,
            lambda: self.chunker,
            batch_chunks=self.settings.write_batch,
            max_bytes=max_bytes,
        )
        return ingestor.ingest(paths, sync=sync, progress=progress, strict=strict)

    def ask(
        self,
        question: str,
        k: int | None = None,
        *,
        filters: Filters | None = None,
        history: Sequence[str] = (),
    ) -> Answer:
        """Answer `question` from the index, with numbered citations.

        `filters` limits the articles drawn on; `history` holds the earlier questions of a
        conversation, so that a follow-up ("when did it launch?") can be understood.
        """
        return self.chain(k, filters).invoke(self._standalone(question, history))

    def ask_stream(
        self,
        question: str,
        k: int | None = None,
        *,
        filters: Filters | None = None,
        history: Sequence[str] = (),
    ) -> Iterator[str | Checked | Answer]:
        """Like `ask`, streamed: text deltas as the model writes them, a `Checked` as each
        sentence is verified, and last the verified Answer (the only item it must yield).

        The extractive answerer, which writes nothing, yields its text then its Answer.
        """
        standalone = self._standalone(question, history)
        documents = self.as_retriever(k, filters).invoke(standalone)
        passages = [_document_to_passage(d) for d in documents]
        query_vector = self.embedder.embed_query(standalone)
        stream = getattr(self.answerer, "stream", None)
        if stream is None:
            answer = self.answerer.answer(standalone, passages, query_vector)
            yield answer.text
            yield answer
            return
        yield from stream(standalone, passages, query_vector)

    def _standalone(self, question: str, history: Sequence[str]) -> str:
        """The question, cleaned, checked and made standalone (a model rewrites if there is one)."""
        from .chat import standalone_question

        question = " ".join(question.split())
        if not question:
            raise AssistantError("the question is empty: ask something about the news")
        self.ready()
        return standalone_question(question, history, getattr(self.answerer, "rewrite", None))

    def stats(self) -> IndexStats:
        return self.index.stats()

    def ready(self) -> None:
        """Make sure there is something to search, or say how to get there."""
        if self.index.chunk_count() > 0:
            return
        if self.auto_ingest and self.settings.corpus_dir.is_dir():
            log.info(
                "indexing %s into %s (first run)", self.settings.corpus_dir, self.settings.index_dir
            )
            report = self.ingest([self.settings.corpus_dir])
            log.info("%s", report.summary())
            if self.index.chunk_count() > 0:
                return
        raise IndexError_(
            f"the index at {self.settings.index_dir} is empty: add articles with "
            f"`assistant ingest PATH --index {self.settings.index_dir}`"
        )


def _document_to_passage(doc: Document) -> Passage:
    m = doc.metadata
    return Passage(
        chunk_id=m["chunk_id"],
        article_id=m["article_id"],
        text=doc.page_content,
        start=m["start"],
        end=m["end"],
        title=m["title"],
        score=m["score"],
        source=m.get("source"),
        published=parse_date(m.get("published")),
        url=m.get("url"),
        also_reported_by=tuple(m.get("also_reported_by") or ()),
    )
