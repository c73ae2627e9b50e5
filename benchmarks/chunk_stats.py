"""The PostgreSQL catalog's chunk count and mean length: what reading them costs a question,
and what keeping them costs a write.

    .venv/bin/python benchmarks/chunk_stats.py [--limit 2095] [--rounds 3] [--reads 200]

A temporary PostgreSQL 15 (tests/postgres.py), a new catalog, and the first --limit
articles of the dev corpus written through the catalog's own write (`catalog_write.swap`,
8 articles a transaction, as an ingest batch), cut into chunks of about 700 characters
(the sizes of real chunks; no model, no Chroma, no sentence vectors: what is measured is
the catalog). Printed:

- what writing every article (and then removing them) costs with the `chunk_stats`
  triggers and without them (disabled), --rounds times each, alternating;
- a read of the count and mean length: the full scan the keyword search made every 30 s
  (`count(*), avg(length)` over the chunks) against the sum of `chunk_stats`' rows, p50
  of --reads each, interleaved, and whether the two give the same numbers.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date

from common import DEV_CORPUS, ROOT, table

sys.path.insert(0, str(ROOT))

from assistant.index import catalog_write
from assistant.index.bm25_sql import SqlBM25
from assistant.index.postgres import PostgresBackend
from assistant.schema import Article, Chunk
from tests.postgres import new_database, postgres_server

WIDTH = 700
BATCH = 8
STATS_TRIGGERS = ("chunks_added", "chunks_removed")


def articles(limit: int) -> list[tuple[Article, list[Chunk]]]:
    out = []
    with DEV_CORPUS.open(encoding="utf-8") as f:
        for n, line in zip(range(limit), f, strict=False):
            raw = json.loads(line)
            text = raw.get("text") or ""
            if not text:
                continue
            article = Article(id=f"a{n}", title=raw.get("title") or f"a{n}", text=text,
                              published=date(2024, 1, 1 + n % 28))  # fmt: skip
            spans = [(a, min(a + WIDTH, len(text))) for a in range(0, len(text), WIDTH)]
            chunks = [Chunk(id=f"a{n}:{i}", article_id=article.id, index=i, text=text[a:b],
                            start=a, end=b) for i, (a, b) in enumerate(spans)]  # fmt: skip
            out.append((article, chunks))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=2095)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    items = articles(args.limit)
    with postgres_server() as server:
        backend = PostgresBackend(new_database(server))
        db = backend.db
        writes: dict[bool, list[float]] = {True: [], False: []}
        removals: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.rounds):
            for kept in (True, False):
                for name in STATS_TRIGGERS:
                    state = "ENABLE" if kept else "DISABLE"
                    db.execute(f"ALTER TABLE chunks {state} TRIGGER {name}")
                start = time.perf_counter()
                for k in range(0, len(items), BATCH):
                    catalog_write.swap(db, items[k : k + BATCH], (), (), backend)
                writes[kept].append(time.perf_counter() - start)
                start = time.perf_counter()
                catalog_write.remove_articles(db, [a.id for a, _ in items], backend)
                removals[kept].append(time.perf_counter() - start)
        db.execute("ALTER TABLE chunks ENABLE TRIGGER chunks_added")
        db.execute("ALTER TABLE chunks ENABLE TRIGGER chunks_removed")
        # What was written and removed without the triggers was not counted: count anew.
        db.execute("DELETE FROM chunk_stats")
        db.execute(
            "INSERT INTO chunk_stats SELECT 0, count(*), count(length), coalesce(sum(length), 0) "
            "FROM chunks"
        )
        for k in range(0, len(items), BATCH):
            catalog_write.swap(db, items[k : k + BATCH], (), (), backend)
        db.execute("VACUUM ANALYZE")
        bm25 = SqlBM25(lambda: backend.db)
        scan = "SELECT count(*), coalesce(avg(length), 1) FROM chunks"
        reads: dict[str, list[float]] = {"full scan": [], "chunk_stats": []}
        same = True
        for _ in range(args.reads):
            start = time.perf_counter()
            total, mean = db.execute(scan).fetchone()
            reads["full scan"].append(time.perf_counter() - start)
            start = time.perf_counter()
            kept_stats = bm25.corpus()
            reads["chunk_stats"].append(time.perf_counter() - start)
            same &= kept_stats == (int(total), float(mean) or 1.0)
        chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        backend.close()

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.2f}"

    def each(values: list[float]) -> str:
        return ", ".join(f"{v:.2f}" for v in values)

    print(f"{len(items)} articles, {chunks} chunks, {BATCH} articles a write\n")
    print(table([["seconds, each round", "with chunk_stats' triggers", "without"],
                 ["writing them all", each(writes[True]), each(writes[False])],
                 ["removing them all", each(removals[True]), each(removals[False])]]))  # fmt: skip
    print()
    print(table([["read of count and mean length, p50 ms", "full scan", "chunk_stats", "same"],
                 ["", ms(reads["full scan"]), ms(reads["chunk_stats"]), str(same)]]))  # fmt: skip


if __name__ == "__main__":
    main()
