"""Question latency and disk on the PostgreSQL backend against the embedded one, one run.

    .venv/bin/python benchmarks/postgres.py [--limit N] [--n 100] [--catalog-url URL]
        [--index DIR]

The embedded index is the one benchmarks/ingest.py builds (made here if missing), or a
copy of the existing index folder given as --index (an `assistant eval` cache, say: the
copy is what is opened, so the folder given is never written). Its
catalog is copied, row for row, into a new PostgreSQL database (the trigger computes the
keyword tsvectors as for an ingest), and the PostgreSQL index reads the same embedded
Chroma collection: the two differ only in where the catalog and the keyword search are.
Without --catalog-url, a temporary PostgreSQL 15 server is started (tests/postgres.py).

Printed: ask() p50 and p95 on each, interleaved question by question so that load from
elsewhere hits both alike, their ratio, and disk per 1,000 articles: the embedded
folder's files (catalog, keyword index, vectors) and the catalog tables' size in
PostgreSQL (with their TOAST, GIN and b-tree indexes, after VACUUM) beside the same
vectors.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common import DEV_QUESTIONS, ROOT, percentile, subset, table
from ingest import index_dir

from assistant.config import BACKENDS, DEFAULT_BACKEND

# The catalog's tables and the columns copied; chunks' words and length come from the
# trigger.
TABLES = {
    "meta": "key, value",
    "articles": "id, version, title, url, published, source, authors, path, n_chunks, url_key",
    "files": "path, digest, ids",
    "chunks": 'rowid, id, article_id, idx, start, "end", text',
    "sentence_vectors": 'chunk, start, "end", vector',
}


def size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


@contextmanager
def catalog_server(url: str | None) -> Iterator[str]:
    """A new database on the server at `url`, or on a temporary server."""
    sys.path.insert(0, str(ROOT))
    from tests.postgres import new_database, postgres_server

    if url:
        yield new_database(url)
        return
    with postgres_server() as server:
        yield new_database(server)


def copy_catalog(folder: Path, url: str) -> float:
    """The embedded catalog's rows into the database at `url`; returns the seconds taken."""
    import psycopg

    from assistant.index.postgres import PostgresBackend

    PostgresBackend(url).db.raw.close()  # the schema
    source = sqlite3.connect(folder / "catalog.sqlite3")
    start = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for table, columns in TABLES.items():
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in source.execute(f"SELECT {columns} FROM {table}"):
                    copy.write_row(row)
        cur.execute("SELECT setval('chunks_rowid_seq', (SELECT max(rowid) FROM chunks))")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="the index of the first N articles")
    parser.add_argument("--backend", default=DEFAULT_BACKEND, choices=BACKENDS)
    parser.add_argument("--n", type=int, default=100, help="how many questions")
    parser.add_argument("--catalog-url", help="a PostgreSQL server to make the database on")
    parser.add_argument("--index", type=Path, help="an existing index folder, copied and used")
    args = parser.parse_args()

    import psycopg

    from assistant import Assistant

    corpus = subset(args.limit)
    folder = index_dir(corpus, args.backend)
    if args.index:
        if not (args.index / "catalog.sqlite3").exists():
            parser.error(f"{args.index} holds no index (no catalog.sqlite3)")
        folder = Path(tempfile.mkdtemp(prefix="news-assistant-bench-")) / "index"
        shutil.copytree(args.index, folder)
    embedded = Assistant(index_dir=folder, auto_ingest=False, embedding_backend=args.backend)
    if not (folder / "catalog.sqlite3").exists():
        print(f"ingesting {corpus} into {folder} (once)", flush=True)
        assert embedded.ingest([corpus]).ok
    embedded.index.close()
    with DEV_QUESTIONS.open(encoding="utf-8") as f:
        questions = [json.loads(line)["question"] for line in f][: args.n]

    with catalog_server(args.catalog_url) as url:
        copied = copy_catalog(folder, url)
        pg = Assistant(
            index_dir=folder,
            auto_ingest=False,
            embedding_backend=args.backend,
            catalog_url=url,
            embedder=embedded.embedder,
            linguist=embedded.linguist,
        )
        assert pg.stats() == embedded.stats(), "the copy holds what the embedded catalog does"
        fresh = embedded.embedder._queries.clear
        for assistant in (embedded, pg):
            assistant.ask("warm up: who founded Mistral?")
        runs: dict[str, list[float]] = {"embedded": [], "postgres": []}
        same = 0
        for q in questions:
            texts = []
            for name, assistant in (("embedded", embedded), ("postgres", pg)):
                fresh()
                start = time.perf_counter()
                texts.append(assistant.ask(q).text)
                runs[name].append((time.perf_counter() - start) * 1000)
            same += texts[0] == texts[1]
        with psycopg.connect(url) as conn:
            database = int(
                conn.execute(
                    "SELECT sum(pg_total_relation_size(t)) FROM unnest(%s::regclass[]) t",
                    ([*TABLES, "pending_vectors"],),
                ).fetchone()[0]
            )
        stats = embedded.stats()

    per_1000 = 1000 / stats.articles / 2**20
    vectors = size(folder / "chroma")
    local = size(folder)
    rows = [["", "ask() p50 ms", "p95 ms", "MB per 1,000 articles (catalog + keywords)"]]
    rows.append(
        [
            "embedded (SQLite + Tantivy)",
            f"{percentile(runs['embedded'], 50):.1f}",
            f"{percentile(runs['embedded'], 95):.1f}",
            f"{local * per_1000:.0f} ({(local - vectors) * per_1000:.0f})",
        ]
    )
    rows.append(
        [
            "PostgreSQL",
            f"{percentile(runs['postgres'], 50):.1f}",
            f"{percentile(runs['postgres'], 95):.1f}",
            f"{(database + vectors) * per_1000:.0f} ({database * per_1000:.0f})",
        ]
    )
    print(f"index: {folder} ({stats.articles} articles, {embedded.index.chunk_count()} chunks)")
    print(f"{len(questions)} questions, backend {args.backend}; catalog copied in {copied:.1f} s\n")
    print(table(rows))
    ratio = percentile(runs["postgres"], 50) / percentile(runs["embedded"], 50)
    print(f"\nPostgreSQL / embedded ask() p50: {ratio:.2f}x")
    print(f"the same answer text on both: {same} of {len(questions)} questions")
    print(f"vectors (the same Chroma folder for both): {vectors * per_1000:.0f} MB per 1,000")
    if args.index:
        shutil.rmtree(folder.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
