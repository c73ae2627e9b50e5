"""The chunk vectors in Chroma: open the collection, write, search, read back, delete.

This is the only module that imports chromadb; everything it returns is plain Python
(ids, floats, numpy arrays), so no Chroma object leaves it except the collection handle
that `Index.collection` exposes. The store may be embedded (a folder inside the index) or
a Chroma server reached over HTTP.

Not here: which vectors are current (the SQLite catalog, catalog.py, decides that), the
order of writes that keeps a crash harmless, or the sweep for orphans (both index.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexError_
from ..offline import go_offline
from ..schema import Article, Chunk
from .scope import Scope, chroma_where, day_number

COLLECTION = "news_chunks"
# Chroma keeps one "system" per store folder in a class-level dict, and publishes it there
# before starting it: a second client made meanwhile finds it half-started ("Could not
# connect to tenant default_tenant", "'RustBindingsAPI' object has no attribute
# 'bindings'"). That dict is process-wide, so the lock around making clients is too; it is
# held only while a collection is opened, never during reads or writes.
_OPENING = threading.Lock()


def open_collection(folder: Path, chroma_url: str | None, name: str, create: bool = True) -> Any:
    """The Chroma collection `name`, embedded in `folder` or on the server at `chroma_url`;
    made if missing, or, with `create` false, None if missing.

    Safe to call from several threads at once (see `_OPENING`).
    """
    go_offline()
    with _OPENING:
        return _open_collection(folder, chroma_url, name, create)


def _open_collection(folder: Path, chroma_url: str | None, name: str, create: bool) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if chroma_url:
        client = _http_client(chroma_url, settings)
    else:
        folder.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(folder / "chroma"), settings=settings)
    # embedding_function=None: we always pass vectors, and Chroma's default function
    # would try to download a model.
    try:
        if not create:
            return _existing(client, name)
        return client.get_or_create_collection(
            name, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )
    except Exception as exc:  # an HttpClient connects lazily: this is the first request
        if not chroma_url:
            raise
        raise IndexError_(
            f"cannot use the Chroma server at {chroma_url} ({exc}); is `chroma run` running there?"
        ) from exc


def _existing(client: Any, name: str) -> Any:
    from chromadb.errors import NotFoundError

    try:
        return client.get_collection(name, embedding_function=None)
    except NotFoundError:
        return None


def _http_client(url: str, settings: Any) -> Any:
    from urllib.parse import urlparse

    import chromadb

    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise IndexError_(f"chroma_url must look like http://host:port, got {url!r}")
    port = parsed.port or (443 if parsed.scheme == "https" else 8000)
    try:
        return chromadb.HttpClient(
            host=parsed.hostname, port=port, ssl=parsed.scheme == "https", settings=settings
        )
    except Exception as exc:
        raise IndexError_(
            f"cannot reach the Chroma server at {url} ({exc}); is `chroma run` running there?"
        ) from exc


def upsert(
    collection: Any, items: Sequence[tuple[Article, list[Chunk]]], vectors: np.ndarray
) -> None:
    """Write every chunk of `items` with its vector (row i is chunk i) and metadata.

    No documents: the catalog holds the chunks' text and is what every reader asks for
    it, and Chroma would keep each text three times (in its metadata table, and in a
    trigram full-text index's content and postings).
    """
    collection.upsert(
        ids=[c.id for _, cs in items for c in cs],
        embeddings=vectors,
        metadatas=[chroma_meta(a) for a, cs in items for _ in cs],
    )


def chroma_meta(article: Article) -> dict[str, Any] | None:
    """What a filtered search reads (scope.py's `chroma_where`): the outlet and the day.

    Nothing else: Chroma keeps a row per key per chunk, with an index on each value, and
    what else a chunk is (its article, title, span, URL) is the catalog's to say.
    """
    meta: dict[str, Any] = {}
    if article.source:
        meta["source"] = article.source
    if article.published:
        meta["published_int"] = day_number(article.published)  # for date ranges
    return meta or None


def nearest(
    collection: Any,
    vector: np.ndarray,
    n: int,
    where: dict[str, Any] | None = None,
    scope: Scope | None = None,
) -> list[tuple[str, float]]:
    """(chunk id, cosine similarity) of the `n` nearest chunks, best first."""
    if n <= 0:
        return []
    clauses = [c for c in (where, chroma_where(scope)) if c]
    result = collection.query(
        query_embeddings=[vector.tolist()],
        n_results=n,
        where=clauses[0] if len(clauses) == 1 else ({"$and": clauses} if clauses else None),
        include=["distances"],
    )
    ids, distances = result["ids"][0], result["distances"][0]
    return [(i, 1.0 - float(d)) for i, d in zip(ids, distances, strict=True)]


def stored_vectors(collection: Any, ids: Sequence[str]) -> dict[str, np.ndarray]:
    """The stored vectors of these chunks; ids the store does not hold are left out."""
    if not ids:
        return {}
    from chromadb.errors import InternalError

    try:
        got = collection.get(ids=list(ids), include=["embeddings"])
    except InternalError:  # chromadb's answer for an id it has not seen yet
        # Another process wrote these to an embedded store this process read earlier:
        # the caller embeds what is missing instead.
        return {}
    return {
        i: np.asarray(v, dtype=np.float32)
        for i, v in zip(got["ids"], got["embeddings"], strict=True)
    }


def delete(collection: Any, ids: list[str]) -> None:
    """Delete these vectors, 1000 ids per request."""
    for i in range(0, len(ids), 1000):
        collection.delete(ids=ids[i : i + 1000])


def all_ids(collection: Any, page: int = 5000) -> Iterator[str]:
    """Every id in the collection, read a page at a time.

    Deleting while this runs would shift the pages under it: collect first, then delete.
    """
    offset = 0
    while True:
        stored = collection.get(include=[], limit=page, offset=offset)["ids"]
        yield from stored
        if len(stored) < page:
            break
        offset += page
