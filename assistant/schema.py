"""The plain, frozen records that cross module boundaries.

Article -> Chunk (at ingest), Passage (a retrieved chunk with its article's metadata),
Citation and Answer (what a user gets). No LangChain or Chroma type appears here: those
are converted at the edge of the module that uses them.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Article:
    """One news article, as read from a file, feed or page."""

    id: str
    title: str
    text: str
    url: str | None = None
    published: date | None = None
    source: str | None = None
    authors: tuple[str, ...] = ()
    path: str | None = None

    @property
    def version(self) -> str:
        """A hash of everything that is indexed: a changed hash means re-embed."""
        parts = [
            self.title,
            self.text,
            self.url or "",
            str(self.published or ""),
            self.source or "",
            "|".join(self.authors),
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Chunk:
    """A span of an article's text, small enough for the embedding model's window."""

    id: str
    article_id: str
    index: int
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk together with what a citation needs to show of its article."""

    chunk_id: str
    article_id: str
    text: str
    start: int
    end: int
    title: str
    score: float
    source: str | None = None
    published: date | None = None
    url: str | None = None
    also_reported_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Filters:
    """Which articles a question may draw on. `as_of` also anchors relative dates."""

    as_of: date | None = None
    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()

    def admits(self, published: date | None, source: str | None) -> bool:
        """Whether an article with this date and outlet passes the filters."""
        latest = min((d for d in (self.as_of, self.until) if d), default=None)
        if latest and (published is None or published > latest):
            return False
        if self.since and (published is None or published < self.since):
            return False
        return not self.sources or (source or "") in self.sources


@dataclass(frozen=True)
class Citation:
    """A numbered source: the article and the exact span of it that is cited."""

    n: int
    article_id: str
    title: str
    source: str | None
    published: date | None
    url: str | None
    passage: str
    start: int
    end: int
    # The retrieved chunk around the cited span, for showing it in context.
    context: str = ""
    context_start: int = 0

    @classmethod
    def of_span(cls, n: int, passage: Passage, text: str, start: int, end: int) -> Citation:
        """Citation number `n`: the span `text` (article offsets start..end) of `passage`."""
        return cls(
            n=n,
            article_id=passage.article_id,
            title=passage.title,
            source=passage.source,
            published=passage.published,
            url=passage.url,
            passage=text,
            start=start,
            end=end,
            context=passage.text,
            context_start=passage.start,
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        return data


def passage_json(p: Passage) -> dict[str, Any]:
    """A related (uncited) article, as `ask --json` lists it when nothing answers."""
    return {
        "article_id": p.article_id,
        "title": p.title,
        "source": p.source,
        "published": p.published.isoformat() if p.published else None,
        "url": p.url,
        "score": round(p.score, 4),
    }


@dataclass(frozen=True)
class Sentence:
    """One sentence of an answer, the citations behind it and how well they support it."""

    text: str
    citations: tuple[int, ...]
    support: float


@dataclass(frozen=True)
class Answer:
    """What `ask()` returns. `str(answer)` is Markdown: the text, then the numbered sources."""

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    answered: bool = True
    sentences: tuple[Sentence, ...] = field(default_factory=tuple)
    related: tuple[Passage, ...] = ()

    def __str__(self) -> str:
        from .citations import render_markdown

        return render_markdown(self)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape of `assistant ask --json`."""
        return {
            "question": self.question,
            "answer": self.text,
            "answered": self.answered,
            "citations": [c.to_json() for c in self.citations],
            "sentences": [
                {"text": s.text, "citations": list(s.citations), "support": round(s.support, 4)}
                for s in self.sentences
            ],
            "related": [passage_json(p) for p in self.related],
        }
