"""The PostgreSQL backend: the catalog and the keyword search in one database, shared by
answerers and ingest workers on any number of machines.

The catalog's tables are the embedded ones (catalog.py's SQL runs on both); text columns
compare bytewise (`COLLATE "C"`), as SQLite's do, so ordering and id ranges agree.

- Keyword search is PostgreSQL's full-text search: each chunk's `words` (a tsvector of
  its article's title, weighted A, and its text, weighted D, English stemming and stop
  words) is set by a trigger as the chunk is inserted and kept in a GIN index. The
  chunks are ranked inside the database by BM25 as Tantivy ranks them (bm25_sql.py: the
  exact top n, without scoring every chunk that shares a word with the question), so
  the two backends rank alike: `ts_rank` knows no idf, and ranked "said" as high as a
  name. The words live in the catalog's own rows, so they are written and dropped in
  the catalog's transaction and can never disagree with it; so do BM25's chunk count
  and mean length (`chunk_stats`, kept by statement triggers, a row per writing
  connection so that writers side by side never wait on one row).
- Writers run side by side. A catalog write is one transaction that first takes an
  advisory transaction lock on each article id and canonical URL it touches (in one
  order, so two writers never wait in a circle): two workers given the same story
  replace it one after the other and never both insert it. The locks are taken in one
  statement, and the write sends a fixed number of statements per batch
  (catalog_write.py), so a transaction holds them for a few round trips, not one per
  chunk.
- Crash recovery: a writer (an ingest: one per thread, so two ingests in one process are
  two writers) holds a session advisory lock (its identity) for as long as it writes,
  and journals in `pending_vectors` the chunk ids whose vectors may become
  orphans (before upserting them, and, in the catalog transaction, those it drops). The
  server releases a killed writer's lock with its connection; the next ingest finds
  journal rows whose writer holds no lock and sweeps only those ids, never the vectors a
  live writer is in the middle of writing.

Not here: the SQL shared with the embedded catalog (catalog.py, catalog_write.py), the
BM25 query (bm25_sql.py) or the vectors (vector_store.py: with `--chroma-url` too,
nothing is kept in the index folder).
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Literal

from ..errors import IndexError_
from . import catalog
from .backend import Sweep
from .bm25_sql import SqlBM25
from .connection import Rows
from .keywords import KeywordDoc
from .scope import Scope

# The first key of the session locks that name live writers (the second is the writer's
# number); the article locks use the one-key (bigint) space, which never meets it.
_WRITERS = 1_851_876_211
# The transaction lock that lets one process at a time bring the schema up to date.
_SCHEMA_LOCK = -1

# Rows of `chunk_stats`: writers whose connections' process ids differ here never wait
# on one another's row.
CHUNK_STATS_ROWS = 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT COLLATE "C" PRIMARY KEY, version TEXT NOT NULL, title TEXT COLLATE "C" NOT NULL,
    url TEXT, published TEXT COLLATE "C", source TEXT COLLATE "C", authors TEXT NOT NULL,
    path TEXT COLLATE "C", n_chunks INTEGER NOT NULL, url_key TEXT COLLATE "C"
);
CREATE INDEX IF NOT EXISTS articles_path ON articles(path);
CREATE INDEX IF NOT EXISTS articles_url_key ON articles(url_key);
CREATE TABLE IF NOT EXISTS files (
    path TEXT COLLATE "C" PRIMARY KEY, digest TEXT NOT NULL, ids TEXT NOT NULL, warnings TEXT
);
CREATE TABLE IF NOT EXISTS chunks (
    rowid BIGSERIAL PRIMARY KEY, id TEXT COLLATE "C" UNIQUE NOT NULL,
    article_id TEXT COLLATE "C" NOT NULL REFERENCES articles(id), idx INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL,
    words TSVECTOR, length INTEGER
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE INDEX IF NOT EXISTS chunks_words ON chunks USING GIN (words);
CREATE TABLE IF NOT EXISTS sentence_vectors (
    chunk BIGINT NOT NULL REFERENCES chunks(rowid),
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, vector BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS sentence_vectors_chunk ON sentence_vectors(chunk);
-- Older catalogs: sentences are found through their chunks, which name the article.
-- Looked up first, since ALTER TABLE locks the table even when it changes nothing.
DROP INDEX IF EXISTS sentence_vectors_span;
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
               AND table_name = 'sentence_vectors' AND column_name = 'article_id') THEN
        ALTER TABLE sentence_vectors DROP COLUMN article_id;
    END IF;
END $$;
-- Older catalogs kept no file's warnings: NULL, that file is read once more to learn them.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                   AND table_name = 'files' AND column_name = 'warnings') THEN
        ALTER TABLE files ADD COLUMN warnings TEXT;
    END IF;
END $$;
CREATE TABLE IF NOT EXISTS pending_vectors (writer INTEGER NOT NULL, chunk_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS pending_vectors_writer ON pending_vectors(writer);
-- The runs of letters and digits. It was the count of '[[:alnum:]]{1,39}(?![[:alnum:]])'
-- matches, which is the same number (a run longer than 39 matches once, at its end), but
-- the set-returning regexp_matches took most of an ingest's server time.
CREATE OR REPLACE FUNCTION word_count(body TEXT) RETURNS INTEGER LANGUAGE sql IMMUTABLE AS $$
    SELECT regexp_count(body, '[[:alnum:]]+')
$$;
-- floor(log2(n - 24)) - 3 as 29 minus the place of the leading 1 bit: log() on numeric,
-- run for each word of each chunk scored, was slow.
CREATE OR REPLACE FUNCTION field_norm(n INTEGER) RETURNS INTEGER LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN n < 40 THEN n ELSE
        24 + (((n - 24) >> (29 - position('1' in (n - 24)::bit(32)::text)))
              << (29 - position('1' in (n - 24)::bit(32)::text))) END
$$;
CREATE OR REPLACE FUNCTION chunk_words() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    title TEXT := coalesce((SELECT a.title FROM articles a WHERE a.id = NEW.article_id), '');
BEGIN
    NEW.words := setweight(to_tsvector('english', title), 'A')
        || to_tsvector('english', NEW.text);
    NEW.length := 2 * word_count(title) + word_count(NEW.text);
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER chunks_words BEFORE INSERT ON chunks
    FOR EACH ROW EXECUTE FUNCTION chunk_words();
-- The chunk count and the sum of their lengths (BM25's), kept exact in the transaction of
-- every write by the statement triggers below, in CHUNK_STATS_ROWS rows picked by the
-- writing connection, summed when read: one row would make writers side by side wait
-- for each other's commits. A catalog made before it is counted once, its writers held
-- off (SHARE) until that is committed.
DO $$ BEGIN
    IF to_regclass('chunk_stats') IS NULL THEN
        LOCK TABLE chunks IN SHARE MODE;
        CREATE TABLE chunk_stats (
            slot INTEGER PRIMARY KEY, chunks BIGINT NOT NULL, measured BIGINT NOT NULL,
            length BIGINT NOT NULL
        );
        INSERT INTO chunk_stats SELECT 0, count(*), count(length), coalesce(sum(length), 0)
            FROM chunks;
    END IF;
END $$;
CREATE OR REPLACE FUNCTION chunks_counted(sign INTEGER, chunks BIGINT, measured BIGINT,
                                          length BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO chunk_stats AS s
        SELECT pg_backend_pid() % {slots}, sign * chunks, sign * measured, sign * length
        WHERE chunks > 0
    ON CONFLICT (slot) DO UPDATE SET chunks = s.chunks + excluded.chunks,
        measured = s.measured + excluded.measured, length = s.length + excluded.length
$$;
CREATE OR REPLACE FUNCTION chunks_added() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    PERFORM chunks_counted(1, count(*), count(length), coalesce(sum(length), 0)) FROM added;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION chunks_removed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    PERFORM chunks_counted(-1, count(*), count(length), coalesce(sum(length), 0)) FROM removed;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER chunks_added AFTER INSERT ON chunks REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION chunks_added();
CREATE OR REPLACE TRIGGER chunks_removed AFTER DELETE ON chunks
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION chunks_removed();
""".replace("{slots}", str(CHUNK_STATS_ROWS))

