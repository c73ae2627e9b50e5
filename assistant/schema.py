"""The plain, frozen records that cross module boundaries.

Article -> Chunk (at ingest), Passage (a retrieved chunk with its article's metadata),
Citation and Answer (what a user gets). No LangChain or Chroma type appears here: those
are converted at the edge of the module that uses them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from .text.markdown import escape_markdown, escape_markdown_keep_markers, safe_url


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
    # The chunk's sentences (article offsets): what ingest stores a vector for.
    sentences: tuple[tuple[int, int], ...] = ()


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
    # The conversation's previous answer cited this article: a follow-up is most likely
    # about it ("When did it happen?"), so the answerer takes weaker evidence from it.
    followed: bool = False
    # Found outside the calendar window the question names, after the window's own
    # passages ("this week": older coverage of the story), for context: not answered from.
    background: bool = False


@dataclass(frozen=True)
class Filters:
    """Which articles a question may draw on. `as_of` also anchors relative dates."""

    as_of: date | None = None
    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()


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

    def source_line(self) -> str:
        """`Title — Outlet, 2024-02-26` in Markdown, escaped, linked when the URL is safe."""
        title = escape_markdown(self.title)
        head = f"[{title}](<{self.url}>)" if self.url and safe_url(self.url) else title
        date = self.published.isoformat() if self.published else ""
        details = ", ".join(x for x in (escape_markdown(self.source or ""), date) if x)
        return f"{head} — {details}" if details else head

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

    def told(self) -> str:
        """The sentence as the answer's text shows it: its words, then its markers."""
        return f"{self.text} {''.join(f'[{n}]' for n in self.citations)}"


def told(sentences: Iterable[Sentence]) -> str:
    """An answer's text made of its sentences, each told with its markers."""
    return " ".join(s.told() for s in sentences)


def words(sentences: Iterable[Sentence]) -> int:
    """How many words the sentences hold, their markers not counted."""
    return sum(len(s.text.split()) for s in sentences)


# What an answer may hold before its sources: at most this many sentences and words,
# whatever note goes before them ("From 31 August 2022, before this week (…):").
ANSWER_SENTENCES = 3
ANSWER_WORDS = 80


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation: what was asked, and what was answered.

    `question` is the standalone form when one is known (`Answer.question`), and `answer`
    the reply's text (its short answer first, if it had one): follow-ups are understood
    from the names in both ("and who invested?" after an answer naming Mistral AI).
    `articles` are the ids of the articles the answer cited, in citation order: the story
    the next question most likely follows.
    """

    question: str
    answer: str = ""
    articles: tuple[str, ...] = ()

    @classmethod
    def of(cls, answer: Answer) -> Turn:
        """The turn an Answer closes."""
        if not answer.answered:
            return cls(answer.question)
        lead = f"{answer.short_answer}. " if answer.short_answer else ""
        articles = tuple(dict.fromkeys(c.article_id for c in answer.citations))
        return cls(answer.question, lead + answer.text, articles)


# An earlier question, or an earlier turn with its answer (`Assistant.ask(history=...)`).
HistoryItem = str | Turn


@dataclass(frozen=True)
class Answer:
    """What `ask()` returns. `str(answer)` is Markdown: the text, then the numbered sources."""

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    answered: bool = True
    sentences: tuple[Sentence, ...] = field(default_factory=tuple)
    related: tuple[Passage, ...] = ()
    # The passages the answer was drawn from, in rank order (not part of its JSON).
    passages: tuple[Passage, ...] = ()
    # The span that answers (a name, a place, a date, a number), when one is well supported.
    short_answer: str | None = None

    def __str__(self) -> str:
        return self.markdown()

    def markdown(self) -> str:
        """The answer text, then its numbered sources (or the closest articles), escaped."""
        return "\n".join(
            [*self._lead(), escape_markdown_keep_markers(self.text), *self._source_lines()]
        )

    def _lead(self) -> list[str]:
        """The short answer, bold, on a line of its own before the cited sentences."""
        return [f"**{escape_markdown(self.short_answer)}**", ""] if self.short_answer else []

    def sources_markdown(self) -> str:
        """Only the numbered sources (or closest articles), for after a streamed answer."""
        return "\n".join(self._source_lines()).strip("\n")

    def _source_lines(self) -> list[str]:
        lines: list[str] = []
        if self.citations:
            lines += ["", "**Sources**", ""]
            for c in self.citations:
                quote = escape_markdown(" ".join(c.passage.split()))
                lines.append(f"[{c.n}] {c.source_line()}  \n> {quote}")
        elif self.related:
            lines += ["", "**Closest articles**", ""]
            for p in self.related:
                date = f", {p.published.isoformat()}" if p.published else ""
                outlet = escape_markdown(p.source or "")
                lines.append(f"- {escape_markdown(p.title)} — {outlet}{date}")
        return lines

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape of `assistant ask --json`."""
        return {
            "question": self.question,
            "answer": self.text,
            "short_answer": self.short_answer,
            "answered": self.answered,
            "citations": [c.to_json() for c in self.citations],
            "sentences": [
                {"text": s.text, "citations": list(s.citations), "support": round(s.support, 4)}
                for s in self.sentences
            ],
            "related": [passage_json(p) for p in self.related],
        }
