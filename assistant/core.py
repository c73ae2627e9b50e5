"""`Assistant`: wires settings, index, retrieval and answering; one path for every question.

Every entry point (`ask`, `ask_stream`, the CLI, the UI, `assistant eval`) runs the same
pipeline: the question is cleaned and made standalone (follow-up rewriting, whenever
history is given), searched once (`Retriever.search`, which embeds it once and hands its
vector on), and answered by the configured answerer, whose stream ends in the Answer. A
question that asks only what happened in a window ("What happened yesterday?") is
answered by the window's digest instead (answer/digest.py). An answer says its date when
the question needs it (answer/dated.py).

The heavy parts (the model, the stores, the answerer) are created on first use, once,
under a lock, and owned by the Assistant; any of them can be passed in instead (a fake
embedder in tests, a shared index). Building an Assistant is instant and nothing loads at
import time.
"""

from __future__ import annotations

import dataclasses
import logging
import shlex
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from langchain_core.runnables import Runnable, RunnableLambda

from .answer.base import Answerer, StreamItem, Understood
from .answer.dated import dated
from .answer.digest import digest, empty_window, is_digest
from .answer.followup import standalone_question
from .answer.registry import make_answerer
from .config import Settings, default_index_dir
from .embedding import Embedder
from .errors import AssistantError, IndexError_, SettingsError
from .index import Index, IndexStats
from .ingest import Chunker, ChunkingPolicy, Ingestor, IngestReport, Progress
from .retrieval import NewsRetriever, Retriever
from .schema import Answer, Filters, HistoryItem, Passage, Turn
from .text.dates import Window, asks_current_state
from .text.nlp import Linguist

log = logging.getLogger("assistant")
_T = TypeVar("_T")


