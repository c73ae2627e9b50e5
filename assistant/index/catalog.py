"""The SQLite catalog: its schema, opening it, and the queries that read it.

The catalog is the source of truth for what is indexed: each article's version and
metadata, its chunks' spans and text, each chunk's sentence vectors (int8, coded by
sentence_codec.py), and the digests of files read without error, with the warnings
reading them gave. A chunk id that the catalog does not list is not indexed, whatever
Chroma or the keyword index holds.

Every function takes the connection to use (the index keeps one per thread).

Not here: changing the catalog (catalog_write.py), the chunk vectors (vector_store.py),
the keyword index (keywords.py), the pending-writes flag and the writer lock
(recovery.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexError_
from . import sentence_codec
from .connection import Connection
from .keywords import KeywordDoc
from .scope import Scope, sql_scope

CATALOG_FILE = "catalog.sqlite3"

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
    path TEXT PRIMARY KEY, digest TEXT NOT NULL, ids TEXT NOT NULL, warnings TEXT
);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles(id), idx INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS sentence_vectors (
    chunk INTEGER NOT NULL REFERENCES chunks(rowid),
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS sentence_vectors_chunk ON sentence_vectors(chunk);
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


@dataclass(frozen=True)
class FileRecord:
    """A file whose articles are all indexed: its content digest, those articles' ids,
    and the warnings reading it gave, so that a later ingest that skips the unchanged file
    still reports them."""

    path: str
    digest: str
    ids: tuple[str, ...]
    # (where in the file, what): "" is the whole file, ":3" its line 3, "#2" its record 2,
    # so they are reported under whatever name the file is given next time. None: read by
    # a version that kept no warnings, so they are unknown until it is read again.
    warnings: tuple[tuple[str, str], ...] | None = ()


# -- opening ---------------------------------------------------------------------------


def connect(folder: Path, embedding_model: str | None) -> sqlite3.Connection:
    """Open (or create) the catalog in `folder`, brought up to this schema."""
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(folder / CATALOG_FILE, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(_SCHEMA)
    _migrate(conn)
    check_model(conn, f"the index at {folder}", embedding_model)
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring a catalog made by an older version up to this schema."""
    columns = _columns(conn, "articles")
    with conn:
        if "url_key" not in columns:
            conn.execute("ALTER TABLE articles ADD COLUMN url_key TEXT")
        conn.execute("CREATE INDEX IF NOT EXISTS articles_url_key ON articles(url_key)")
        # Keyword search moved to Tantivy (keywords.py), which Index builds from the
        # chunks and articles tables when it is missing.
        conn.execute("DROP TABLE IF EXISTS chunks_fts")
        # Sentences are found through their chunks (`sentence_vectors`): an index by
        # article was their largest after the vectors themselves.
        conn.execute("DROP INDEX IF EXISTS sentence_vectors_span")
    # Drop the article id that older catalogs kept on every sentence row (the chunk says
    # it); the table is rewritten, a few seconds for a large one.
    if "article_id" in _columns(conn, "sentence_vectors"):
        _alter(conn, "sentence_vectors", "article_id", "DROP COLUMN article_id")
    # Files read before their warnings were kept: NULL, read once more to learn them.
    if "warnings" not in _columns(conn, "files"):
        _alter(conn, "files", "warnings", "ADD COLUMN warnings TEXT")


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _alter(conn: sqlite3.Connection, table: str, column: str, change: str) -> None:
    """ALTER TABLE `table` `change` (which adds or drops `column`), once: in a write
    transaction that looks again, since another process may be opening the same catalog."""
    adding = change.startswith("ADD")
    conn.execute("BEGIN IMMEDIATE")
    try:
        if (column in _columns(conn, table)) != adding:
            conn.execute(f"ALTER TABLE {table} {change}")
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def check_model(conn: Connection, where: str, model: str | None) -> None:
    """Vectors from two different models cannot be compared: refuse to mix them. `where`
    names the index in the refusal."""
    if model is None:
        return
    row = conn.execute("SELECT value FROM meta WHERE key='embedding_model'").fetchone()
    if row is None:
        with conn:
            conn.execute(
                "INSERT INTO meta VALUES ('embedding_model', ?) ON CONFLICT (key) DO NOTHING",
                (model,),
            )
    elif row[0] != model:
        raise IndexError_(
            f"{where} was built with the embedding model {row[0]!r}, "
            f"not {model!r}: use another --index, or the same model"
        )


