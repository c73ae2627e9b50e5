"""The index: vectors in Chroma, and a SQLite catalog of articles and chunks beside them.

The catalog is the source of truth for what is indexed. It holds each article's version,
its chunks' spans and text, an FTS5 keyword index over them, and each chunk's sentence
vectors (float16, pooled from the chunk's token vectors at ingest, for the answerer), all
changed in one SQLite transaction. Chroma holds the chunk vectors. A changed article's new
vectors are written before the catalog switches to them and its old vectors are deleted
after, so a crash at any point leaves at worst vectors the catalog does not list; searches
ignore those, and
`Index.recover()` (run by every ingest) sweeps them when the last write was unfinished.
`Index.writer_lock()` keeps writers one at a time. On a Chroma server each catalog has its
own collection. This is the only module that imports chromadb.

Not here: deciding what to ingest (ingest.py) or how to rank (retrieval.py).
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import sqlite3
import sys
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .errors import IndexError_
from .offline import go_offline
from .schema import Article, Chunk
from .sources import canonical_url

MIN_KEYWORD_SCORE = 1e-3  # BM25 below this is a match on words that are everywhere
COLLECTION = "news_chunks"

Span = tuple[int, int]
# One chunk's sentences: (start, end) in the article, and the sentence's unit vector.
SentenceVectors = Sequence[tuple[Span, np.ndarray]]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, version TEXT NOT NULL, title TEXT NOT NULL, url TEXT,
    published TEXT, source TEXT, authors TEXT NOT NULL, path TEXT, n_chunks INTEGER NOT NULL,
    url_key TEXT
);
CREATE INDEX IF NOT EXISTS articles_path ON articles(path);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, digest TEXT NOT NULL, ids TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles(id), idx INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS sentence_vectors (
    chunk INTEGER NOT NULL REFERENCES chunks(rowid), article_id TEXT NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS sentence_vectors_chunk ON sentence_vectors(chunk);
CREATE INDEX IF NOT EXISTS sentence_vectors_span ON sentence_vectors(article_id, start);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    title, text, tokenize = 'porter unicode61 remove_diacritics 2'
);
"""


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as the catalog knows it, joined with its article's metadata."""

    id: str
    article_id: str
    index: int
    start: int
    end: int
    text: str
    title: str
    source: str | None
    published: date | None
    url: str | None


@dataclass(frozen=True)
class IndexStats:
    articles: int
    chunks: int
    sources: tuple[str, ...]
    oldest: date | None
    newest: date | None

    def to_json(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "chunks": self.chunks,
            "sources": list(self.sources),
            "oldest": self.oldest.isoformat() if self.oldest else None,
            "newest": self.newest.isoformat() if self.newest else None,
        }


