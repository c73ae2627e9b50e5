"""What a sentence says word for word: its dates, numbers and names.

The verifier (verify.py) demands that a generated sentence's dates, numbers and names be
found in the passage it cites; the extractive answerer (answering.py) prefers sentences
that hold the kind of term a question asks for. Both read them here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .words import fold

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_DATE = re.compile(
    rf"\b(?:(?P<d1>\d{{1,2}})\s+(?P<m1>{_MONTH})|(?P<m2>{_MONTH})\s+(?P<d2>\d{{1,2}}),?)\s+(?P<y>\d{{4}})\b"
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][\w'’-]*")
# Capitalised only because they open a sentence.
_NOT_NAMES = frozenset(
    re.findall(
        r"\w+",
        "a an and as at but by for from he her his how i if in it its of on or our she so that "
        "the their then there these they this those to under unlike was we what when where "
        "which while who with yes no also however according",
    )
)


@dataclass(frozen=True)
class Terms:
    """What a sentence must share with its evidence word for word: dates, numbers, names."""

    dates: frozenset[str]
    numbers: frozenset[str]
    names: frozenset[str]


def key_terms(text: str) -> Terms:
    """The dates, other numbers and names of a sentence, normalised for comparison."""
    dates = full_dates(text)
    rest = _DATE.sub(" ", text)
    numbers = {n.replace(",", "") for n in _NUMBER.findall(rest)}
    words = {re.sub(r"['’]s?$", "", fold(w.lower())) for w in _NAME.findall(rest)}
    return Terms(frozenset(dates), frozenset(numbers), frozenset(words - _NOT_NAMES))


def full_dates(text: str) -> set[str]:
    """Full dates ("1 August 2024", "August 1, 2024", "2024-08-01") as ISO strings."""
    out = set(re.findall(r"\b\d{4}-\d{2}-\d{2}\b", text))
    for m in _DATE.finditer(text):
        day = m.group("d1") or m.group("d2")
        month = _MONTHS[(m.group("m1") or m.group("m2"))[:3].lower()]
        out.add(f"{m.group('y')}-{month:02d}-{int(day):02d}")
    return out
