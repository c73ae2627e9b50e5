"""BM25 inside PostgreSQL: the exact top n chunks for a question's words, without scoring
every chunk that shares a word with it.

The ranking is Tantivy's (keywords.py): idf from each word's document frequency, term
counts from the chunk's tsvector (a title word counting twice), a chunk's length rounded
to one byte as Lucene's field norms are. What makes it scale is what it does not read:

- Pruning (MaxScore). A word adds less than `idf * (k1 + 1)` to any chunk's score, so
  the words are taken rarest first, and only the chunks holding one of the first few
  (the "essential" words) are scored, on all the question's words. If the n-th best of
  them scores above what the remaining common words could add up to, no chunk holding
  only those can reach the top n, and the answer is exact; otherwise the next words
  join the essential ones and it runs again. A question's common words ("said", "year")
  are in a large share of the chunks, and now only help score the few that also hold a
  rare one.
- Document frequencies. A rare word is counted exactly through the GIN index (a few
  rows); a common one, whose count would read thousands, is taken from the column
  statistics PostgreSQL keeps for the tsvectors (`pg_stats.most_common_elem_freqs`,
  refreshed by ANALYZE and autovacuum) times the current chunk count. An idf changes
  little with a common word's count, and a word new since the last ANALYZE is not in
  the statistics, so it is counted. Nothing is written per word: ingest workers share
  no counter.

Not here: the tsvectors themselves (the trigger in postgres.py's schema) or the
scope's SQL (scope.py).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .keywords import MIN_KEYWORD_SCORE
from .scope import Scope, sql_scope

# BM25's parameters, Tantivy's (and Lucene's) defaults.
K1, B = 1.2, 0.75
# The chunk count, mean length and column statistics are read at most this often.
CORPUS_TTL = 30.0
# A word the statistics put in at least this many chunks takes its count from them;
# below it is counted exactly (cheap through the GIN index).
STATS_FROM = 2000
# The first essential words hold at least this many chunks per result wanted (more
# rarely needs a second round; fewer often does).
FIRST_ROUND = 4
# A question's words: letters and digits only; one letter says nothing, and Tantivy's
# analyser drops words over 40.
_TERM = re.compile(r"[^\W_]{2,40}")


@dataclass(frozen=True)
class Term:
    """A question's stemmed word, in how many chunks it is, and its BM25 idf."""

    lexeme: str
    df: int
    idf: float

    @property
    def bound(self) -> float:
        """More than the word can add to any chunk's score."""
        return self.idf * (K1 + 1)