class Assistant:
    """A news corpus you can ask questions about.

    >>> assistant = Assistant(index_dir="/tmp/news-index")
    >>> assistant.ingest(["corpus/"])
    >>> print(assistant.ask("Who founded Mistral?"))

    `embedder`, `index`, `answerer` and `linguist` replace the parts the settings would build;
    `chunking` changes how articles are cut (the evaluation's cache key includes it).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        index: Index | None = None,
        answerer: Answerer | None = None,
        linguist: Linguist | None = None,
        chunking: ChunkingPolicy | None = None,
        auto_ingest: bool | None = None,
        **overrides: Any,
    ) -> None:
        self.settings = (settings or Settings.from_env()).replace(**overrides)
        self._parts: dict[str, Any] = {
            "embedder": embedder,
            "index": index,
            "answerer": answerer,
            "linguist": linguist,
        }
        self._parts_lock = threading.RLock()
        self._ready_lock = threading.Lock()
        self.chunking = chunking or ChunkingPolicy()
        # Only the default index fills itself from the bundled corpus; an index the user
        # named stays exactly as the user built it.
        self.auto_ingest = (
            self.settings.index_dir == default_index_dir() if auto_ingest is None else auto_ingest
        )

    # -- the parts, each built once, on first use ---------------------------------------

    def _part(self, name: str, build: Callable[[], _T]) -> _T:
        part = self._parts.get(name)
        if part is None:
            with self._parts_lock:  # answers come from several threads at once (Gradio)
                part = self._parts.get(name)
                if part is None:
                    part = self._parts[name] = build()
        return part

    @property
    def embedder(self) -> Embedder:
        s = self.settings
        return self._part(
            "embedder", lambda: Embedder(s.embedding_model, s.batch_size, s.embedding_backend)
        )

    @property
    def index(self) -> Index:
        s = self.settings
        return self._part(
            "index",
            lambda: Index(s.index_dir, s.chroma_url, s.embedding_model, s.catalog_url),
        )

    @property
    def linguist(self) -> Linguist:
        """spaCy's English pipeline: sentences at ingest, entities at question time."""
        return self._part("linguist", Linguist)

    @property
    def chunker(self) -> Chunker:
        e = self.embedder
        return self._part(
            "chunker", lambda: Chunker(e.tokenizer, e.max_tokens, self.chunking, self.linguist)
        )

    @property
    def retriever(self) -> Retriever:
        return self._part("retriever", lambda: Retriever(self.index, self.embedder))

    @property
    def answerer(self) -> Answerer:
        return self._part(
            "answerer",
            lambda: make_answerer(
                self.settings.llm,
                self.embedder,
                self.settings,
                self.index.sentence_vectors,
                self.linguist,
            ),
        )

    # -- LangChain ------------------------------------------------------------------------

    def as_retriever(
        self,
        search_kwargs: dict[str, Any] | None = None,
        *,
        k: int | None = None,
        filters: Filters | None = None,
    ) -> NewsRetriever:
        """This index as a LangChain retriever: `as_retriever(search_kwargs={"k": 2})`."""
        defaults = {"k": self._k(k), "filters": filters, **(search_kwargs or {})}
        return NewsRetriever(retriever=self.retriever, search_kwargs=defaults)

    def chain(self, k: int | None = None, filters: Filters | None = None) -> Runnable[str, Answer]:
        """question -> Answer as a LangChain runnable, for composing with other chains."""
        return RunnableLambda(lambda question: self.ask(question, k, filters=filters))

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
        history: Sequence[HistoryItem] = (),
    ) -> Answer:
        """Answer `question` from the index, with numbered citations.

        `filters` limits the articles drawn on; `history` holds the earlier turns of a
        conversation (`Turn`s, or only their questions as strings), so that a follow-up
        ("when did it launch?") can be understood.
        """
        final = None
        for item in self.ask_stream(question, k, filters=filters, history=history):
            if isinstance(item, Answer):
                final = item
        if final is None:
            raise AssistantError("the answerer finished without an answer")
        return final

    def ask_stream(
        self,
        question: str,
        k: int | None = None,
        *,
        filters: Filters | None = None,
        history: Sequence[HistoryItem] = (),
    ) -> Iterator[StreamItem]:
        """Like `ask`, streamed: text deltas as the model writes them, a `Checked` as each
        sentence is verified, and last the verified Answer (the only item it must yield).

        The extractive answerer, which writes nothing, yields its text then its Answer.
        The Answer carries the passages it was answered from (`Answer.passages`).
        """
        k = self._k(k)
        turns = as_turns(history)
        standalone = self.standalone(question, turns)
        if standalone != " ".join(question.split()):
            yield Understood(standalone)
        self._check_filters(filters)
        window = self.retriever.window(standalone, filters)
        if window is not None and is_digest(standalone, window):
            yield from self._digest(standalone, window, filters)
            return
        found = self.retriever.search(standalone, k, filters)
        passages = following(found.passages, turns)
        current = asks_current_state(standalone)
        for item in self.answerer.stream(standalone, passages, found.query_vector):
            if isinstance(item, Answer):
                item = dated(item, found.window, current)
                item = dataclasses.replace(item, passages=tuple(passages))
            yield item

    def _digest(
        self, question: str, window: Window, filters: Filters | None
    ) -> Iterator[Answer | str]:
        """A window's stories, for a question that asks only what happened in it."""
        ledes, vectors = self.retriever.window_ledes(window, filters)
        if ledes:
            answer = digest(question, window, ledes, vectors, self.index.sentence_vectors)
        else:
            answer = empty_window(question, window, self.retriever.closest_dated(window, filters))
        yield answer.text
        yield dataclasses.replace(answer, passages=tuple(ledes))

    def _k(self, k: int | None) -> int:
        """How many passages to retrieve: `k`, or the setting; never silently another."""
        if k is None:
            return self.settings.k
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise SettingsError(f"k must be a whole number of at least 1, got {k!r}")
        return k

    def _check_filters(self, filters: Filters | None) -> None:
        """Filters no article can pass are a mistake, not a question nothing answers:
        a date range that ends before it starts, or an outlet the index does not hold (a
        typo, `CNN` for `cnn.com`), which is refused listing the outlets there are."""
        if not filters:
            return
        ends = [(n, d) for n, d in (("until", filters.until), ("as of", filters.as_of)) if d]
        for name, end in ends:
            if filters.since and filters.since > end:
                raise SettingsError(
                    f"since ({filters.since}) is after {name} ({end}): no article can be "
                    "in that range; swap them or drop one"
                )
        if not filters.sources:
            return
        known = self.index.sources()
        unknown = [s for s in filters.sources if s not in known]
        if unknown:
            raise SettingsError(unknown_outlets(unknown, known))

    def standalone(self, question: str, history: Sequence[HistoryItem] = ()) -> str:
        """The question, cleaned, checked and made standalone (a model rewrites if there is one)."""
        question = " ".join(question.split())
        if not question:
            raise AssistantError("the question is empty: ask something about the news")
        self.ready()
        answerer = self.answerer
        rewrite = answerer.rewrite if answerer.can_rewrite else None
        return standalone_question(question, as_turns(history), rewrite, self.linguist)

    def conversation(self) -> Conversation:
        """A new conversation over this index: follow-ups understood from earlier turns."""
        return Conversation(self)

    def stats(self) -> IndexStats:
        """What the index holds (all zeros, and nothing created, if there is none yet)."""
        return self.index.stats()

    def require_index(self) -> None:
        """Refuse to go on without an index, saying how to make one: only ingest makes one,
        so that a mistyped folder is not silently answered from a new, empty index."""
        if not self.index.exists():
            where = self.settings.index_dir
            raise IndexError_(
                f"there is no index at {where}: make one with "
                f"`assistant ingest PATH --index {shlex.quote(str(where))}`"
            )

    def ready(self) -> None:
        """Make sure there is something to search, or say how to get there."""
        if self.index.chunk_count() > 0:
            return
        # The first questions may come together: one of them fills the index, the others
        # wait for it instead of failing on the writer lock it holds.
        with self._ready_lock:
            self._fill_from_corpus()

    def _fill_from_corpus(self) -> None:
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
        self.require_index()
        where = self.settings.index_dir
        raise IndexError_(
            f"the index at {where} is empty: add articles with "
            f"`assistant ingest PATH --index {shlex.quote(str(where))}`"
        )