_URL_PASSWORD = re.compile(r"(://[^:/@]*):[^@]*@")


def redact(url: str) -> str:
    """The URL as it may be shown: without its password."""
    return _URL_PASSWORD.sub(r"\1:***@", url)


class _Connection:
    """A psycopg connection with sqlite3's surface (connection.py): `?` marks, and
    `with conn:` as one transaction. Outside one every statement commits at once, so a
    reader never holds a transaction open."""

    def __init__(self, conn: Any) -> None:
        self.raw = conn
        self._open: list[Any] = []

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Rows:
        return self.raw.execute(_marks(sql), parameters or None)

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Any:
        rows = list(parameters)
        if rows:
            self.raw.cursor().executemany(_marks(sql), rows)

    def __enter__(self) -> _Connection:
        transaction = self.raw.transaction()
        transaction.__enter__()
        self._open.append(transaction)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
        /,
    ) -> Literal[False]:
        self._open.pop().__exit__(kind, error, trace)
        return False

    def close(self) -> None:
        self.raw.close()


def _marks(sql: str) -> str:
    """qmark SQL as psycopg's: the catalog's SQL holds no `%` and no `?` but its marks."""
    return sql.replace("?", "%s")


def connect(url: str) -> Any:
    """A psycopg connection in autocommit mode, or an error that says what to fix."""
    try:
        import psycopg
    except ImportError:
        raise IndexError_(
            "a PostgreSQL catalog needs psycopg: pip install 'news-assistant[postgres]'"
        ) from None
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise IndexError_(
            f"cannot reach the PostgreSQL catalog at {redact(url)} ({reason}): check "
            "--catalog-url (or ASSISTANT_CATALOG_URL) and that the server is running"
        ) from None