class SqlBM25:
    """BM25 over the `chunks.words` tsvectors of the database `db()` returns; a word the
    statistics put in `stats_from` chunks or more takes its count from them."""

    def __init__(self, db: Callable[[], Any], stats_from: int = STATS_FROM) -> None:
        self._db = db
        self.stats_from = stats_from
        self._corpus_read: tuple[float, int, float] | None = None  # when, chunks, mean length
        self._stats_read: tuple[float, dict[str, float]] = (-math.inf, {})

    def search(self, query: str, n: int, scope: Scope | None) -> list[tuple[str, float]]:
        """(chunk id, score) of the best `n` chunks holding any of the words of `query`,
        best first (ties by storage order), scores at or below MIN_KEYWORD_SCORE left out."""
        if n <= 0:
            return []
        terms = sorted(self.terms(query), key=lambda t: (-t.idf, t.lexeme))
        if not terms:
            return []
        rest = [sum(t.bound for t in terms[i:]) for i in range(len(terms) + 1)]
        essential = _first_round(terms, n)
        while True:
            rows = self.score(terms, terms[:essential], n, scope)
            if essential == len(terms) or (len(rows) == n and rest[essential] < rows[-1][1]):
                break
            essential = _next_round(terms, rest, essential, rows, n)
        return [(cid, score) for cid, score in rows if score > MIN_KEYWORD_SCORE]

    def score(
        self, terms: list[Term], essential: list[Term], n: int, scope: Scope | None
    ) -> list[tuple[str, float]]:
        """The best `n` chunks holding an `essential` word, scored on all of `terms`."""
        _, mean_length = self.corpus()
        condition, params = sql_scope(scope)
        lexemes = [t.lexeme for t in terms]
        # A chunk's tsvector cut down to the question's words before it is unnested (a
        # chunk holds many times more words than a question); articles joined only for a
        # scope.
        rows = self._db().execute(
            f"""WITH w AS (SELECT * FROM unnest(?::text[], ?::float8[]) AS w(lexeme, idf))
                SELECT c.id, sum(w.idf * m.tf * {K1 + 1}
                           / (m.tf + {K1} * ({1 - B} + {B} * field_norm(c.length) / ?::float8)))
                           AS score
                FROM chunks c{" JOIN articles a ON a.id = c.article_id" if condition else ""},
                     LATERAL (SELECT u.lexeme, cardinality(u.weights)
                                  + cardinality(array_positions(u.weights, 'A')) AS tf
                              FROM unnest(ts_delete(c.words, tsvector_to_array(
                                  ts_delete(c.words, ?::text[])))) u) m
                     JOIN w ON w.lexeme = m.lexeme
                WHERE c.words @@ ?::tsquery{condition}
                GROUP BY c.id, c.rowid ORDER BY score DESC, c.rowid LIMIT ?""",
            (
                lexemes,
                [t.idf for t in terms],
                mean_length,
                lexemes,
                " | ".join(_quoted(t.lexeme) for t in essential),
                *params,
                n,
            ),
        )
        return [(cid, float(score)) for cid, score in rows]

    def terms(self, query: str) -> list[Term]:
        """The question's stemmed words (stop words dropped) with their document frequency
        and idf; words no chunk holds are left out."""
        total, _ = self.corpus()
        common = self.common()
        lexemes = self._db().execute(
            "SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('english', ?)))",
            (" ".join(_TERM.findall(query)),),
        )
        frequencies: dict[str, int] = {}
        counted = []
        for (lexeme,) in lexemes:
            if len(lexeme) < 2:
                continue
            estimate = round(common.get(lexeme, 0.0) * total)
            if estimate >= self.stats_from:
                frequencies[lexeme] = estimate
            else:
                counted.append(lexeme)
        if counted:
            frequencies.update(
                self._db().execute(
                    """SELECT l, (SELECT count(*) FROM chunks
                                  WHERE words @@ quote_literal(l)::tsquery)
                       FROM unnest(?::text[]) AS l""",
                    (counted,),
                )
            )
        return [
            Term(lexeme, df, math.log(1 + (total - df + 0.5) / (df + 0.5)))
            for lexeme, df in frequencies.items()
            if df
        ]

    def corpus(self) -> tuple[int, float]:
        """How many chunks there are and their mean length in words, read again
        when older than `CORPUS_TTL` seconds (a full scan; BM25 only needs it roughly)."""
        now = time.monotonic()
        read = self._corpus_read
        if read is None or now - read[0] > CORPUS_TTL or not read[1]:
            total, mean = (
                self._db()
                .execute("SELECT count(*), coalesce(avg(length), 1) FROM chunks")
                .fetchone()
            )
            read = self._corpus_read = (now, int(total), float(mean) or 1.0)
        return read[1], read[2]

    def common(self) -> dict[str, float]:
        """The share of chunks holding each of the tsvectors' most common words, as the
        last ANALYZE sampled them (empty before the first), read again when older than
        `CORPUS_TTL` seconds."""
        now = time.monotonic()
        if now - self._stats_read[0] > CORPUS_TTL:
            row = (
                self._db()
                .execute(
                    """SELECT most_common_elems::text::text[], most_common_elem_freqs
                       FROM pg_stats WHERE schemaname = current_schema()
                       AND tablename = 'chunks' AND attname = 'words'"""
                )
                .fetchone()
            )
            elems, freqs = row if row and row[0] else ([], [])
            self._stats_read = (now, dict(zip(elems, freqs, strict=False)))
        return self._stats_read[1]


def _first_round(terms: list[Term], n: int) -> int:
    """How many of the rarest words to start from: enough that together they are likely
    to hold `FIRST_ROUND * n` chunks."""
    held = 0
    for i, t in enumerate(terms, 1):
        held += t.df
        if held >= FIRST_ROUND * n:
            return i
    return len(terms)


def _next_round(
    terms: list[Term], rest: list[float], essential: int, rows: list[tuple[str, float]], n: int
) -> int:
    """How many words the next round takes as essential. With n results, the n-th score
    can only rise as more chunks are scored, so the first cut whose remaining words add up
    to less than it passes the check. With fewer than n, the words held by twice as many
    chunks."""
    if len(rows) == n:
        cut = range(essential + 1, len(terms))
        return next((i for i in cut if rest[i] < rows[-1][1]), len(terms))
    held = sum(t.df for t in terms[:essential])
    for i in range(essential + 1, len(terms) + 1):
        if sum(t.df for t in terms[:i]) >= 2 * held:
            return i
    return len(terms)


def _quoted(lexeme: str) -> str:
    """A lexeme as a tsquery operand: quoted, so that no word is read as an operator."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"