# -- where the chunk vectors are --------------------------------------------------------

# The recorded place of vectors kept inside the index folder; any other is a server's URL.
EMBEDDED = "embedded"
# A catalog from before the place was recorded, that named a server collection.
SOME_SERVER = "a Chroma server"


def vectors_location(db: Connection) -> str | None:
    """Where this catalog's chunk vectors are: EMBEDDED, a Chroma server's URL, SOME_SERVER
    (an older catalog, which kept no URL), or None before any vector was written."""
    meta = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('vectors', 'collection')"))
    if "vectors" in meta:
        return str(meta["vectors"])
    if "collection" in meta:  # a server collection was named for it
        return SOME_SERVER
    return EMBEDDED if chunk_count(db) else None


def record_vectors_location(db: Connection, where: str) -> None:
    """Remember where the vectors are (EMBEDDED or a server URL), if it changed."""
    if vectors_location(db) != where:
        with db:
            db.execute(
                "INSERT INTO meta VALUES ('vectors', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (where,),
            )


# -- articles and files ----------------------------------------------------------------


def versions(db: Connection) -> dict[str, str]:
    """article id -> indexed version, for every article in the catalog."""
    return dict(db.execute("SELECT id, version FROM articles"))


def url_keys(db: Connection) -> dict[str, str]:
    """canonical URL -> article id, for every article that has a URL."""
    return dict(db.execute("SELECT url_key, id FROM articles WHERE url_key IS NOT NULL"))


def file_records(db: Connection) -> dict[str, FileRecord]:
    """path -> its record, for every file last read without error."""
    rows = db.execute("SELECT path, digest, ids, warnings FROM files")
    return {
        path: FileRecord(path, digest, tuple(json.loads(ids)), _warnings(warnings))
        for path, digest, ids, warnings in rows
    }


def _warnings(stored: str | None) -> tuple[tuple[str, str], ...] | None:
    return None if stored is None else tuple((at, what) for at, what in json.loads(stored))


def articles_by_path(db: Connection, paths: Iterable[str]) -> dict[str, list[str]]:
    """For `--sync`: the article ids that came from each of these files."""
    out: dict[str, list[str]] = {}
    for path in paths:
        rows = db.execute("SELECT id FROM articles WHERE path = ?", (path,))
        out[path] = [r[0] for r in rows]
    return out


def paths_under(db: Connection, root: str) -> dict[str, list[str]]:
    """path -> article ids, for every indexed file below the folder `root`."""
    prefix = root.rstrip("/") + "/"
    rows = db.execute(
        "SELECT path, id FROM articles WHERE substr(path, 1, ?) = ?", (len(prefix), prefix)
    )
    out: dict[str, list[str]] = {}
    for path, article_id in rows:
        out.setdefault(path, []).append(article_id)
    return out


def newest_published(db: Connection) -> date | None:
    """The publication date of the newest article: 'now', as far as the index knows."""
    return _date(db.execute("SELECT max(published) FROM articles").fetchone()[0])


def newest_titles(db: Connection, n: int) -> list[str]:
    """The titles of the `n` newest articles, each once; undated articles come last."""
    rows = db.execute(
        """SELECT title FROM articles WHERE trim(title) <> '' GROUP BY title
           ORDER BY max(published) IS NULL, max(published) DESC, title LIMIT ?""",
        (n,),
    )
    return [r[0] for r in rows]