class Index:
    """Chroma vectors plus the SQLite catalog, in `index_dir` (or on a Chroma server)."""

    def __init__(
        self, index_dir: Path, chroma_url: str | None = None, embedding_model: str | None = None
    ) -> None:
        self.dir = Path(index_dir)
        self.chroma_url = chroma_url
        self.embedding_model = embedding_model
        self._local = threading.local()
        self._collection: Any = None
        self._pending = False

    # -- opening -----------------------------------------------------------------------

    @property
    def catalog_path(self) -> Path:
        return self.dir / "catalog.sqlite3"

    def exists(self) -> bool:
        return self.catalog_path.exists()

    @property
    def db(self) -> sqlite3.Connection:
        """One SQLite connection per thread (Gradio answers from worker threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            self.dir.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.catalog_path, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            _migrate(conn)
            self._check_model(conn)
            self._local.conn = conn
        return conn

    def _check_model(self, conn: sqlite3.Connection) -> None:
        """Vectors from two different models cannot be compared: refuse to mix them."""
        if self.embedding_model is None:
            return
        row = conn.execute("SELECT value FROM meta WHERE key='embedding_model'").fetchone()
        if row is None:
            with conn:
                conn.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('embedding_model', ?)",
                    (self.embedding_model,),
                )
        elif row[0] != self.embedding_model:
            raise IndexError_(
                f"the index at {self.dir} was built with the embedding model {row[0]!r}, "
                f"not {self.embedding_model!r}: use another --index, or the same model"
            )

    @property
    def collection(self) -> Any:
        if self._collection is None:
            self._collection = self._open_collection()
        return self._collection

    def _open_collection(self) -> Any:
        go_offline()
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if self.chroma_url:
            client = _http_client(self.chroma_url, settings)
        else:
            self.dir.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(self.dir / "chroma"), settings=settings)
        # embedding_function=None: we always pass vectors, and Chroma's default function
        # would try to download a model.
        try:
            return client.get_or_create_collection(
                self.collection_name, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
        except Exception as exc:  # an HttpClient connects lazily: this is the first request
            if not self.chroma_url:
                raise
            raise IndexError_(
                f"cannot use the Chroma server at {self.chroma_url} ({exc}); "
                "is `chroma run` running there?"
            ) from exc

    @property
    def collection_name(self) -> str:
        """One collection per catalog on a server, so that catalogs never sweep each other.

        The embedded store lives inside the index folder, so there it keeps a fixed name.
        """
        if not self.chroma_url:
            return COLLECTION
        with self.db:
            self.db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('collection', ?)",
                (f"{COLLECTION}_{uuid.uuid4().hex[:12]}",),
            )
        return str(self.db.execute("SELECT value FROM meta WHERE key='collection'").fetchone()[0])

    # -- reading -----------------------------------------------------------------------

    def versions(self) -> dict[str, str]:
        """article id -> indexed version, for every article in the catalog."""
        return dict(self.db.execute("SELECT id, version FROM articles"))

    def url_keys(self) -> dict[str, str]:
        """canonical URL -> article id, for every article that has a URL."""
        return dict(self.db.execute("SELECT url_key, id FROM articles WHERE url_key IS NOT NULL"))

    def file_digests(self) -> dict[str, tuple[str, list[str]]]:
        """path -> (content digest, article ids) of every file last read without error."""
        rows = self.db.execute("SELECT path, digest, ids FROM files")
        return {path: (digest, json.loads(ids)) for path, digest, ids in rows}

    def articles_by_path(self, paths: Iterable[str]) -> dict[str, list[str]]:
        """For `--sync`: the article ids that came from each of these files."""
        out: dict[str, list[str]] = {}
        for path in paths:
            rows = self.db.execute("SELECT id FROM articles WHERE path = ?", (path,))
            out[path] = [r[0] for r in rows]
        return out

    def paths_under(self, root: str) -> dict[str, list[str]]:
        """path -> article ids, for every indexed file below the folder `root`."""
        prefix = root.rstrip("/") + "/"
        rows = self.db.execute(
            "SELECT path, id FROM articles WHERE substr(path, 1, ?) = ?", (len(prefix), prefix)
        )
        out: dict[str, list[str]] = {}
        for path, article_id in rows:
            out.setdefault(path, []).append(article_id)
        return out

    def chunk_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def get_chunks(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        """The catalog's chunks for `ids`; ids the catalog does not hold are left out."""
        out: dict[str, StoredChunk] = {}
        for batch in _batches(list(ids), 500):
            marks = ",".join("?" * len(batch))
            rows = self.db.execute(
                f"""{_CHUNK_ROWS}
                    WHERE c.id IN ({marks})""",
                batch,
            )
            for row in rows:
                out[row[0]] = _stored_chunk(row)
        return out

    def successors(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        """For chunk ids the catalog no longer lists, the chunk now at the same position.

        A vector search can read an article's old vectors just before the catalog switches
        to its new version; mapping each old id to its successor makes such a reader see the
        new version instead of neither. Chunk ids are `article-key:version:position`, so
        the article's current chunks share the id's first part (a range on the id index).
        """
        out: dict[str, StoredChunk] = {}
        for old in ids:
            key, _, position = old.rpartition(":")
            prefix = key.rpartition(":")[0]
            if not prefix or not position.isdigit():
                continue
            rows = self.db.execute(
                f"""{_CHUNK_ROWS}
                   WHERE c.id >= ? AND c.id < ? ORDER BY abs(c.idx - ?) LIMIT 1""",
                (f"{prefix}:", f"{prefix};", int(position)),
            )
            for row in rows:
                out[old] = _stored_chunk(row)
        return out

    def neighbours(self, chunk: StoredChunk, reach: int) -> list[StoredChunk]:
        """The chunks of `chunk`'s article within `reach` positions of it, in text order."""
        rows = self.db.execute(
            f"""{_CHUNK_ROWS}
               WHERE c.article_id = ? AND c.idx BETWEEN ? AND ? ORDER BY c.idx""",
            (chunk.article_id, chunk.index - reach, chunk.index + reach),
        )
        return [_stored_chunk(row) for row in rows]

    def dense_search(
        self,
        vector: np.ndarray,
        n: int,
        where: dict[str, Any] | None = None,
        scope: Scope | None = None,
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the `n` nearest chunks, best first.

        `scope` limits the search to a date range and outlets inside Chroma, so that a
        narrow filter still yields `n` candidates instead of filtering them away after.
        """
        if n <= 0:
            return []
        clauses = [c for c in (where, _chroma_where(scope)) if c]
        result = self.collection.query(
            query_embeddings=[vector.tolist()],
            n_results=n,
            where=clauses[0] if len(clauses) == 1 else ({"$and": clauses} if clauses else None),
            include=["distances"],
        )
        ids, distances = result["ids"][0], result["distances"][0]
        return [(i, 1.0 - float(d)) for i, d in zip(ids, distances, strict=True)]

    def keyword_search(
        self, query: str, n: int, scope: Scope | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, BM25 score, higher is better) from the FTS5 index, best first."""
        match = _fts_query(query)
        if not match or n <= 0:
            return []
        condition, params = _sql_scope(scope)
        rows = self.db.execute(
            f"""SELECT c.id, -bm25(chunks_fts, 2.0, 1.0) AS score
               FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid
               JOIN articles a ON a.id = c.article_id
               WHERE chunks_fts MATCH ? {condition}
               ORDER BY bm25(chunks_fts, 2.0, 1.0) LIMIT ?""",
            (match, *params, n),
        )
        # A word found in most chunks gets an IDF of ~0 from FTS5, so its hits score ~0 and
        # come back in storage order: that order says nothing, and in a fusion of rankings
        # it would vote like a real one. Keep only hits that some informative word made.
        return [(r[0], float(r[1])) for r in rows if r[1] > MIN_KEYWORD_SCORE]

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these chunks (so a ranking never re-embeds a chunk)."""
        if not ids:
            return {}
        from chromadb.errors import InternalError

        try:
            got = self.collection.get(ids=list(ids), include=["embeddings"])
        except InternalError:  # chromadb's answer for an id it has not seen yet
            # Another process wrote these to an embedded store this process read earlier:
            # the caller embeds what is missing instead.
            return {}
        return {
            i: np.asarray(v, dtype=np.float32)
            for i, v in zip(got["ids"], got["embeddings"], strict=True)
        }

    def sentence_vectors(self, article_id: str, start: int, end: int) -> dict[Span, np.ndarray]:
        """(start, end) -> unit vector of the stored sentences inside `article[start:end]`.

        Overlapping chunks both hold the sentences they share; either vector will do.
        """
        rows = self.db.execute(
            """SELECT start, "end", vector FROM sentence_vectors
               WHERE article_id = ? AND start >= ? AND "end" <= ?""",
            (article_id, start, end),
        )
        return {(a, b): np.frombuffer(blob, dtype=np.float16) for a, b, blob in rows}

    def chunk_sentence_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Chunk id -> the unit vectors of its sentences, one row each (float16)."""
        rows: dict[str, list[bytes]] = {}
        for batch in _batches(list(ids), 500):
            marks = ",".join("?" * len(batch))
            for cid, blob in self.db.execute(
                f"""SELECT c.id, sv.vector FROM sentence_vectors sv
                    JOIN chunks c ON c.rowid = sv.chunk WHERE c.id IN ({marks})""",
                batch,
            ):
                rows.setdefault(cid, []).append(blob)
        return {
            cid: np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(blobs), -1)
            for cid, blobs in rows.items()
        }

    def newest_published(self) -> date | None:
        """The publication date of the newest article: 'now', as far as the index knows."""
        return _date(self.db.execute("SELECT max(published) FROM articles").fetchone()[0])

    def stats(self) -> IndexStats:
        db = self.db
        articles, oldest, newest = db.execute(
            "SELECT count(*), min(published), max(published) FROM articles"
        ).fetchone()
        sources = [
            r[0]
            for r in db.execute(
                "SELECT DISTINCT source FROM articles WHERE source IS NOT NULL ORDER BY source"
            )
        ]
        return IndexStats(
            articles, self.chunk_count(), tuple(sources), _date(oldest), _date(newest)
        )

    # -- writing -----------------------------------------------------------------------

    def write(
        self,
        items: Sequence[tuple[Article, list[Chunk]]],
        vectors: np.ndarray,
        embed_texts: Sequence[str],
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
            self._mark_pending()
            self.collection.upsert(
                ids=[c.id for c in chunks],
                embeddings=vectors,
                documents=list(embed_texts),
                metadatas=[_chroma_meta(a, c) for a, cs in items for c in cs],
            )
        crash_point("upserted")
        stale = self._swap_catalog(items, files, sentences)
        crash_point("swapped")
        self._delete_vectors(stale)

    def _swap_catalog(
        self,
        items: Sequence[tuple[Article, list[Chunk]]],
        files: Sequence[FileRecord],
        sentences: Sequence[SentenceVectors] = (),
    ) -> list[str]:
        """Point the catalog at the new chunks in one transaction; return the replaced ids."""
        db = self.db
        stale: list[str] = []
        per_chunk = iter(sentences)
        with db:
            for article, chunks in items:
                key = canonical_url(article.url)
                same_story = db.execute(
                    "SELECT id FROM articles WHERE url_key = ? AND id != ?", (key, article.id)
                )
                for old_id in [article.id, *(r[0] for r in same_story)]:
                    stale += self._remove_from_catalog(old_id)
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
                        len(chunks),
                        key,
                    ),
                )
                for c in chunks:
                    cur = db.execute(
                        'INSERT INTO chunks (id, article_id, idx, start, "end", text) '
                        "VALUES (?,?,?,?,?,?)",
                        (c.id, article.id, c.index, c.start, c.end, c.text),
                    )
                    db.execute(
                        "INSERT INTO chunks_fts (rowid, title, text) VALUES (?,?,?)",
                        (cur.lastrowid, article.title, c.text),
                    )
                    db.executemany(
                        'INSERT INTO sentence_vectors (chunk, article_id, start, "end", vector) '
                        "VALUES (?,?,?,?,?)",
                        [
                            (cur.lastrowid, article.id, a, b, v.astype(np.float16).tobytes())
                            for (a, b), v in next(per_chunk, ())
                        ],
                    )
            db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?,?,?)",
                [(f.path, f.digest, json.dumps(list(f.ids))) for f in files],
            )
        new_ids = {c.id for _, cs in items for c in cs}
        return [i for i in stale if i not in new_ids]

    def _remove_from_catalog(self, article_id: str) -> list[str]:
        db = self.db
        rows = db.execute("SELECT rowid, id FROM chunks WHERE article_id = ?", (article_id,))
        rowids, ids = [], []
        for rowid, chunk_id in rows:
            rowids.append(rowid)
            ids.append(chunk_id)
        for batch in _batches(rowids, 500):
            marks = ",".join("?" * len(batch))
            db.execute(f"DELETE FROM chunks_fts WHERE rowid IN ({marks})", batch)
            db.execute(f"DELETE FROM sentence_vectors WHERE chunk IN ({marks})", batch)
            db.execute(f"DELETE FROM chunks WHERE rowid IN ({marks})", batch)
        db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        return ids

    def delete(self, article_ids: Iterable[str]) -> int:
        """Remove articles and their chunks; returns how many articles were removed."""
        ids = list(article_ids)
        if not ids:
            return 0
        stale: list[str] = []
        self._mark_pending()
        with self.db:
            for article_id in ids:
                stale += self._remove_from_catalog(article_id)
            # A file with no articles left is forgotten, so that it is read again if it
            # comes back.
            self.db.execute(
                "DELETE FROM files WHERE path NOT IN "
                "(SELECT path FROM articles WHERE path IS NOT NULL)"
            )
        self._delete_vectors(stale)
        return len(ids)

    def _delete_vectors(self, ids: list[str]) -> None:
        for batch in _batches(ids, 1000):
            self.collection.delete(ids=batch)

    def sweep(self) -> int:
        """Delete vectors that the catalog does not list (left by an interrupted write)."""
        known = {r[0] for r in self.db.execute("SELECT id FROM chunks")}
        orphans: list[str] = []
        offset, page = 0, 5000
        while True:
            stored = self.collection.get(include=[], limit=page, offset=offset)["ids"]
            orphans += [i for i in stored if i not in known]
            if len(stored) < page:
                break
            offset += page
        self._delete_vectors(orphans)
        return len(orphans)

    # -- crash recovery and the writer lock ----------------------------------------------

    def _mark_pending(self) -> None:
        """Note, before touching Chroma, that a crash from here on may leave orphan vectors."""
        if not self._pending:
            with self.db:
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('pending_writes', '1')")
            self._pending = True

    def mark_clean(self) -> None:
        """Every write since `_mark_pending` finished: no orphan vectors are possible."""
        with self.db:
            self.db.execute("DELETE FROM meta WHERE key = 'pending_writes'")
        self._pending = False

    def recover(self) -> int:
        """After an interrupted ingest, delete its orphan vectors; returns how many.

        Cheap when the last ingest finished (one SQLite read): a full sweep lists every
        vector in Chroma, so it runs only when a write was left unfinished.
        """
        row = self.db.execute("SELECT 1 FROM meta WHERE key = 'pending_writes'").fetchone()
        if row is None:
            return 0
        removed = self.sweep()
        self.mark_clean()
        return removed

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Hold the index's writer lock, or fail at once naming the process that holds it.

        An flock, so the kernel releases it when its holder dies, even by SIGKILL: a crashed
        ingest never leaves a stale lock behind.
        """
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir / "ingest.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise IndexError_(
                f"another ingest is writing to the index at {self.dir} ({holder}); "
                "wait for it to finish, or ingest into another --index"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, _holder().encode(), 0)
            yield
        finally:
            os.ftruncate(fd, 0)
            os.close(fd)  # closing releases the flock

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


@dataclass(frozen=True)
class FileRecord:
    """A file whose articles are all indexed: its content digest and those articles' ids."""

    path: str
    digest: str
    ids: tuple[str, ...]


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring a catalog made by an older version up to this schema."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(articles)")}
    with conn:
        if "url_key" not in columns:
            conn.execute("ALTER TABLE articles ADD COLUMN url_key TEXT")
        conn.execute("CREATE INDEX IF NOT EXISTS articles_url_key ON articles(url_key)")


