"""The BM25 in SQL (assistant/index/bm25_sql.py) on a real PostgreSQL 15: its pruned top n
is the ranking of every chunk that shares a word with the question, and its word counts
are exact and follow ingest and delete.

The chunks are written straight into the catalog's tables (the trigger computes their
tsvectors as for an ingest): what is tested is the ranking, not the ingest.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date

import pytest

from assistant.index.bm25_sql import SqlBM25
from assistant.index.keywords import MIN_KEYWORD_SCORE
from assistant.index.postgres import CHUNK_STATS_ROWS, PostgresBackend, connect
from assistant.index.scope import Scope

COMMON = ["market", "price", "city", "council", "report", "week"]
QUESTION = "Which zephyr and quasar market price city council report this week?"
# Besides QUESTION: common words alone, and one rare word among them.
OTHERS = ["market price city council report week", "zephyr city council week"]


def _filler(rng: random.Random, n: int) -> list[str]:
    return [f"fill{rng.choice('abcdefghij')}{rng.choice('klmnopqrst')}x" for _ in range(n)]


def _text(rng: random.Random, kind: str) -> str:
    """Short chunks full of the common words, long ones holding a rare word once, and
    middling ones with a little of both, so that the best chunks for QUESTION include
    some without a rare word."""
    if kind == "common":
        words = [w for w in COMMON for _ in range(rng.randint(0, 6))] + _filler(rng, 8)
    elif kind == "zephyr":
        words = ["zephyr", *rng.sample(COMMON, 1), *_filler(rng, rng.randint(150, 250))]
    elif kind == "quasar":
        words = ["quasar", *rng.sample(COMMON, 3), *_filler(rng, rng.randint(30, 80))]
    else:
        words = [*rng.sample(COMMON, 2), *_filler(rng, rng.randint(40, 120))]
    rng.shuffle(words)
    return " ".join(words)


def _add(backend: PostgresBackend, article: str, texts: list[str], published: str) -> None:
    raw = backend.db.raw
    raw.execute(
        """INSERT INTO articles (id, version, title, url, published, source, authors, path,
                                 n_chunks, url_key)
           VALUES (%s, 'v1', %s, NULL, %s, 'Test Wire', '[]', NULL, %s, NULL)""",
        (article, f"Dispatch {article}", published, len(texts)),
    )
    with raw.cursor() as cur:
        cur.executemany(
            """INSERT INTO chunks (id, article_id, idx, start, "end", text)
               VALUES (%s, %s, %s, 0, %s, %s)""",
            [(f"{article}:{i}", article, i, len(t), t) for i, t in enumerate(texts)],
        )


@pytest.fixture
def backend(catalog_url: str) -> Iterator[PostgresBackend]:
    """A catalog of 300 chunks in 60 articles, where the question's common words are in
    most chunks and its rare ones in few."""
    rng = random.Random(18)
    backend = PostgresBackend(catalog_url)
    kinds = ["common"] * 80 + ["zephyr"] * 30 + ["quasar"] * 20 + ["other"] * 170
    rng.shuffle(kinds)
    for a in range(60):
        texts = [_text(rng, kind) for kind in kinds[a * 5 : a * 5 + 5]]
        _add(backend, f"a{a:02d}", texts, f"2024-0{1 + a % 6}-15")
    yield backend
    backend.close()


def _unpruned(bm25: SqlBM25, query: str, n: int, scope: Scope | None) -> list[tuple[str, float]]:
    """Every chunk holding a word of the question scored, the best n kept."""
    terms = bm25.terms(query)
    rows = bm25.score(terms, " | ".join(f"'{t.lexeme}'" for t in terms), n, scope)
    return [(cid, score) for cid, score in rows if score > MIN_KEYWORD_SCORE]


@pytest.mark.parametrize("n", [1, 3, 10, 25, 60, 400])
def test_the_pruned_top_n_is_the_full_ranking(backend: PostgresBackend, n: int) -> None:
    """The first round scores only the chunks with a rare word; chunks with nothing but
    common words belong in the top n too, and a bound too low (or a check too lax) would
    leave them out."""
    bm25 = SqlBM25(lambda: backend.db)
    for question in (QUESTION, *OTHERS):
        for scope in (None, Scope(since=date(2024, 3, 1))):
            found = bm25.search(question, n, scope)
            assert found == _unpruned(bm25, question, n, scope), (question, scope)
            assert len(found) == min(n, len(_unpruned(bm25, question, 1000, scope)))
    rare = {cid for cid, _ in bm25.search("zephyr quasar", 1000, None)}
    if n >= 10:
        # The case pruning has to get right: a chunk without any rare word in the top n.
        assert any(cid not in rare for cid, _ in bm25.search(QUESTION, n, None))


def _count(backend: PostgresBackend, lexeme: str) -> int:
    query = "SELECT count(*) FROM chunks WHERE words @@ quote_literal(?)::tsquery"
    return int(backend.db.execute(query, (lexeme,)).fetchone()[0])


def test_word_counts_are_exact_and_follow_ingest_and_delete(backend: PostgresBackend) -> None:
    """Each word's count is exact; a common one's is kept for CORPUS_TTL, a rarer one's is
    counted for each question, so an article added is found at once, and one deleted is
    gone at once."""
    bm25 = SqlBM25(lambda: backend.db, keep_from=50)
    before = {t.lexeme: t.df for t in bm25.terms(QUESTION)}
    assert before == {lexeme: _count(backend, lexeme) for lexeme in before}
    assert before["zephyr"] < 50 <= before["market"]
    assert bm25.search("quokka", 5, None) == []

    _add(backend, "new", ["the quokka crossed the market by a zephyr", "nothing"], "2024-07-01")
    assert [cid for cid, _ in bm25.search("quokka market", 1, None)] == ["new:0"]
    after = {t.lexeme: t.df for t in bm25.terms(QUESTION)}
    assert after["zephyr"] == before["zephyr"] + 1  # counted again
    assert after["market"] == before["market"]  # kept for CORPUS_TTL
    assert {t.lexeme: t.df for t in SqlBM25(lambda: backend.db).terms(QUESTION)} == {
        lexeme: _count(backend, lexeme) for lexeme in before
    }
    assert bm25.search(QUESTION, 10, None) == _unpruned(bm25, QUESTION, 10, None)

    backend.db.execute("DELETE FROM chunks WHERE article_id = 'new'")
    backend.db.execute("DELETE FROM articles WHERE id = 'new'")
    assert bm25.search("quokka", 5, None) == []


# Words as Tantivy's tokenizer would cut them, and the edges of the old pattern: runs of
# 39, 40 and 100 letters, marks that join no words, letters beyond ASCII.
ODD_TEXTS = [
    "São Paulo naïve café, Ωmega 漢字 ١٢٣",
    "a_b c-d e'f 12.5% of 3,000 U.S. e\u0301t\u00e9 ab\x01cd",
    " ".join(["x" * 39, "y" * 40, "z" * 100 + "!", "w" * 41 + "é" * 3]),
    "",
    "   ",
]


def test_a_chunks_length_counts_its_words_as_the_first_schema_did(
    backend: PostgresBackend,
) -> None:
    """`word_count` (the BM25 length) gives the count of the pattern the catalog was
    first made with, on every chunk and on odd text, under the columns' collation and
    the database's: a change in it would move every stored chunk's score."""
    first = """SELECT count(*)::integer
               FROM regexp_matches(%s, '[[:alnum:]]{1,39}(?![[:alnum:]])', 'g')"""
    raw = backend.db.raw  # psycopg's own marks: the pattern holds a `?`
    texts = [r[0] for r in backend.db.execute("SELECT text FROM chunks")] + ODD_TEXTS
    for text in texts:
        for collation in ('"C"', "default"):
            cast = f"%s::text COLLATE {collation}" if collation != "default" else "%s::text"
            (new,) = raw.execute(f"SELECT word_count({cast})", (text,)).fetchone()
            (old,) = raw.execute(first.replace("%s", cast, 1), (text,)).fetchone()
            assert new == old, (text[:40], collation)
    (mismatched,) = backend.db.execute(
        "SELECT count(*) FROM chunks c JOIN articles a ON a.id = c.article_id "
        "WHERE c.length <> 2 * word_count(a.title) + word_count(c.text)"
    ).fetchone()
    assert mismatched == 0


def _scanned(backend: PostgresBackend) -> tuple[int, float]:
    """The chunk count and mean length by a full scan, as the catalog read them before."""
    total, mean = backend.db.execute(
        "SELECT count(*), coalesce(avg(length), 1) FROM chunks"
    ).fetchone()
    return int(total), float(mean) or 1.0


def test_the_chunk_count_and_mean_length_follow_every_write_exactly(
    backend: PostgresBackend,
) -> None:
    """The counts kept beside the chunks equal a full scan's to the last bit after inserts
    (one row or many a statement), deletes and a write rolled back, and so do the scores
    computed with them."""
    bm25 = SqlBM25(lambda: backend.db)
    assert bm25.corpus() == _scanned(backend)
    _add(
        backend,
        "new",
        ["the quokka crossed the market by a zephyr", "nothing", "a b"],
        "2024-07-01",
    )
    assert bm25.corpus() == _scanned(backend)
    raw = backend.db.raw
    raw.execute(
        """INSERT INTO chunks (id, article_id, idx, start, "end", text)
           VALUES ('new:7', 'new', 7, 0, 9, 'quokka market'), ('new:8', 'new', 8, 0, 4, 'week')"""
    )
    assert bm25.corpus() == _scanned(backend)
    with raw.transaction():
        raw.execute("DELETE FROM chunks WHERE article_id IN ('a01', 'a02')")
        assert bm25.corpus() == _scanned(backend)  # this transaction's own writes
        raw.execute("DELETE FROM chunks WHERE id = 'new:1'")
    assert bm25.corpus() == _scanned(backend)
    try:
        with raw.transaction():
            raw.execute("DELETE FROM chunks WHERE article_id = 'a03'")
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert bm25.corpus() == _scanned(backend)
    assert bm25.corpus()[0] == 300 - 10 + 3 + 2 - 1
    terms = bm25.terms(QUESTION)
    among = " | ".join(f"'{t.lexeme}'" for t in terms)
    full_scan = bm25.score(terms, among, 40, None, _scanned(backend)[1])
    assert bm25.score(terms, among, 40, None) == full_scan
    assert bm25.search(QUESTION, 10, None) == _unpruned(bm25, QUESTION, 10, None)


def test_an_older_catalog_is_counted_once_as_it_is_opened(catalog_url: str) -> None:
    """A catalog made before the counts were kept (no table, no triggers) gets them from
    one scan, as the first process of the new code opens it."""
    old = PostgresBackend(catalog_url)
    _add(old, "a", ["market price city", "council"], "2024-01-02")
    raw = old.db.raw
    raw.execute("DROP TRIGGER chunks_added ON chunks")
    raw.execute("DROP TRIGGER chunks_removed ON chunks")
    raw.execute("DROP TABLE chunk_stats")
    _add(old, "b", ["report week market", "zephyr", "quasar city"], "2024-01-03")
    old.close()
    backend = PostgresBackend(catalog_url)
    assert SqlBM25(lambda: backend.db).corpus() == _scanned(backend) == (5, _scanned(backend)[1])
    _add(backend, "c", ["one more chunk"], "2024-01-04")
    assert SqlBM25(lambda: backend.db).corpus() == _scanned(backend)
    backend.close()


def test_writers_side_by_side_never_wait_on_the_counts(backend: PostgresBackend) -> None:
    """Two transactions adding chunks at once both get through before either commits: the
    counts are kept in a row per connection (by its process id), not in one row that the
    first writer would hold until its commit."""
    first = connect(backend.url)
    second = connect(backend.url)
    pid = "SELECT pg_backend_pid()"
    for _ in range(20):  # the same row: another connection (two writers there wait, rarely)
        if first.execute(pid).fetchone()[0] % CHUNK_STATS_ROWS != (
            second.execute(pid).fetchone()[0] % CHUNK_STATS_ROWS
        ):
            break
        second.close()
        second = connect(backend.url)
    else:
        pytest.fail("20 connections in a row would write the same row of chunk_stats")
    insert = """INSERT INTO chunks (id, article_id, idx, start, "end", text)
                VALUES (%s, %s, 0, 0, 6, 'market')"""
    with first.transaction(), second.transaction():
        first.execute(insert, ("x:0", "a10"))
        second.execute("SET LOCAL lock_timeout = '5s'")
        second.execute(insert, ("y:0", "a11"))
    first.close()
    second.close()
    assert SqlBM25(lambda: backend.db).corpus() == _scanned(backend)