def stats(db: Connection) -> IndexStats:
    articles, oldest, newest = db.execute(
        "SELECT count(*), min(published), max(published) FROM articles"
    ).fetchone()
    return IndexStats(articles, chunk_count(db), sources(db), _date(oldest), _date(newest))


def sources(db: Connection) -> tuple[str, ...]:
    """The outlets of the indexed articles, sorted."""
    rows = db.execute(
        "SELECT DISTINCT source FROM articles WHERE source IS NOT NULL ORDER BY source"
    )
    return tuple(r[0] for r in rows)


# -- chunks ----------------------------------------------------------------------------

# The columns `_stored_chunk` reads, for every query that returns chunks.
_CHUNK_ROWS = """SELECT c.id, c.article_id, c.idx, c.start, c."end", c.text,
                  a.title, a.source, a.published, a.url
           FROM chunks c JOIN articles a ON a.id = c.article_id"""


def chunk_count(db: Connection) -> int:
    return int(db.execute("SELECT count(*) FROM chunks").fetchone()[0])


def get_chunks(db: Connection, ids: Sequence[str]) -> dict[str, StoredChunk]:
    """The catalog's chunks for `ids`; ids the catalog does not hold are left out."""
    rows = rows_for_ids(db, _CHUNK_ROWS + " WHERE c.id IN ({marks})", ids)
    return {row[0]: _stored_chunk(row) for row in rows}


def successors(db: Connection, ids: Sequence[str]) -> dict[str, StoredChunk]:
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
        rows = db.execute(
            f"""{_CHUNK_ROWS}
               WHERE c.id >= ? AND c.id < ? ORDER BY abs(c.idx - ?) LIMIT 1""",
            (f"{prefix}:", f"{prefix};", int(position)),
        )
        for row in rows:
            out[old] = _stored_chunk(row)
    return out


def neighbours(db: Connection, chunk: StoredChunk, reach: int) -> list[StoredChunk]:
    """The chunks of `chunk`'s article within `reach` positions of it, in text order."""
    rows = db.execute(
        f"""{_CHUNK_ROWS}
           WHERE c.article_id = ? AND c.idx BETWEEN ? AND ? ORDER BY c.idx""",
        (chunk.article_id, chunk.index - reach, chunk.index + reach),
    )
    return [_stored_chunk(row) for row in rows]


def keyword_docs(db: Connection, ids: Iterable[str] | None = None) -> Iterator[KeywordDoc]:
    """What the keyword index holds of these chunks (default: every chunk)."""
    sql = """SELECT c.id, a.title, c.text, a.published, a.source
             FROM chunks c JOIN articles a ON a.id = c.article_id"""
    rows = (
        db.execute(sql)
        if ids is None
        else rows_for_ids(db, sql + " WHERE c.id IN ({marks})", list(ids))
    )
    for chunk_id, title, text, published, source in rows:
        yield KeywordDoc(chunk_id, title, text, _date(published), source)


def ledes(db: Connection, scope: Scope | None = None) -> list[StoredChunk]:
    """The first chunk of every article the scope allows, newest first."""
    condition, params = sql_scope(scope)
    rows = db.execute(
        f"{_CHUNK_ROWS} WHERE c.idx = 0{condition} ORDER BY a.published DESC, a.id", params
    )
    return [_stored_chunk(row) for row in rows]


def count_articles(db: Connection, scope: Scope | None = None) -> int:
    """How many articles the scope allows."""
    condition, params = sql_scope(scope)
    sql = f"SELECT count(*) FROM articles a WHERE 1 = 1{condition}"
    return int(db.execute(sql, params).fetchone()[0])


