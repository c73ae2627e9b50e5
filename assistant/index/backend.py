"""The storage seam: where the catalog and the keyword search live, and how writers
share them.

`Index` composes one `Backend` with the chunk vectors (vector_store.py). A backend holds
the catalog (articles, chunks, sentence vectors: the source of truth, read and written by
catalog.py and catalog_write.py through `db`), ranks chunks by their words, and keeps
concurrent writers from harming each other or a crash from leaving orphan vectors for
good. Two implementations:
    embedded.py   SQLite and Tantivy in the index folder; one writer at a time (an flock)
    postgres.py   one PostgreSQL database; writers side by side, kept apart by
                  transactions and advisory locks

Not here: the vectors (vector_store.py) or the order in which a write touches the stores
(store.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from .catalog_write import Guard
from .connection import Connection
from .keywords import KeywordDoc
from .scope import Scope

# Sweeps the vectors of these chunk ids (None: of every chunk) that the catalog does not
# list; returns how many it removed.
Sweep = Callable[[frozenset[str] | None], int]


class Backend(Guard, Protocol):
    """The catalog, the keyword search and the writer coordination of one index.

    As a `Guard`, it adds to each catalog write what its writers need to run side by side.
    """

    location: str  # names the catalog in messages: "the index at /path", or a URL
    # Whether writers in several processes may write at once (each still takes
    # `writer_lock`): the vectors must then be on a server, which they can share too.
    concurrent_writers: bool

    @property
    def db(self) -> Connection:
        """This thread's connection to the catalog, made (with its schema) on first use."""

    def exists(self) -> bool:
        """Whether an ingest made this catalog (asking creates nothing)."""

    def keyword_search(self, query: str, n: int, scope: Scope | None) -> list[tuple[str, float]]:
        """(chunk id, score) of the `n` best chunks for any of `query`'s words, best first,
        the title's words counting more than the text's. Ids the catalog does not list may
        appear after a crash."""

    def keyword_write(self, docs: Iterable[KeywordDoc], delete: Sequence[str] = ()) -> None:
        """Index these chunks' words and forget those of `delete`, before the catalog
        lists them and after it drops them (a backend whose catalog holds the words does
        nothing)."""

    def keyword_sweep(self, known: set[str]) -> int:
        """Make the keyword search hold exactly the chunks in `known`; returns how many
        documents it removed."""

    def writer_lock(self) -> AbstractContextManager[None]:
        """Held by an ingest for its whole run: what lets this writer start beside others,
        or refuses at once naming the writer in the way."""

    def will_write(self, chunk_ids: Sequence[str]) -> None:
        """Before these chunks' vectors are written: note that a crash from here on may
        leave them as orphans."""

    def mark_clean(self) -> None:
        """This writer's writes all finished: none of its vectors can be an orphan."""

    def recover(self, sweep: Sweep) -> int:
        """If a writer died mid-write, `sweep` what it may have left; returns how many
        vectors and documents were removed (cheap when none did)."""

    def release(self) -> None:
        """Let go of anything held for writing, so the next writer may be another process."""

    def close(self) -> None:
        """Close this thread's connection and let go of writers."""
