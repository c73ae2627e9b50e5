"""What a sentence says word for word: its dates, numbers and names.

The verifier (answer/verify.py) demands that a generated sentence's dates, numbers and
names be found in the passage it cites. The names are the words of the sentence's named
entities, as spaCy finds them (nlp.py); numbers and full dates are matched as written,
digit for digit, since a verifier must compare exact strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .nlp import NAME, Entity
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
# Entity types that are names: a sentence must name what its evidence names.
NAME_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", NAME}
)


@dataclass(frozen=True)
class Terms:
    """What a sentence must share with its evidence word for word: dates, numbers, names."""

    dates: frozenset[str]
    numbers: frozenset[str]
    names: frozenset[str]


def key_terms(text: str, entities: Iterable[Entity] = ()) -> Terms:
    """The dates, other numbers and names of a sentence, normalised for comparison;
    `entities` are the sentence's named entities (only the name types count)."""
    dates = full_dates(text)
    rest = _DATE.sub(" ", text)
    numbers = {n.replace(",", "") for n in _NUMBER.findall(rest)}
    names = {w for e in entities if e.label in NAME_LABELS for w in name_words(e.text)}
    return Terms(frozenset(dates), frozenset(numbers), frozenset(names))


def name_words(name: str) -> set[str]:
    """The words of a name, lower-cased, unaccented, without a possessive 's."""
    return {re.sub(r"['’]s?$", "", w) for w in re.findall(r"[\w'’-]+", fold(name.lower()))}


def full_dates(text: str) -> set[str]:
    """Full dates ("1 August 2024", "August 1, 2024", "2024-08-01") as ISO strings."""
    out = set(re.findall(r"\b\d{4}-\d{2}-\d{2}\b", text))
    for m in _DATE.finditer(text):
        day = m.group("d1") or m.group("d2")
        month = _MONTHS[(m.group("m1") or m.group("m2"))[:3].lower()]
        out.add(f"{m.group('y')}-{month:02d}-{int(day):02d}")
    return out