class PostgresBackend:
    """The catalog and keyword search in the PostgreSQL database at `url`."""

    concurrent_writers = True

    def __init__(self, url: str, embedding_model: str | None = None) -> None:
        self.url = url
        self.location = f"the catalog at {redact(url)}"
        self.embedding_model = embedding_model
        self._local = threading.local()  # each thread's connection, and writer if it writes
        self._schema_lock = threading.Lock()
        self._schema_ready = False
        self._bm25 = SqlBM25(lambda: self.db)

    # -- the catalog -------------------------------------------------------------------

    def _conn(self) -> _Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = _Connection(connect(self.url))
            self._local.conn = conn
        return conn

    @property
    def db(self) -> _Connection:
        """This thread's connection; the first one brings the schema up to date."""
        conn = self._conn()
        if self._schema_ready:
            return conn
        with self._schema_lock:
            if not self._schema_ready:
                with conn.raw.transaction():
                    conn.raw.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                    conn.raw.execute(_SCHEMA)
                catalog.check_model(conn, self.location, self.embedding_model)
                self._schema_ready = True
        return conn

    def exists(self) -> bool:
        row = self._conn().execute("SELECT to_regclass('articles') IS NOT NULL").fetchone()
        return bool(row[0])

    # -- keyword search ----------------------------------------------------------------

    def keyword_search(self, query: str, n: int, scope: Scope | None) -> list[tuple[str, float]]:
        """BM25 over the chunks' tsvectors, computed in the database (bm25_sql.py)."""
        return self._bm25.search(query, n, scope)

    def keyword_write(self, docs: Iterable[KeywordDoc], delete: Sequence[str] = ()) -> None:
        """Nothing: a chunk's words are set as the catalog inserts it."""

    def keyword_sweep(self, known: set[str]) -> int:
        return 0

    # -- writers -----------------------------------------------------------------------

    def lock(self, db: Any, keys: Sequence[str]) -> None:
        """Hold each key's advisory transaction lock, taken in the order of the lock numbers
        (unnest reads the sorted array in order) by one statement, one round trip."""
        numbers = sorted({_lock_number(key) for key in keys})
        if numbers:
            db.execute(
                "SELECT count(pg_advisory_xact_lock(n)) FROM unnest(?::bigint[]) AS n", (numbers,)
            ).fetchone()

    def dropping(self, db: Any, chunk_ids: Sequence[str]) -> None:
        if chunk_ids:
            self._journal(db, chunk_ids)

    def will_write(self, chunk_ids: Sequence[str]) -> None:
        if chunk_ids:
            self._journal(self.db, chunk_ids)

    def _journal(self, db: Any, chunk_ids: Sequence[str]) -> None:
        db.execute(
            "INSERT INTO pending_vectors (writer, chunk_id) SELECT ?, unnest(?::text[])",
            (self._claim(), list(chunk_ids)),
        )

    def _claim(self) -> int:
        """This thread's writer number, whose session lock it holds on a connection of
        its own until `release()` (or until it dies, when the server lets go).

        One per thread, not one per backend: two ingests in one process (uploads in two
        chats) are two writers, so the first to finish neither clears the other's journal
        nor lets go of the lock that keeps it from being swept as a dead writer's."""
        writer: int | None = getattr(self._local, "writer", None)
        if writer is None:
            conn = connect(self.url)
            while True:
                writer = random.randrange(1, 2**31)
                held = conn.execute(
                    "SELECT pg_try_advisory_lock(%s, %s)", (_WRITERS, writer)
                ).fetchone()[0]
                if held:
                    break
            self._local.writer, self._local.writer_conn = writer, conn
        return writer

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Claims this writer's number; other writers may hold theirs at the same time."""
        self._claim()
        yield

    def mark_clean(self) -> None:
        writer = getattr(self._local, "writer", None)
        if writer is not None:
            self.db.execute("DELETE FROM pending_vectors WHERE writer = ?", (writer,))

    def recover(self, sweep: Sweep) -> int:
        """Sweeps the ids journaled by writers that hold no lock (dead ones), except those
        a live writer journaled too; one query when no writer died."""
        writer = getattr(self._local, "writer", None)
        rows = self.db.execute(
            """SELECT p.writer, p.chunk_id FROM pending_vectors p
               WHERE NOT EXISTS (
                   SELECT 1 FROM pg_locks l
                   WHERE l.locktype = 'advisory' AND l.classid = ? AND l.objsubid = 2
                     AND l.objid = p.writer::oid AND l.granted
                     AND l.database = (SELECT oid FROM pg_database
                                       WHERE datname = current_database()))"""
            + (" AND p.writer <> ?" if writer is not None else ""),
            (_WRITERS, writer) if writer is not None else (_WRITERS,),
        ).fetchall()
        if not rows:
            return 0
        dead = sorted({writer for writer, _ in rows})
        live = {
            r[0]
            for r in self.db.execute(
                "SELECT chunk_id FROM pending_vectors WHERE NOT (writer = ANY(?))", (dead,)
            )
        }
        removed = sweep(frozenset(cid for _, cid in rows) - live)
        self.db.execute("DELETE FROM pending_vectors WHERE writer = ANY(?)", (dead,))
        return removed

    def release(self) -> None:
        """Let go of this thread's writer number (its journal rows, if any are left, become
        a dead writer's, swept by the next ingest)."""
        conn = getattr(self._local, "writer_conn", None)
        self._local.writer, self._local.writer_conn = None, None
        if conn is not None:
            conn.close()

    def close(self) -> None:
        self.release()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _lock_number(key: str) -> int:
    """An article key as a bigint advisory lock: the same number in every process."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), signed=True)
