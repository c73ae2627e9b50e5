"""Changing the SQLite catalog: switch articles to new chunks, or remove them.

Each public function is one SQLite transaction, so a reader sees an article's old chunks
or its new ones, never a mix, and a crash leaves the catalog as it was before or after.
Both return the ids of the chunks they dropped, whose vectors and keyword documents the
caller then deletes.

Not here: the vectors and keyword documents themselves (vector_store.py,
keywords.py), or the order of writes between the stores that keeps a crash harmless
(store.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import numpy as np

from ..schema import Article, Chunk
from ..sources import canonical_url, path_text
from . import sentence_codec
from .catalog import FileRecord, SentenceVectors, batches, rows_for_ids
from .connection import Connection


class Guard(Protocol):
    """What a catalog's database adds to a write's transaction so that writers in other
    processes may run beside it (PostgreSQL); the embedded catalog has one writer at a
    time and adds nothing."""

    def lock(self, db: Connection, keys: Sequence[str]) -> None:
        """Before the transaction reads what it changes: hold these article keys (ids and
        canonical URLs, sorted, so two writers never wait for each other in a circle)."""

    def dropping(self, db: Connection, chunk_ids: Sequence[str]) -> None:
        """Within the transaction: these chunks leave the catalog, so their vectors are
        orphans until the caller deletes them."""


class Unguarded:
    """The guard of a catalog with one writer at a time: nothing to add."""

    def lock(self, db: Connection, keys: Sequence[str]) -> None:
        pass

    def dropping(self, db: Connection, chunk_ids: Sequence[str]) -> None:
        pass


UNGUARDED = Unguarded()


def swap(
    db: Connection,
    items: Sequence[tuple[Article, list[Chunk]]],
    files: Sequence[FileRecord],
    sentences: Sequence[SentenceVectors] = (),
    guard: Guard = UNGUARDED,
) -> list[str]:
    """Point the catalog at the new chunks in one transaction; return the replaced ids.

    An article replaces the indexed one with the same id or the same canonical URL.
    `sentences`, if given, holds chunk i's sentence vectors at i.

    A fixed number of statements per batch, not per article or chunk: on PostgreSQL each
    statement is a round trip, and a transaction's article locks are held through all
    of them.
    """
    keys = {article.id: canonical_url(article.url) for article, _ in items}
    urls = [key for key in keys.values() if key]
    if len(keys) < len(items) or len(set(urls)) < len(urls):
        raise ValueError("one write holds each article (and each canonical URL) once")
    new_ids = {c.id for _, cs in items for c in cs}
    with db:
        guard.lock(db, _keys(items))
        stale = _remove(db, _replaced(db, keys))
        db.executemany(
            "INSERT INTO articles (id, version, title, url, published, source, "
            "authors, path, n_chunks, url_key) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [_article_row(a, len(cs), keys[a.id]) for a, cs in items],
        )
        _insert_chunks(db, items, sentences)
        db.executemany(
            "INSERT INTO files (path, digest, ids, warnings) VALUES (?,?,?,?) "
            "ON CONFLICT (path) DO UPDATE SET digest = excluded.digest, ids = excluded.ids, "
            "warnings = excluded.warnings",
            [_file_row(f) for f in sorted(files, key=_path)],
        )
        stale = [i for i in stale if i not in new_ids]
        guard.dropping(db, stale)
    return stale


def _keys(items: Sequence[tuple[Article, list[Chunk]]]) -> list[str]:
    """The keys a write of these articles holds: their ids and canonical URLs."""
    keys = {article.id for article, _ in items}
    keys.update(key for article, _ in items if (key := canonical_url(article.url)))
    return sorted(keys)


def _path(record: FileRecord) -> str:
    return record.path


def _file_row(record: FileRecord) -> tuple[str, str, str, str | None]:
    warnings = None if record.warnings is None else json.dumps([*map(list, record.warnings)])
    return record.path, record.digest, json.dumps(list(record.ids)), warnings


def _replaced(db: Connection, keys: dict[str, str | None]) -> list[str]:
    """The indexed articles that these replace: the same id, or the same canonical URL
    (the same story under another id)."""
    urls = sorted({key for key in keys.values() if key})
    rows = [
        *rows_for_ids(db, "SELECT id FROM articles WHERE id IN ({marks})", sorted(keys)),
        *rows_for_ids(db, "SELECT id FROM articles WHERE url_key IN ({marks})", urls),
    ]
    return sorted({row[0] for row in rows})


def _article_row(article: Article, n_chunks: int, url_key: str | None) -> tuple[Any, ...]:
    return (
        article.id,
        article.version,
        article.title,
        article.url,
        article.published.isoformat() if article.published else None,
        article.source,
        json.dumps(list(article.authors)),
        path_text(article.path) if article.path else None,
        n_chunks,
        url_key,
    )


def _insert_chunks(
    db: Connection,
    items: Sequence[tuple[Article, list[Chunk]]],
    sentences: Sequence[SentenceVectors],
) -> None:
    """The chunks, 100 rows a statement in their order (so their rowids follow it), then
    every sentence vector in one batch (sentence_codec.py)."""
    chunks = [(a.id, c) for a, cs in items for c in cs]
    rowids: dict[str, int] = {}
    for batch in batches(chunks, 100):
        marks = ",".join(["(?,?,?,?,?,?)"] * len(batch))
        values = [v for a, c in batch for v in (c.id, a, c.index, c.start, c.end, c.text)]
        rows = db.execute(
            f'INSERT INTO chunks (id, article_id, idx, start, "end", text) VALUES {marks} '
            "RETURNING id, rowid",
            values,
        )
        rowids.update((chunk_id, rowid) for chunk_id, rowid in rows)
    per_chunk = iter(sentences)
    placed = [(rowids[c.id], span, v) for _, c in chunks for span, v in next(per_chunk, ())]
    if not placed:
        return
    coded = sentence_codec.encode_many(np.stack([v for _, _, v in placed]))
    db.executemany(
        'INSERT INTO sentence_vectors (chunk, start, "end", vector) VALUES (?,?,?,?)',
        [(rowid, a, b, row) for (rowid, (a, b), _), row in zip(placed, coded, strict=True)],
    )


def remove_articles(
    db: Connection, article_ids: Iterable[str], guard: Guard = UNGUARDED
) -> list[str]:
    """Remove these articles and their chunks in one transaction; return the chunk ids."""
    ids = sorted(set(article_ids))
    with db:
        guard.lock(db, ids)
        stale = _remove(db, ids)
        # A file with no articles left is forgotten, so that it is read again if it
        # comes back.
        db.execute(
            "DELETE FROM files WHERE path NOT IN (SELECT path FROM articles WHERE path IS NOT NULL)"
        )
        guard.dropping(db, stale)
    return stale


def _remove(db: Connection, article_ids: list[str]) -> list[str]:
    """Remove these articles, their chunks and their sentence vectors (no commit); return
    the chunk ids."""
    rows = list(
        rows_for_ids(db, "SELECT rowid, id FROM chunks WHERE article_id IN ({marks})", article_ids)
    )
    for batch in batches([rowid for rowid, _ in rows], 500):
        marks = ",".join("?" * len(batch))
        db.execute(f"DELETE FROM sentence_vectors WHERE chunk IN ({marks})", batch)
        db.execute(f"DELETE FROM chunks WHERE rowid IN ({marks})", batch)
    for batch in batches(article_ids, 500):
        db.execute(f"DELETE FROM articles WHERE id IN ({','.join('?' * len(batch))})", batch)
    return [chunk_id for _, chunk_id in rows]
