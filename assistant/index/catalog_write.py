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
import sqlite3
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from ..schema import Article, Chunk
from ..sources import canonical_url
from .catalog import FileRecord, SentenceVectors, batches


def swap(
    db: sqlite3.Connection,
    items: Sequence[tuple[Article, list[Chunk]]],
    files: Sequence[FileRecord],
    sentences: Sequence[SentenceVectors] = (),
) -> list[str]:
    """Point the catalog at the new chunks in one transaction; return the replaced ids.

    An article replaces the indexed one with the same id or the same canonical URL.
    `sentences`, if given, holds chunk i's sentence vectors at i.
    """
    stale: list[str] = []
    per_chunk = iter(sentences)
    with db:
        for article, chunks in items:
            key = canonical_url(article.url)
            for old_id in [article.id, *_same_story(db, key, article.id)]:
                stale += remove_article(db, old_id)
            _insert_article(db, article, len(chunks), key)
            for c in chunks:
                _insert_chunk(db, article, c, next(per_chunk, ()))
        db.executemany(
            "INSERT OR REPLACE INTO files VALUES (?,?,?)",
            [(f.path, f.digest, json.dumps(list(f.ids))) for f in files],
        )
    new_ids = {c.id for _, cs in items for c in cs}
    return [i for i in stale if i not in new_ids]


def _same_story(db: sqlite3.Connection, url_key: str | None, article_id: str) -> Iterator[str]:
    """Other indexed articles with this canonical URL: the same story under another id."""
    rows = db.execute(
        "SELECT id FROM articles WHERE url_key = ? AND id != ?", (url_key, article_id)
    )
    return (r[0] for r in rows)


def _insert_article(
    db: sqlite3.Connection, article: Article, n_chunks: int, url_key: str | None
) -> None:
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
    db: sqlite3.Connection, article: Article, chunk: Chunk, sentences: SentenceVectors
) -> None:
    """The chunk and its sentence vectors, stored as float16."""
    cur = db.execute(
        'INSERT INTO chunks (id, article_id, idx, start, "end", text) VALUES (?,?,?,?,?,?)',
        (chunk.id, article.id, chunk.index, chunk.start, chunk.end, chunk.text),
    )
    db.executemany(
        'INSERT INTO sentence_vectors (chunk, article_id, start, "end", vector) VALUES (?,?,?,?,?)',
        [
            (cur.lastrowid, article.id, a, b, v.astype(np.float16).tobytes())
            for (a, b), v in sentences
        ],
    )


def remove_articles(db: sqlite3.Connection, article_ids: Iterable[str]) -> list[str]:
    """Remove these articles and their chunks in one transaction; return the chunk ids."""
    stale: list[str] = []
    with db:
        for article_id in article_ids:
            stale += remove_article(db, article_id)
        # A file with no articles left is forgotten, so that it is read again if it
        # comes back.
        db.execute(
            "DELETE FROM files WHERE path NOT IN (SELECT path FROM articles WHERE path IS NOT NULL)"
        )
    return stale


def remove_article(db: sqlite3.Connection, article_id: str) -> list[str]:
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
