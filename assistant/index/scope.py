"""Which articles a search may return, said once and translated for both stores.

A `Scope` becomes a Chroma `where` filter for the vector search, SQL conditions for the
catalog, and (in keywords.py) a filter in the keyword query, so that every ranking
sees the same articles.

Not here: running a search (index.py, vector_store.py, keywords.py), or deciding a
scope from a question's filters (retrieval.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

# A scoped vector search first runs unscoped these many times deeper, in turn, and keeps
# what the scope allows (Chroma filters slowly); only if that leaves too few does the
# scoped one run.
OVERFETCH = (2, 4)


@dataclass(frozen=True)
class Scope:
    """Which articles a search may return: a publication date range and/or outlets.

    An article without a date is outside any date range (it cannot be shown to fit).
    """

    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()


def day_number(day: date) -> int:
    """A date as the integer YYYYMMDD: how both stores compare publication dates (Chroma
    compares numbers, not strings; the keyword index filters on an integer field)."""
    return int(day.strftime("%Y%m%d"))


def chroma_where(scope: Scope | None) -> dict[str, Any] | None:
    """The scope as a Chroma metadata filter, or None when it allows everything."""
    if scope is None:
        return None
    clauses: list[dict[str, Any]] = []
    if scope.since:
        clauses.append({"published_int": {"$gte": day_number(scope.since)}})
    if scope.until:
        clauses.append({"published_int": {"$lte": day_number(scope.until)}})
    if scope.sources:
        clauses.append({"source": {"$in": list(scope.sources)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def sql_scope(scope: Scope | None) -> tuple[str, list[Any]]:
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
