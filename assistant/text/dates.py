"""Dates: parsing the dates articles carry, and the relative dates in a question.

`parse_date` reads ISO dates and datetimes, RFC 822 (feeds) and what dateutil reads
(if it names a year).

Relative dates in a question ("yesterday", "this week", "last month", "in March",
"recently") as a window of days, resolved against an anchor: the as-of date, or else the
newest article in the index (never the machine's clock: an archive from 2022 asked "this
week" means its last week, not today's). The windows are a news desk's: "today" is the
anchor day, "yesterday" the day before it, "this week" the seven days ending on it, "last
week" the seven before those, "in March" that month (the latest one not after the anchor
when no year is named). A window renders itself with its dates ("29 October – 4 November
2022"), so that an answer can say which days it read.

Also here: whether a question asks about a current state ("who is the new …", "still",
"now"), which wants the newest article that answers it.

Not here: what the retriever does with a window (it scopes to it when the window holds
articles), and absolute days written in the question ("on 5 March"), which the keyword
search matches as words.
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
    # A calendar window ("yesterday", "in March") scopes a search to its days; a vague one
    # ("recently") only prefers them.
    strict: bool = True

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.since <= day <= self.until

    def dates(self) -> str:
        """The days it covers: "3 November 2022", "29 October – 4 November 2022"."""
        if self.since == self.until:
            return day_text(self.since)
        if self.since.year != self.until.year:
            return f"{day_text(self.since)} – {day_text(self.until)}"
        if self.since.month != self.until.month:
            return f"{self.since.day} {self.since:%B} – {day_text(self.until)}"
        return f"{self.since.day} – {day_text(self.until)}"

    def describe(self) -> str:
        """The question's phrase with the dates: "this week (29 October – 4 November 2022)"."""
        return f"{self.phrase} ({self.dates()})"


def day_text(day: date) -> str:
    """A date as an answer writes it: "3 November 2022"."""
    return f"{day.day} {day:%B %Y}"


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _previous_month(anchor: date) -> tuple[date, date]:
    end = _month_start(anchor) - _days(1)
    return _month_start(end), end


# Most specific first: "last week" must not be read as "week". Each maps the anchor to an
# inclusive (since, until). The last, vague one is not strict.
_PHRASES: list[tuple[str, Callable[[date], tuple[date, date]]]] = [
    (r"\btoday\b|\bthis morning\b|\btonight\b", lambda a: (a, a)),
    (r"\byesterday\b", lambda a: (a - _days(1), a - _days(1))),
    (r"\b(this|past) weekend\b", lambda a: (a - _days(3), a)),
    # "over the last week" is the past seven days; "last week" the seven days before those.
    (r"\b(this|past|the last) week\b|\bthese days\b", lambda a: (a - _days(6), a)),
    (r"\blast week\b", lambda a: (a - _days(13), a - _days(7))),
    (r"\bthe (last|past) month\b", lambda a: (a - _days(30), a)),
    (r"\blast month\b", _previous_month),
    (r"\b(this|past) month\b", lambda a: (a - _days(31), a)),
    (r"\bthe (last|past) year\b", lambda a: (a - _days(364), a)),
    (r"\blast year\b", lambda a: (date(a.year - 1, 1, 1), date(a.year - 1, 12, 31))),
    (r"\b(this|past) year\b", lambda a: (date(a.year, 1, 1), a)),
    (
        r"\b(recent|recently|latest|newest|lately|currently)\b",
        lambda a: (a - _days(30), a),
    ),
]
_COMPILED = [(re.compile(p, re.IGNORECASE), f) for p, f in _PHRASES]

MONTHS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip
# "in March", "during March 2022", "of March": a month named without a day ("on 5 March"
# names a day, which the keyword search matches as words).
_MONTH = re.compile(
    r"\b(?:in|during|of|for)\s+(" + "|".join(MONTHS) + r")(?:\s*,?\s+(\d{4}))?\b(?!\s+\d)",
    re.IGNORECASE,
)


def resolve(question: str, anchor: date | None) -> Window | None:
    """The window the question's first relative-date phrase names, or None if it names none."""
    if anchor is None:
        return None
    for pattern, to_range in _COMPILED:
        match = pattern.search(question)
        if match:
            since, until = to_range(anchor)
            strict = to_range is not _COMPILED[-1][1]
            return Window(since, min(until, anchor), match.group(0).lower(), strict)
    return _month(question, anchor)


def _month(question: str, anchor: date) -> Window | None:
    """The month the question names: of its year, or else the latest not after the anchor."""
    match = _MONTH.search(question)
    if not match:
        return None
    month = MONTHS.index(match.group(1).lower()) + 1
    if match.group(2):
        year = int(match.group(2))
    else:
        year = anchor.year if month <= anchor.month else anchor.year - 1
    since = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1) - _days(1)
    if since > anchor:
        return None  # a month after the anchor holds no articles as of it
    phrase = f"in {since:%B}" + (f" {year}" if match.group(2) else "")
    return Window(since, min(end, anchor), phrase)


# A question about a current state: who holds a post now, what is still going on. "new"
# only in lower case: "New York" is a name.
_CURRENT = re.compile(
    r"\bthe\s+(?:(?-i:new)|current|present|incumbent|latest|newest)\b"
    r"|\b(?:currently|now|still)\b|^\s*who(?:'s|\s+is|\s+are)\s+the\b",
    re.IGNORECASE,
)


def asks_current_state(question: str) -> bool:
    """Whether the question asks for a present state ("Who is the new prime minister?"),
    which the newest article that answers it states best."""
    return bool(_CURRENT.search(question))


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