def closest_ledes(
    db: Connection, day: date, n: int, scope: Scope | None = None
) -> list[StoredChunk]:
    """The first chunks of the `n` dated articles published closest to `day`, closest
    first, among those the scope allows."""
    # The n newest up to the day and the n oldest after it, then the closest n of those:
    # plain comparisons of ISO dates, which both catalogs order the same and index.
    condition, params = sql_scope(scope)
    found = []
    for compare, order in (("<=", "DESC"), (">", "ASC")):
        rows = db.execute(
            f"""{_CHUNK_ROWS} WHERE c.idx = 0 AND a.published {compare} ?{condition}
                ORDER BY a.published {order}, a.id LIMIT ?""",
            (day.isoformat(), *params, n),
        )
        found += [_stored_chunk(row) for row in rows]
    found.sort(
        key=lambda c: (abs(((c.published or day) - day).days), -(c.published or day).toordinal())
    )
    return found[:n]


def listed(db: Connection, ids: Sequence[str]) -> set[str]:
    """Those of these chunk ids that the catalog lists."""
    return {row[0] for row in rows_for_ids(db, "SELECT id FROM chunks WHERE id IN ({marks})", ids)}


def in_scope(db: Connection, ids: Sequence[str], scope: Scope) -> set[str]:
    """Those of these chunk ids whose article the scope allows."""
    condition, params = sql_scope(scope)
    sql = """SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id
             WHERE c.id IN ({marks})"""
    return {row[0] for row in rows_for_ids(db, sql + condition, ids, params)}


# -- sentence vectors ------------------------------------------------------------------


def sentence_vectors(
    db: Connection, article_id: str, start: int, end: int
) -> dict[Span, np.ndarray]:
    """(start, end) -> unit vector of the stored sentences inside `article[start:end]`.

    Overlapping chunks both hold the sentences they share; either vector will do (the
    later chunk's, as it comes). Found through the article's chunks (each has a few), so
    the sentences need no index of their own by article.
    """
    rows = db.execute(
        """SELECT sv.start, sv."end", sv.vector FROM chunks c
           JOIN sentence_vectors sv ON sv.chunk = c.rowid
           WHERE c.article_id = ? AND sv.start >= ? AND sv."end" <= ?
           ORDER BY sv.chunk, sv.start""",
        (article_id, start, end),
    )
    spans, blobs = [], []
    for a, b, blob in rows:
        spans.append((a, b))
        blobs.append(bytes(blob))
    return dict(zip(spans, sentence_codec.decode(blobs), strict=True))


def sentence_matrix(db: Connection, ids: Sequence[str]) -> tuple[list[str], list[int], np.ndarray]:
    """The sentence vectors of these chunks as one matrix (float32 unit vectors, a row
    per sentence), a chunk's rows together: (the chunks that have any, each one's first
    row, matrix).

    One matrix rather than an array per chunk: the caller scores every sentence in one
    product, and a candidate list's ~450 rows are read and joined once.
    """
    sql = """SELECT c.id, sv.vector FROM sentence_vectors sv
             JOIN chunks c ON c.rowid = sv.chunk WHERE c.id IN ({marks})
             ORDER BY sv.chunk, sv.start"""
    rows = list(rows_for_ids(db, sql, ids))
    if not rows:
        return [], [], np.empty((0, 0), dtype=np.float32)
    chunks: list[str] = []
    starts: list[int] = []
    for i, (cid, _) in enumerate(rows):
        if not chunks or cid != chunks[-1]:
            chunks.append(cid)
            starts.append(i)
    return chunks, starts, sentence_codec.decode([bytes(blob) for _, blob in rows])


# -- helpers ---------------------------------------------------------------------------


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


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def rows_for_ids(
    db: Connection, sql: str, ids: Sequence[str], params: Sequence[Any] = ()
) -> Iterator[Any]:
    """The rows of `sql`, whose `{marks}` becomes one `?` per id, 500 ids a statement;
    `params` bind the marks after it."""
    for batch in batches(list(ids), 500):
        yield from db.execute(sql.format(marks=",".join("?" * len(batch))), (*batch, *params))


def batches(items: list[Any], size: int) -> Iterable[list[Any]]:
    """`items` in lists of at most `size`: SQLite caps the `?` marks in one statement."""
    for i in range(0, len(items), size):
        yield items[i : i + size]