def _holder() -> str:
    started = datetime.now().isoformat(timespec="seconds")
    command = " ".join(sys.argv) if sys.argv and sys.argv[0] else "python"
    return f"pid {os.getpid()} on {socket.gethostname()}, started {started}: {command}"


# Tests kill the ingest at exact points of a write: NEWS_ASSISTANT_CRASH_AT=upserted:2 sends
# SIGKILL to this process the second time it reaches the point "upserted". Not an
# ASSISTANT_* variable because it is not a setting: it is for the crash tests only.
_crash_counts: dict[str, int] = {}


def crash_point(name: str) -> None:
    target = os.environ.get("NEWS_ASSISTANT_CRASH_AT", "")
    if not target.startswith(name + ":"):
        return
    _crash_counts[name] = _crash_counts.get(name, 0) + 1
    if _crash_counts[name] == int(target.split(":")[1]):
        os.kill(os.getpid(), signal.SIGKILL)


# The columns `_stored_chunk` reads, for every query that returns chunks.
_CHUNK_ROWS = """SELECT c.id, c.article_id, c.idx, c.start, c."end", c.text,
                  a.title, a.source, a.published, a.url
           FROM chunks c JOIN articles a ON a.id = c.article_id"""


def _stored_chunk(row: Sequence[Any]) -> StoredChunk:
    return StoredChunk(
        id=row[0],
        article_id=row[1],
        index=row[2],
        start=row[3],
        end=row[4],
        text=row[5],
        title=row[6],
        source=row[7],
        published=_date(row[8]),
        url=row[9],
    )


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


