"""BM25 inside PostgreSQL: the exact top n chunks for a question's words, without scoring
every chunk that shares a word with it.

The ranking is Tantivy's (keywords.py): idf from each word's document frequency, term
counts from the chunk's tsvector (a title word counting twice), a chunk's length rounded
to one byte as Lucene's field norms are. What makes it scale is what it does not read:

- Pruning (MaxScore, then a WAND-like condition). A word adds less than
  `idf * (k1 + 1)` to any chunk's score (its bound). The rarest words come first: the
  chunks holding one of them are scored, on all the question's words, and the n-th best
  of them is a floor for the final n-th score. If the remaining common words' bounds
  add up to less than it, no chunk holding only those can reach the top n, and the
  answer is exact. Otherwise the second round asks the GIN index only for the chunks
  whose words' bounds add up to more than the floor (a word strong enough alone, or
  sets of weaker ones, written as one tsquery) and scores those: a chunk holding a lone
  common word ("said", "year") is never read, though such words are in a large share of
  the chunks.
- Document frequencies: each word's count of chunks through the GIN index, exact. A
  common word's count (what reads thousands of GIN entries) is kept in the process for
  `CORPUS_TTL`; a rarer one is counted for each question, so a word new in the catalog
  is found at once. Nothing is written per word: ingest workers share no counter.
  (PostgreSQL's own statistics, `pg_stats.most_common_elem_freqs`, would cost nothing to
  read, but they are a sample, and the idf they give reorders the top n:
  docs/performance.md.)
- The chunk count and mean length: exact for each question, read with its words from
  the few rows of `chunk_stats`, which the catalog keeps in each write's transaction
  (postgres.py's schema), not by scanning the chunks.

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
# A common word's count is read at most this often.
CORPUS_TTL = 30.0
# A word in at least this many chunks keeps its count for CORPUS_TTL (counting it reads
# that many GIN entries); a rarer one is counted for every question, so that a word new
# in the catalog is found at once.
KEEP_FROM = 2000
# How many words a tsquery of `_enough` holds at most before it settles for less.
MAX_OPERANDS = 200
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
    """BM25 over the `chunks.words` tsvectors of the database `db()` returns; a word in
    `keep_from` chunks or more keeps its count for `CORPUS_TTL` seconds."""

    def __init__(self, db: Callable[[], Any], keep_from: int = KEEP_FROM) -> None:
        self._db = db
        self.keep_from = keep_from
        self._common: dict[str, tuple[float, int]] = {}  # word: when counted, chunks

    def search(self, query: str, n: int, scope: Scope | None) -> list[tuple[str, float]]:
        """(chunk id, score) of the best `n` chunks holding any of the words of `query`,
        best first (ties by storage order), scores at or below MIN_KEYWORD_SCORE left out."""
        if n <= 0:
            return []
        found, mean_length = self._terms(query)
        terms = sorted(found, key=lambda t: (-t.idf, t.lexeme))
        if not terms:
            return []
        essential = _first_round(terms, n)
        while True:
            rows = self.score(terms, _any(terms[:essential]), n, scope, mean_length)
            if essential == len(terms):
                return _kept(rows)
            if len(rows) == n:
                break
            essential = _wider(terms, essential)
        # The n-th score so far is at most the final one: a chunk whose words' bounds add
        # up to no more than it cannot reach the top n, and the others are what `_enough`
        # asks the GIN index for (with nothing but common words, most chunks need several).
        rest = sum(t.bound for t in terms[essential:])
        if rest >= rows[-1][1]:
            rows = self.score(terms, _enough(terms, rows[-1][1]), n, scope, mean_length)
        return _kept(rows)

    def score(
        self,
        terms: list[Term],
        among: str,
        n: int,
        scope: Scope | None,
        mean_length: float | None = None,
    ) -> list[tuple[str, float]]:
        """The best `n` chunks that match the tsquery `among`, scored on all of `terms`
        (with the chunks' mean length read with them, or else now)."""
        if mean_length is None:
            _, mean_length = self.corpus()
        condition, params = sql_scope(scope)
        lexemes = [t.lexeme for t in terms]
        # A chunk's tsvector cut down to the question's words before it is unnested (a
        # chunk holds many times more words than a question); its words' scores added in
        # one order, so that a chunk scores the same whatever the plan; articles joined
        # only for a scope.
        rows = self._db().execute(
            f"""WITH w AS (SELECT * FROM unnest(?::text[], ?::float8[]) AS w(lexeme, idf))
                SELECT c.id, s.score
                FROM chunks c{" JOIN articles a ON a.id = c.article_id" if condition else ""},
                     LATERAL (SELECT coalesce(sum(w.idf * m.tf * {K1 + 1}
                         / (m.tf + {K1} * ({1 - B} + {B} * field_norm(c.length) / ?::float8))
                         ORDER BY m.lexeme), 0) AS score
                     FROM (SELECT u.lexeme, cardinality(u.weights)
                                  + cardinality(array_positions(u.weights, 'A')) AS tf
                           FROM unnest(ts_delete(c.words, tsvector_to_array(
                               ts_delete(c.words, ?::text[])))) u) m
                     JOIN w ON w.lexeme = m.lexeme) s
                WHERE c.words @@ ?::tsquery{condition}
                ORDER BY s.score DESC, c.rowid LIMIT ?""",
            (
                lexemes,
                [t.idf for t in terms],
                mean_length,
                lexemes,
                among,
                *params,
                n,
            ),
        )
        return [(cid, float(score)) for cid, score in rows]

    def terms(self, query: str) -> list[Term]:
        """The question's stemmed words (stop words dropped) with their document frequency
        and idf; words no chunk holds are left out."""
        return self._terms(query)[0]

    def _terms(self, query: str) -> tuple[list[Term], float]:
        """`terms(query)`, and the chunks' mean length read with them."""
        lexemes, total, mean_length = self._lexemes(query)
        terms = [
            Term(lexeme, df, math.log(1 + (total - df + 0.5) / (df + 0.5)))
            for lexeme, df in self._counts(lexemes).items()
            if df
        ]
        return terms, mean_length

    def _lexemes(self, query: str) -> tuple[list[str], int, float]:
        """The question's lexemes, the chunk count and their mean length, in one round trip."""
        lexemes, total, mean = (
            self._db()
            .execute(
                f"""SELECT ARRAY(SELECT DISTINCT unnest(tsvector_to_array(
                               to_tsvector('english', ?)))), c.*
                   FROM ({_CORPUS}) c""",
                (" ".join(_TERM.findall(query)),),
            )
            .fetchone()
        )
        return [lexeme for lexeme in lexemes if len(lexeme) > 1], *_stats(total, mean)

    def _counts(self, lexemes: list[str]) -> dict[str, int]:
        """How many chunks hold each word: kept if read less than CORPUS_TTL ago, else
        counted through the GIN index (and kept if in KEEP_FROM chunks or more)."""
        now = time.monotonic()
        counts = {}
        for lexeme in lexemes:
            kept = self._common.get(lexeme)
            if kept is not None and now - kept[0] <= CORPUS_TTL:
                counts[lexeme] = kept[1]
        counted = [lexeme for lexeme in lexemes if lexeme not in counts]
        if counted:
            rows = self._db().execute(
                """SELECT l, (SELECT count(*) FROM chunks WHERE words @@ quote_literal(l)::tsquery)
                   FROM unnest(?::text[]) AS l""",
                (counted,),
            )
            for lexeme, df in rows:
                counts[lexeme] = df
                if df >= self.keep_from:
                    self._common[lexeme] = (now, df)
        return counts

    def corpus(self) -> tuple[int, float]:
        """How many chunks there are and their mean length in words, as committed now."""
        return _stats(*self._db().execute(_CORPUS).fetchone())


# The chunk count and mean length from `chunk_stats`: the mean is the numeric quotient
# `avg(length)` over the chunks would give (the sum and count of lengths, as numeric,
# divided), so the scores are those of a full scan to the last bit.
_CORPUS = """SELECT coalesce(sum(chunks), 0),
                     coalesce(sum(length) / nullif(sum(measured), 0), 1)
              FROM chunk_stats"""


def _stats(total: Any, mean: Any) -> tuple[int, float]:
    """A `_CORPUS` row as numbers: the chunk count, and a mean length that is never 0."""
    return int(total), float(mean) or 1.0


def _first_round(terms: list[Term], n: int) -> int:
    """How many of the rarest words to start from: enough that together they are likely
    to hold `FIRST_ROUND * n` chunks."""
    held = 0
    for i, t in enumerate(terms, 1):
        held += t.df
        if held >= FIRST_ROUND * n:
            return i
    return len(terms)


def _wider(terms: list[Term], essential: int) -> int:
    """How many words the next round takes, when the last found fewer than n chunks:
    enough to hold twice as many."""
    held = sum(t.df for t in terms[:essential])
    for i in range(essential + 1, len(terms) + 1):
        if sum(t.df for t in terms[:i]) >= 2 * held:
            return i
    return len(terms)


def _any(terms: list[Term]) -> str:
    """A tsquery for the chunks holding any of `terms`."""
    return " | ".join(_quoted(t.lexeme) for t in terms)


def _enough(terms: list[Term], threshold: float) -> str:
    """A tsquery for (at least) the chunks holding words whose bounds add up to more than
    `threshold`, `terms` taken by bound, highest first: a word whose bound is enough on
    its own, or a word and enough of the lower ones, or enough of the lower ones.

    Written out, that is every small enough set of words, which grows fast with a long
    question; so a set stops at the most words that keep the tsquery within
    `MAX_OPERANDS` (a set cut short asks for more chunks, never fewer)."""
    for longest in range(len(terms), 0, -1):
        query = _sets(terms, threshold, longest)
        if query is not None:
            return query
    return _any(terms)


class _TooLong(Exception):
    """The tsquery being written has outgrown MAX_OPERANDS."""


def _sets(terms: list[Term], threshold: float, longest: int) -> str | None:
    """`_enough`'s tsquery with sets of at most `longest` words; None if it would hold
    more than MAX_OPERANDS words."""
    rest = [sum(t.bound for t in terms[i:]) for i in range(len(terms) + 1)]
    written = 0

    def among(i: int, need: float, words: int) -> str | None:
        """Chunks holding words of terms[i:] whose bounds add up to more than `need`,
        `words` words already taken."""
        nonlocal written
        if rest[i] <= need:
            return None
        written += 1
        if written > MAX_OPERANDS:
            raise _TooLong
        word, bound = _quoted(terms[i].lexeme), terms[i].bound
        with_it: str | None = None
        if bound > need or (words + 1 == longest and rest[i + 1] > need - bound):
            with_it = word
        elif words + 1 < longest:
            more = among(i + 1, need - bound, words + 1)
            with_it = f"{word} & ({more})" if more else None
        without = among(i + 1, need, words)
        branches = [b for b in (with_it, without) if b]
        return " | ".join(f"({b})" for b in branches) if branches else None

    try:
        return among(0, threshold, 0) or _any(terms)
    except _TooLong:
        return None


def _kept(rows: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """A word found in nearly every chunk scores ~0: such hits say nothing."""
    return [(cid, score) for cid, score in rows if score > MIN_KEYWORD_SCORE]


def _quoted(lexeme: str) -> str:
    """A lexeme as a tsquery operand: quoted, so that no word is read as an operator."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"
