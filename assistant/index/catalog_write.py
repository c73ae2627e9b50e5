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
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from ..schema import Article, Chunk
from ..sources import canonical_url
from . import sentence_codec
from .catalog import FileRecord, SentenceVectors, batches
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
    """
    stale: list[str] = []
    per_chunk = iter(sentences)
    new_ids = {c.id for _, cs in items for c in cs}
    with db:
        guard.lock(db, _keys(items))
        for article, chunks in items:
            key = canonical_url(article.url)
            for old_id in [article.id, *_same_story(db, key, article.id)]:
                stale += remove_article(db, old_id)
            _insert_article(db, article, len(chunks), key)
            for c in chunks:
                _insert_chunk(db, article, c, next(per_chunk, ()))
        db.executemany(
            "INSERT INTO files VALUES (?,?,?) "
            "ON CONFLICT (path) DO UPDATE SET digest = excluded.digest, ids = excluded.ids",
            [(f.path, f.digest, json.dumps(list(f.ids))) for f in sorted(files, key=_path)],
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


def _same_story(db: Connection, url_key: str | None, article_id: str) -> Iterator[str]:
    """Other indexed articles with this canonical URL: the same story under another id."""
    rows = db.execute(
        "SELECT id FROM articles WHERE url_key = ? AND id != ?", (url_key, article_id)
    )
    return (r[0] for r in rows)


def _insert_article(db: Connection, article: Article, n_chunks: int, url_key: str | None) -> None:
    db.execute(
        "INSERT INTO articles (id, version, title, url, published, source, "
        "authors, path, n_chunks, url_key) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            article.id,
            article.version,
            article.title,
            article.url,
            article.published.isoformat() if article.published else None,
            article.source,
            json.dumps(list(article.authors)),
            article.path,
            n_chunks,
            url_key,
        ),
    )


def _insert_chunk(
    db: Connection, article: Article, chunk: Chunk, sentences: SentenceVectors
) -> None:
    """The chunk and its sentence vectors (sentence_codec.py)."""
    (rowid,) = db.execute(
        'INSERT INTO chunks (id, article_id, idx, start, "end", text) VALUES (?,?,?,?,?,?) '
        "RETURNING rowid",
        (chunk.id, article.id, chunk.index, chunk.start, chunk.end, chunk.text),
    ).fetchone()
    db.executemany(
        'INSERT INTO sentence_vectors (chunk, start, "end", vector) VALUES (?,?,?,?)',
        [(rowid, a, b, sentence_codec.encode(v)) for (a, b), v in sentences],
    )


def remove_articles(
    db: Connection, article_ids: Iterable[str], guard: Guard = UNGUARDED
) -> list[str]:
    """Remove these articles and their chunks in one transaction; return the chunk ids."""
    stale: list[str] = []
    ids = sorted(set(article_ids))
    with db:
        guard.lock(db, ids)
        for article_id in ids:
            stale += remove_article(db, article_id)
        # A file with no articles left is forgotten, so that it is read again if it
        # comes back.
        db.execute(
            "DELETE FROM files WHERE path NOT IN (SELECT path FROM articles WHERE path IS NOT NULL)"
        )
        guard.dropping(db, stale)
    return stale


def remove_article(db: Connection, article_id: str) -> list[str]:
    """Remove one article, its chunks and their sentence vectors (no commit)."""
    rows = db.execute("SELECT rowid, id FROM chunks WHERE article_id = ?", (article_id,))
    rowids, ids = [], []
    for rowid, chunk_id in rows:
        rowids.append(rowid)
        ids.append(chunk_id)
    for batch in batches(rowids, 500):
        marks = ",".join("?" * len(batch))
        db.execute(f"DELETE FROM sentence_vectors WHERE chunk IN ({marks})", batch)
        db.execute(f"DELETE FROM chunks WHERE rowid IN ({marks})", batch)
    db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
    return ids