# Outlets listed in full in an error; a big index names the rest by count.
_SHOWN_OUTLETS = 30


def as_turns(history: Sequence[HistoryItem]) -> list[Turn]:
    """Earlier turns, an earlier question given as a string becoming a Turn without answer."""
    return [h if isinstance(h, Turn) else Turn(h) for h in history]


def following(passages: Sequence[Passage], turns: Sequence[Turn]) -> list[Passage]:
    """`passages`, those of the articles the last turn's answer cited marked `followed`."""
    cited = set(turns[-1].articles) if turns else set()
    return [dataclasses.replace(p, followed=True) if p.article_id in cited else p for p in passages]


def unknown_outlets(unknown: Sequence[str], known: Sequence[str]) -> str:
    """The message for outlets the index does not hold: which, and which it does hold."""
    names = ", ".join(repr(s) for s in unknown)
    if not known:
        return f"no outlet {names} in the index: its articles name no outlet"
    close = [k for u in unknown for k in known if u.casefold() in k.casefold()]
    hint = f" (did you mean {', '.join(dict.fromkeys(close))}?)" if close else ""
    shown = ", ".join(known[:_SHOWN_OUTLETS])
    more = len(known) - _SHOWN_OUTLETS
    rest = f" and {more} more (`assistant stats` lists them)" if more > 0 else ""
    return f"no outlet {names} in the index{hint}; its outlets are: {shown}{rest}"


@dataclass
class Conversation:
    """Per-session history over one Assistant: each turn, its question standalone."""

    assistant: Assistant
    turns: list[Turn] = field(default_factory=list)

    @property
    def questions(self) -> list[str]:
        return [t.question for t in self.turns]

    def ask(self, question: str, k: int | None = None) -> Answer:
        answer = self.assistant.ask(question, k=k, history=self.turns)
        self.turns.append(Turn.of(answer))
        return answer

    def ask_stream(self, question: str, k: int | None = None) -> Iterator[StreamItem]:
        """`Assistant.ask_stream` within this conversation."""
        for item in self.assistant.ask_stream(question, k=k, history=self.turns):
            if isinstance(item, Answer):
                self.turns.append(Turn.of(item))
            yield item
