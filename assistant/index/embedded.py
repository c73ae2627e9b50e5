"""The embedded backend: the SQLite catalog and the Tantivy keyword index in the index
folder, one writer at a time.

What the README's two commands use, and what every index made before the storage seam
was. The writer lock is an flock on the folder (recovery.py), so writers never overlap
and a catalog write needs no locks of its own; a crash is found by a flag in the catalog
(set before any vector is written, cleared when the ingest ends) and repaired by a full
sweep, which lists every vector.

Not here: the queries (catalog.py, catalog_write.py), Tantivy itself (keywords.py), the
vectors (vector_store.py).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from . import catalog, recovery
from .backend import Sweep
from .catalog import CATALOG_FILE
from .catalog_write import Unguarded
from .keywords import KEYWORD_DIR, KeywordDoc, KeywordIndex
from .scope import Scope


class EmbeddedBackend(Unguarded):
    """The catalog in `folder`/catalog.sqlite3 and the keyword index in `folder`/keyword."""

    concurrent_writers = False

    def __init__(self, folder: Path, embedding_model: str | None = None) -> None:
        self.dir = Path(folder)
        self.location = f"the index at {self.dir}"
        self.embedding_model = embedding_model
        self._local = threading.local()
        self._keyword: KeywordIndex | None = None
        self._keyword_lock = threading.Lock()
        self._pending = False

    @property
    def db(self) -> sqlite3.Connection:
        """One SQLite connection per thread (Gradio answers from worker threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = catalog.connect(self.dir, self.embedding_model)
            self._local.conn = conn
        return conn

    def exists(self) -> bool:
        return (self.dir / CATALOG_FILE).exists()

    @property
    def keyword(self) -> KeywordIndex:
        """The keyword index; an index made before it existed gets one from its catalog."""
        with self._keyword_lock:
            if self._keyword is None:
                keyword = KeywordIndex(self.dir / KEYWORD_DIR)
                if not keyword.exists():
                    keyword.build(catalog.keyword_docs(self.db))
                self._keyword = keyword
            return self._keyword

    def keyword_search(self, query: str, n: int, scope: Scope | None) -> list[tuple[str, float]]:
        return self.keyword.search(query, n, scope)

    def keyword_write(self, docs: Iterable[KeywordDoc], delete: Sequence[str] = ()) -> None:
        self.keyword.write(docs, delete=delete)

    def keyword_sweep(self, known: set[str]) -> int:
        held = self.keyword.ids()
        stray = sorted(held - known)
        missing = known - held
        if stray or missing:
            self.keyword.write(catalog.keyword_docs(self.db, missing), delete=stray)
        return len(stray)

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        with recovery.writer_lock(self.dir):
            yield

    def will_write(self, chunk_ids: Sequence[str]) -> None:
        if not self._pending:
            recovery.set_pending(self.db)
            self._pending = True

    def mark_clean(self) -> None:
        recovery.clear_pending(self.db)
        self._pending = False

    def recover(self, sweep: Sweep) -> int:
        """One SQLite read when the last ingest finished; a full sweep when it did not."""
        if not recovery.is_pending(self.db):
            return 0
        removed = sweep(None)
        self.mark_clean()
        return removed

    def release(self) -> None:
        if self._keyword is not None:
            self._keyword.release()

    def close(self) -> None:
        self.release()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
