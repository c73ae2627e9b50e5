"""Question -> ranked passages: dense (Chroma) and keyword (FTS5) search, fused.

Reciprocal rank fusion merges the two rankings without comparing their incomparable
scores. Each passage carries the cosine similarity of its chunk to the question, which
the answerer's evidence gate reads. `NewsRetriever` exposes the same search as a LangChain
`BaseRetriever` for use in other chains; LangChain `Document`s exist only at that edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .embeddings import Embedder
from .index import Index, StoredChunk
from .schema import Filters, Passage

RRF_K = 60  # the constant from Cormack et al. (2009); rankings are robust to it


@dataclass(frozen=True)
class SearchResult:
    """The passages for a question, and the question's own vector for reuse downstream."""

    passages: list[Passage]
    query_vector: np.ndarray


class Retriever:
    """Hybrid search over one index."""

    def __init__(
        self, index: Index, embedder: Embedder, candidates: int = 40, per_article: int = 2
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.candidates = candidates
        self.per_article = per_article

    def search(self, question: str, k: int = 5, filters: Filters | None = None) -> SearchResult:
        query = self.embedder.embed_query(question)
        n = max(self.candidates, 4 * k)
        dense = self.index.dense_search(query, n)
        keyword = self.index.keyword_search(question, n)
        fused = reciprocal_rank_fusion([dense, keyword])
        stored = self.index.get_chunks([cid for cid, _ in fused])
        similarity = dict(dense)
        ranked = [stored[cid] for cid, _ in fused if cid in stored]
        if filters:
            ranked = [c for c in ranked if filters.admits(c.published, c.source)]
        picked = _limit_per_article(ranked, self.per_article)[:k]
        missing = [c.id for c in picked if c.id not in similarity]
        similarity.update(self._similarities(query, missing))
        passages = [_passage(c, similarity[c.id]) for c in picked]
        return SearchResult(passages, query)

    def retrieve(self, question: str, k: int = 5, filters: Filters | None = None) -> list[Passage]:
        return self.search(question, k, filters).passages

    def _similarities(self, query: np.ndarray, ids: list[str]) -> dict[str, float]:
        """Cosine similarity for keyword-only hits, which dense search did not score."""
        if not ids:
            return {}
        texts = [c.text for c in self.index.get_chunks(ids).values()]
        vectors = self.embedder.embed(texts)
        return {cid: float(v @ query) for cid, v in zip(ids, vectors, strict=True)}


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[tuple[str, float]]], k: int = RRF_K
) -> list[tuple[str, float]]:
    """Merge rankings of ids: each id scores sum(1 / (k + rank)) over the rankings."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, (item, _) in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: kv[1], reverse=True)


def _limit_per_article(chunks: list[StoredChunk], limit: int) -> list[StoredChunk]:
    counts: dict[str, int] = {}
    out = []
    for chunk in chunks:
        counts[chunk.article_id] = counts.get(chunk.article_id, 0) + 1
        if counts[chunk.article_id] <= limit:
            out.append(chunk)
    return out


def _passage(chunk: StoredChunk, score: float) -> Passage:
    return Passage(
        chunk_id=chunk.id,
        article_id=chunk.article_id,
        text=chunk.text,
        start=chunk.start,
        end=chunk.end,
        title=chunk.title,
        score=score,
        source=chunk.source,
        published=chunk.published,
        url=chunk.url,
    )


def passage_to_document(p: Passage) -> Document:
    meta: dict[str, Any] = {
        "chunk_id": p.chunk_id,
        "article_id": p.article_id,
        "title": p.title,
        "source": p.source,
        "published": p.published.isoformat() if p.published else None,
        "url": p.url,
        "start": p.start,
        "end": p.end,
        "score": p.score,
    }
    return Document(page_content=p.text, metadata=meta, id=p.chunk_id)


class NewsRetriever(BaseRetriever):
    """A LangChain retriever over the news index: `retriever.invoke("question")`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Retriever
    k: int = 5
    filters: Filters | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [
            passage_to_document(p) for p in self.retriever.retrieve(query, self.k, self.filters)
        ]
