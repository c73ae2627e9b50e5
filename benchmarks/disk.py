"""Disk per 1,000 articles, for both backends, and where the bytes go.

    .venv/bin/python benchmarks/disk.py [--limit 300] [--catalog-url URL] [--keep]

Ingests the first N articles of the dev corpus into a new index folder (the code under
test builds it: nothing is reused), then copies its catalog row for row into a new
PostgreSQL database, as benchmarks/postgres.py does (without --catalog-url, a temporary
PostgreSQL 15 server is started).

Printed, per 1,000 articles: every file the index folder holds (the catalog, the keyword
index, Chroma's own SQLite file and its vector segment), the pages of each table and
index inside the two SQLite files (SQLite's dbstat), and each catalog table's size in
PostgreSQL (with its TOAST and indexes, after VACUUM); then the totals of both backends.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
from pathlib import Path

from common import cache_dir, subset, table
from postgres import TABLES, catalog_server, copy_catalog

from assistant.config import BACKENDS, DEFAULT_BACKEND


def files(folder: Path) -> dict[str, int]:
    """Bytes per file, a Chroma segment's files under one name (its folder is a uuid)."""
    out: dict[str, int] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        parts = path.relative_to(folder).parts
        if parts[0] == "chroma" and len(parts) > 2:
            name = f"chroma/<segment>/{parts[-1]}"
        elif parts[0] == "keyword":
            name = f"keyword/*{path.suffix}" if path.suffix else "keyword/(other)"
        else:
            name = "/".join(parts)
        out[name] = out.get(name, 0) + path.stat().st_size
    return out


def sqlite_pages(path: Path) -> dict[str, int]:
    """Bytes of pages per table and index of an SQLite file, free pages included."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
        page_size, free = (
            conn.execute("PRAGMA page_size").fetchone()[0],
            conn.execute("PRAGMA freelist_count").fetchone()[0],
        )
    finally:
        conn.close()
    out = {name: int(size) for name, size in rows}
    if free:
        out["(free pages)"] = page_size * free
    return out


def postgres_sizes(url: str) -> dict[str, int]:
    """Bytes per catalog table in PostgreSQL, its TOAST and indexes included."""
    import psycopg

    names = [*TABLES, "pending_vectors"]
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT t::text, pg_total_relation_size(t) FROM unnest(%s::regclass[]) t",
            (names,),
        ).fetchall()
        indexes = conn.execute(
            "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[])",
            (names,),
        ).fetchall()
    return {**{name: int(n) for name, n in rows}, **{f"  {i}": int(n) for i, n in indexes}}


def section(title: str, sizes: dict[str, int], scale: float) -> list[list[str]]:
    rows = [[f"**{title}**", ""]]
    for name, n in sorted(sizes.items(), key=lambda kv: -kv[1]):
        if n * scale >= 0.05:
            rows.append([name, f"{n * scale:.1f}"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300, help="the first N articles")
    parser.add_argument("--backend", default=DEFAULT_BACKEND, choices=BACKENDS)
    parser.add_argument("--catalog-url", help="a PostgreSQL server to make the database on")
    parser.add_argument("--keep", action="store_true", help="keep the index folder")
    args = parser.parse_args()

    from assistant import Assistant

    corpus = subset(args.limit)
    folder = cache_dir() / f"disk-{corpus.stem}-{args.backend}"
    shutil.rmtree(folder, ignore_errors=True)
    assistant = Assistant(index_dir=folder, auto_ingest=False, embedding_backend=args.backend)
    print(f"ingesting {corpus} into {folder}", flush=True)
    report = assistant.ingest([corpus])
    assert report.ok, report.summary()
    stats = assistant.stats()
    assistant.index.close()
    scale = 1000 / stats.articles / 2**20

    held = files(folder)
    local = sum(held.values())
    vectors = sum(n for name, n in held.items() if name.startswith("chroma/"))
    rows = [["", "MB per 1,000 articles"]]
    rows += section("the index folder's files", held, scale)
    for name in ("catalog.sqlite3", "chroma/chroma.sqlite3"):
        rows += section(f"{name} (dbstat)", sqlite_pages(folder / name), scale)
    with catalog_server(args.catalog_url) as url:
        copy_catalog(folder, url)
        database = postgres_sizes(url)
    catalog = sum(n for name, n in database.items() if not name.startswith(" "))
    rows += section(
        "PostgreSQL (each table with its TOAST and indexes; then the indexes)", database, scale
    )
    print(f"{stats.articles} articles, {stats.chunks} chunks, backend {args.backend}\n")
    print(table(rows))
    print()
    print(
        table(
            [
                ["MB per 1,000 articles", "all", "catalog + keywords", "vectors (Chroma)"],
                [
                    "embedded (SQLite + Tantivy)",
                    f"{local * scale:.0f}",
                    f"{(local - vectors) * scale:.0f}",
                    f"{vectors * scale:.0f}",
                ],
                [
                    "PostgreSQL",
                    f"{(catalog + vectors) * scale:.0f}",
                    f"{catalog * scale:.0f}",
                    f"{vectors * scale:.0f}",
                ],
            ]
        )
    )
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
