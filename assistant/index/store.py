"""The index: a catalog of articles and chunks, their vectors in Chroma, and keyword
search beside them.

`Index` is the one object the rest of the package talks to; it composes a backend (the
storage seam, backend.py: the catalog, the keyword search and the writer lock, in SQLite
and Tantivy or in PostgreSQL) with the chunk vectors, and owns the order in which a write
touches them. The catalog is the source of truth for what is indexed, changed in one
transaction per write. A changed article's new vectors and keyword documents are written
before the catalog switches to them and its old ones are deleted after, so a crash at any
point leaves at worst vectors and documents the catalog does not list; searches ignore
those, and `Index.recover()` (run by every ingest) sweeps them when a write was left
unfinished. `Index.writer_lock()` is held by every ingest: the embedded backend keeps
writers one at a time, PostgreSQL lets them run side by side. On a Chroma server each
catalog has its own collection.

Not here: deciding what to ingest (the ingest package) or how to rank (retrieval).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexError_
from ..schema import Article, Chunk
from . import catalog, catalog_write, recovery, vector_store
from .backend import Backend
from .catalog import (
    CATALOG_FILE,
    FileRecord,
    IndexStats,
    SentenceVectors,
    Span,
    StoredChunk,
)
from .connection import Connection
from .embedded import EmbeddedBackend
from .keywords import KeywordDoc, KeywordIndex
from .postgres import PostgresBackend
from .recovery import crash_point
from .scope import OVERFETCH, Scope
from .vector_store import COLLECTION


class Index:
    """Chroma vectors (in `index_dir`, or on a Chroma server) beside a backend that holds
    the catalog and the keyword search: in `index_dir`, or in the PostgreSQL database at
    `catalog_url`."""

    def __init__(
        self,
        index_dir: Path,
        chroma_url: str | None = None,
        embedding_model: str | None = None,
        catalog_url: str | None = None,
    ) -> None:
        self.dir = Path(index_dir)
        self.chroma_url = chroma_url
        self.embedding_model = embedding_model
        self.store: Backend = (
            PostgresBackend(catalog_url, embedding_model)
            if catalog_url
            else EmbeddedBackend(self.dir, embedding_model)
        )
        self._collection: Any = None
        self._open_lock = threading.Lock()

    # -- opening -----------------------------------------------------------------------

    @property
    def catalog_path(self) -> Path:
        return self.dir / CATALOG_FILE

    def exists(self) -> bool:
        """Whether an ingest made this index. Reading counts and stats of an index that does
        not exist creates nothing; any other use creates an empty one (ingest's job)."""
        return self.store.exists()

    @property
    def db(self) -> Connection:
        """This thread's connection to the catalog."""
        return self.store.db

    @property
    def collection(self) -> Any:
        """The Chroma collection, opened once, by the first thread that needs it."""
        collection = self._collection
        if collection is None:
            with self._open_lock:  # the first questions arrive together (Gradio's workers)
                if self._collection is None:
                    self._collection = self._open_vectors()
                collection = self._collection
        return collection

    @property
    def vectors_location(self) -> str:
        """Where this Index was told the vectors are: a server's URL, or EMBEDDED."""
        return self.chroma_url or catalog.EMBEDDED

    def _open_vectors(self) -> Any:
        """The collection where the catalog says the vectors are, or a refusal naming that
        place: opened elsewhere, an index would make an empty collection and answer from
        keywords alone. An index with no chunks may move; one on a server that is reached
        at another address may too, when the collection is there."""
        recorded = catalog.vectors_location(self.db)
        if recorded in (None, self.vectors_location) or self.chunk_count() == 0:
            return vector_store.open_collection(self.dir, self.chroma_url, self.collection_name)
        if recorded != catalog.EMBEDDED and self.chroma_url:
            moved = vector_store.open_collection(
                self.dir, self.chroma_url, self.collection_name, create=False
            )
            if moved is not None:
                catalog.record_vectors_location(self.db, self.chroma_url)
                return moved
        raise IndexError_(misplaced(self.store.location, recorded, self.chroma_url))

    @property
    def keyword(self) -> KeywordIndex:
        """The embedded backend's Tantivy index (tests and benchmarks look inside it)."""
        if not isinstance(self.store, EmbeddedBackend):
            raise IndexError_(f"{self.store.location} ranks keywords in its own database")
        return self.store.keyword

    @property
    def collection_name(self) -> str:
        """One collection per catalog on a server, so that catalogs never sweep each other.

        The embedded store lives inside the index folder, so there it keeps a fixed name.
        """
        if not self.chroma_url:
            return COLLECTION
        with self.db:
            self.db.execute(
                "INSERT INTO meta VALUES ('collection', ?) ON CONFLICT (key) DO NOTHING",
                (f"{COLLECTION}_{uuid.uuid4().hex[:12]}",),
            )
        return str(self.db.execute("SELECT value FROM meta WHERE key='collection'").fetchone()[0])

    # -- reading: see catalog.py and vector_store.py for what each returns ---------------

    def versions(self) -> dict[str, str]:
        return catalog.versions(self.db)

    def url_keys(self) -> dict[str, str]:
        return catalog.url_keys(self.db)

    def file_records(self) -> dict[str, FileRecord]:
        return catalog.file_records(self.db)

    def articles_by_path(self, paths: Iterable[str]) -> dict[str, list[str]]:
        return catalog.articles_by_path(self.db, paths)

    def paths_under(self, root: str) -> dict[str, list[str]]:
        return catalog.paths_under(self.db, root)

    def chunk_count(self) -> int:
        return catalog.chunk_count(self.db) if self.exists() else 0

    def get_chunks(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        return catalog.get_chunks(self.db, ids)

    def successors(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        return catalog.successors(self.db, ids)

    def neighbours(self, chunk: StoredChunk, reach: int) -> list[StoredChunk]:
        return catalog.neighbours(self.db, chunk, reach)

    def dense_search(
        self,
        vector: np.ndarray,
        n: int,
        where: dict[str, Any] | None = None,
        scope: Scope | None = None,
        spare: int = 0,
        seen: dict[int, list[tuple[str, float]]] | None = None,
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the `n` nearest chunks, best first, then up to
        `spare` more of the nearest when they come at no extra cost (Chroma's query costs
        the same for 40 results as for 80, and a scoped search reads deeper anyway).

        `seen` keeps the unfiltered searches already made for this vector, by depth: a
        question searched in its window, then in the whole index, asks Chroma for the same
        nearest chunks twice otherwise.

        `scope` limits the search to a date range and outlets. Chroma's metadata filter
        costs ~20 ms on a few thousand chunks, its search about 1 ms, so the scope is first
        applied, through the catalog, to unfiltered searches `OVERFETCH` times deeper (2x
        costs what 1x does; 4x a little more, and the scope check grows with the depth).
        Only a narrow scope, which leaves fewer than `n` of those, pays for the filtered
        search inside Chroma, which still finds `n` however few chunks the scope allows.
        """
        if n <= 0:  # without opening Chroma
            return []
        if scope is not None and where is None:
            for depth in (n * times for times in OVERFETCH):
                deep = self._nearest(vector, depth, seen)
                allowed = catalog.in_scope(self.db, [cid for cid, _ in deep], scope)
                kept = [(cid, s) for cid, s in deep if cid in allowed]
                if len(kept) >= n or len(deep) < depth:  # enough, or all chunks seen
                    return kept[: n + spare]
            return vector_store.nearest(self.collection, vector, n, where, scope)
        if scope is None and where is None:
            return self._nearest(vector, n + spare, seen)
        return vector_store.nearest(self.collection, vector, n + spare, where, scope)

    def _nearest(
        self, vector: np.ndarray, depth: int, seen: dict[int, list[tuple[str, float]]] | None
    ) -> list[tuple[str, float]]:
        """The unfiltered search `depth` deep, from `seen` when it was made already."""
        if seen is not None and depth in seen:
            return seen[depth]
        found = vector_store.nearest(self.collection, vector, depth)
        if seen is not None:
            seen[depth] = found
        return found

    def keyword_search(
        self, query: str, n: int, scope: Scope | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the `n` best chunks for any of `query`'s words, best
        first, within `scope`. Ids the catalog does not list may appear after a crash;
        the caller reads chunks through the catalog, which ignores them."""
        return self.store.keyword_search(query, n, scope)

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these chunks (so a ranking never re-embeds a chunk)."""
        if not ids:
            return {}
        return vector_store.stored_vectors(self.collection, ids)

    def sentence_vectors(self, article_id: str, start: int, end: int) -> dict[Span, np.ndarray]:
        return catalog.sentence_vectors(self.db, article_id, start, end)

    def sentence_matrix(self, ids: Sequence[str]) -> tuple[list[str], list[int], np.ndarray]:
        return catalog.sentence_matrix(self.db, ids)

    def newest_published(self) -> date | None:
        return catalog.newest_published(self.db)

    def count_articles(self, scope: Scope | None = None) -> int:
        return catalog.count_articles(self.db, scope)

    def ledes(self, scope: Scope | None = None) -> list[StoredChunk]:
        """The first chunk of each article the scope allows, newest first."""
        return catalog.ledes(self.db, scope)

    def closest_ledes(self, day: date, n: int, scope: Scope | None = None) -> list[StoredChunk]:
        """The first chunks of the `n` dated articles published closest to `day`."""
        return catalog.closest_ledes(self.db, day, n, scope)

    def newest_titles(self, n: int) -> list[str]:
        return catalog.newest_titles(self.db, n)

    def stats(self) -> IndexStats:
        """What the index holds; all zeros for an index not yet made (without making it)."""
        if not self.exists():
            return IndexStats(0, 0, (), None, None)
        return catalog.stats(self.db)

    def sources(self) -> tuple[str, ...]:
        return catalog.sources(self.db) if self.exists() else ()

    # -- writing -----------------------------------------------------------------------

    def write(
        self,
        items: Sequence[tuple[Article, list[Chunk]]],
        vectors: np.ndarray,
        files: Sequence[FileRecord] = (),
        sentences: Sequence[SentenceVectors] = (),
    ) -> None:
        """Add or replace these articles with their chunks; `vectors` row i is chunk i.

        `sentences`, if given, holds chunk i's sentence vectors at i, spans in article
        coordinates. An article replaces the indexed one with the same id or the same
        canonical URL.
        `files` records files whose every article is now indexed, so that an unchanged file
        is not even parsed next time.
        """
        chunks = [c for _, cs in items for c in cs]
        if len(chunks) != len(vectors) or (sentences and len(sentences) != len(chunks)):
            raise ValueError("one vector (and one list of sentence vectors) per chunk is required")
        if chunks:
            self.store.will_write([c.id for c in chunks])
            vector_store.upsert(self.collection, items, vectors)
            catalog.record_vectors_location(self.db, self.vectors_location)
            self.store.keyword_write(
                KeywordDoc(c.id, a.title, c.text, a.published, a.source)
                for a, cs in items
                for c in cs
            )
        crash_point("upserted")
        stale = catalog_write.swap(self.db, items, files, sentences, self.store)
        crash_point("swapped")
        self._delete_chunks(stale)

    def delete(self, article_ids: Iterable[str]) -> int:
        """Remove articles and their chunks; returns how many articles were removed."""
        ids = list(article_ids)
        if not ids:
            return 0
        self.store.will_write(())
        stale = catalog_write.remove_articles(self.db, ids, self.store)
        self._delete_chunks(stale)
        return len(ids)

    def _delete_chunks(self, ids: list[str]) -> None:
        """Delete the vectors and keyword documents of chunks the catalog no longer lists."""
        if ids:  # a write that replaced nothing need not open Chroma
            vector_store.delete(self.collection, ids)
            self.store.keyword_write((), delete=ids)

    def sweep(self, suspects: frozenset[str] | None = None) -> int:
        """Delete vectors and keyword documents that the catalog does not list (left by an
        interrupted write), and give any listed chunk without a keyword document one.
        `suspects` limits the vectors looked at to these chunk ids (a backend that knows
        what a dead writer was writing). Returns how many vectors and documents were
        removed."""
        if suspects is not None:
            listed = catalog.listed(self.db, sorted(suspects))
            orphans = sorted(suspects - listed)
            if orphans:
                vector_store.delete(self.collection, orphans)
            return len(orphans)
        known = {r[0] for r in self.db.execute("SELECT id FROM chunks")}
        orphans = [i for i in vector_store.all_ids(self.collection) if i not in known]
        if orphans:
            vector_store.delete(self.collection, orphans)
        return len(orphans) + self.store.keyword_sweep(known)

    # -- crash recovery and the writer lock ----------------------------------------------

    def mark_clean(self) -> None:
        """Every write since the ingest began finished: no orphan vectors are possible."""
        self.store.mark_clean()

    def recover(self) -> int:
        """After an interrupted ingest, delete its orphan vectors; returns how many.

        Cheap when the last ingest finished: the backend knows whether a write was left
        unfinished, and what to sweep when one was.
        """
        return self.store.recover(self.sweep)

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Hold the index's writer lock, or fail at once naming the process that holds it."""
        with ExitStack() as held:
            if self.store.concurrent_writers and not self.chroma_url:
                # Writers may share the catalog, but not an embedded vector store.
                held.enter_context(recovery.writer_lock(self.dir))
            held.enter_context(self.store.writer_lock())
            try:
                yield
            finally:
                self.store.release()

    def close(self) -> None:
        self.store.close()


def misplaced(where: str, recorded: str, chroma_url: str | None) -> str:
    """Why an index cannot be opened where it was asked to be, and how to open it."""
    if recorded == catalog.EMBEDDED:
        return (
            f"the vectors of {where} are inside that folder, not on the Chroma "
            f"server at {chroma_url}: open it without --chroma-url (and ASSISTANT_CHROMA_URL)"
        )
    if recorded == catalog.SOME_SERVER:
        there = "on a Chroma server whose address it did not record"
        fix = "give --chroma-url the address of that server"
    else:
        there = f"on the Chroma server at {recorded}"
        fix = f"open it with --chroma-url {recorded} (or ASSISTANT_CHROMA_URL={recorded})"
    if chroma_url:
        there += f", and {chroma_url} does not hold them"
    return f"the vectors of {where} are {there}: {fix}"
