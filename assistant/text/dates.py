"""Dates: parsing the dates articles carry, and the relative dates in a question.

`parse_date` reads ISO dates and datetimes, RFC 822 (feeds) and what dateutil reads
(if it names a year).

Relative dates in a question ("yesterday", "this week", "last month", "recently") as a
window of days, resolved against an anchor: the as-of date, or else the newest article in
the index (never the machine's clock: an archive from 2022 asked "this week" means its
last week, not today's).

The retriever treats a window as a preference, not a filter: news asked about "this week"
is often explained by an older background article, and dropping it would lose the answer.
Explicit `--since`/`--until` filters are hard. Not here: absolute dates written in the
question ("on 5 March"); they are matched as words by the keyword search.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any


@dataclass(frozen=True)
class Window:
    """An inclusive range of publication dates that a question's wording points at."""

    since: date
    until: date
    phrase: str

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.since <= day <= self.until


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _previous_month(anchor: date) -> tuple[date, date]:
    end = _month_start(anchor) - _days(1)
    return _month_start(end), end


# Most specific first: "last week" must not be read as "week". Each maps the anchor to an
# inclusive (since, until). A day's news is often published the day after, so windows
# that end in the past reach one day further.
_PHRASES: list[tuple[str, Callable[[date], tuple[date, date]]]] = [
    (r"\btoday\b|\bthis morning\b|\btonight\b", lambda a: (a - _days(1), a)),
    (r"\byesterday\b", lambda a: (a - _days(2), a)),
    (r"\b(this|past) weekend\b", lambda a: (a - _days(4), a)),
    (r"\blast week\b", lambda a: (a - _days(14), a - _days(6))),
    (r"\b(this|past) week\b|\bthese days\b", lambda a: (a - _days(7), a)),
    (r"\blast month\b", _previous_month),
    (r"\b(this|past) month\b", lambda a: (a - _days(31), a)),
    (r"\blast year\b", lambda a: (date(a.year - 1, 1, 1), date(a.year - 1, 12, 31))),
    (r"\b(this|past) year\b", lambda a: (date(a.year, 1, 1), a)),
    (
        r"\b(recent|recently|latest|newest|lately|currently)\b",
        lambda a: (a - _days(30), a),
    ),
]
_COMPILED = [(re.compile(p, re.IGNORECASE), f) for p, f in _PHRASES]


def resolve(question: str, anchor: date | None) -> Window | None:
    """The window the question's first relative-date phrase names, or None if it names none."""
    if anchor is None:
        return None
    for pattern, to_range in _COMPILED:
        match = pattern.search(question)
        if match:
            since, until = to_range(anchor)
            return Window(since, min(until, anchor), match.group(0).lower())
    return None


def parse_date(value: Any) -> date | None:
    """ISO dates and datetimes, RFC 822 (feeds), or anything dateutil reads that names a
    year; None otherwise (the caller says what was dropped)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for parse in (_iso, _rfc822, _dateutil):
        try:
            parsed = parse(text)
        except (ValueError, TypeError, OverflowError):
            continue
        if parsed is not None:
            return parsed
    return None


def _iso(text: str) -> date:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date()


def _rfc822(text: str) -> date:
    return parsedate_to_datetime(text).date()


def _dateutil(text: str) -> date | None:
    """What dateutil reads, if the text names a year: dateutil fills what is missing from a
    default date, so "Tuesday" would become a Tuesday of the year the parser ran in."""
    from dateutil import parser

    one, two = (parser.parse(text, default=datetime(y, 1, 1), fuzzy=False) for y in (1, 2))
    return one.date() if one.year == two.year else None
