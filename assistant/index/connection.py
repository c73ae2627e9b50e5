"""The connection every catalog query goes through, whichever database holds the catalog.

Python's sqlite3 connection is the model: `execute(sql, params)` with `?` marks returns
rows to iterate or fetch, and `with conn:` is one transaction (committed, or rolled back
on an error). The PostgreSQL catalog (postgres.py) offers the same, so the SQL in
catalog.py and catalog_write.py is written once, in the subset both databases speak
(`ON CONFLICT` upserts, `RETURNING`).

Not here: opening a connection (embedded.py, postgres.py) or the queries (catalog.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from types import TracebackType
from typing import Any, Protocol


class Rows(Protocol):
    """What `execute` returns: a cursor over the result."""

    def __iter__(self) -> Iterator[Any]: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """A catalog connection: qmark parameters, and a context manager that is a transaction."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Rows: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Any: ...

    def __enter__(self) -> Any: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
        /,
    ) -> Any: ...
