"""The LangChain edge of retrieval: `NewsRetriever`, a real `BaseRetriever`.

It runs the same `Retriever.search` that every question takes and converts passages to
LangChain `Document`s here, at the edge, so no LangChain type travels further. Use it in
any LCEL chain:

    retriever = assistant.as_retriever(search_kwargs={"k": 2})
    retriever.invoke("Who founded Mistral?")            # 2 documents
    retriever.invoke("Who founded Mistral?", k=4)       # 4 documents
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from ..schema import Passage
from ..text.dates import parse_date
from .search import Retriever


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
        "also_reported_by": list(p.also_reported_by),
    }
    return Document(page_content=p.text, metadata=meta, id=p.chunk_id)


class NewsRetriever(BaseRetriever):
    """A LangChain retriever over the news index: `retriever.invoke("question", k=3)`.

    `search_kwargs` holds the defaults, as in LangChain's vector-store retrievers: `k`
    (passages, default 5) and `filters` (a `Filters`). Keyword arguments to `invoke`
    override them for one call; an unknown one is refused.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Retriever
    search_kwargs: dict[str, Any] = Field(default_factory=dict)

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        **overrides: Any,
    ) -> list[Document]:
        options = {**self.search_kwargs, **overrides}
        unknown = sorted(set(options) - SEARCH_KWARGS)
        if unknown:
            raise TypeError(f"unknown search argument(s) {', '.join(unknown)}; valid: k, filters")
        k = options.get("k") or 5
        found = self.retriever.search(query, k, options.get("filters"))
        return [passage_to_document(p) for p in found.passages]


SEARCH_KWARGS = frozenset({"k", "filters"})


def document_to_passage(doc: Document) -> Passage:
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