def _chroma_meta(article: Article, chunk: Chunk) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "article_id": article.id,
        "version": article.version,
        "title": article.title,
        "start": chunk.start,
        "end": chunk.end,
    }
    if article.source:
        meta["source"] = article.source
    if article.published:
        meta["published"] = article.published.isoformat()
        # Chroma compares numbers, not strings: YYYYMMDD as an int makes date ranges work.
        meta["published_int"] = int(article.published.strftime("%Y%m%d"))
    if article.url:
        meta["url"] = article.url
    return meta


@dataclass(frozen=True)
class Scope:
    """Which articles a search may return: a publication date range and/or outlets.

    An article without a date is outside any date range (it cannot be shown to fit).
    """

    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()


def _chroma_where(scope: Scope | None) -> dict[str, Any] | None:
    if scope is None:
        return None
    clauses: list[dict[str, Any]] = []
    if scope.since:
        clauses.append({"published_int": {"$gte": int(scope.since.strftime("%Y%m%d"))}})
    if scope.until:
        clauses.append({"published_int": {"$lte": int(scope.until.strftime("%Y%m%d"))}})
    if scope.sources:
        clauses.append({"source": {"$in": list(scope.sources)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _sql_scope(scope: Scope | None) -> tuple[str, list[Any]]:
    """The same scope as extra SQL conditions on the joined `articles a`."""
    if scope is None:
        return "", []
    sql, params = "", []
    if scope.since:
        sql += " AND a.published >= ?"
        params.append(scope.since.isoformat())
    if scope.until:
        sql += " AND a.published <= ?"
        params.append(scope.until.isoformat())
    if scope.sources:
        sql += f" AND a.source IN ({','.join('?' * len(scope.sources))})"
        params += list(scope.sources)
    return sql, params


def _fts_query(text: str) -> str:
    """An FTS5 query matching any of the words of `text` (quoted, so syntax is inert)."""
    import re

    words = [w for w in re.findall(r"\w+", text.lower()) if len(w) > 1]
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(words))


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _batches(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
