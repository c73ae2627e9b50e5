"""The short answer: the one span of a cited sentence that answers the question.

A person for "who", a place for "where", a date for "when", a number with its unit for
"how many", an organisation or name for "which" (question.py says which types answer).
It is taken from the answer's own sentences, best first, and never repeats the question.
When a sentence holds several candidates of the best type, the one the other chosen
sentences name more often is the short answer, else the first; but a list ("founded by A,
B and C") is not a short answer: then there is none.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence

from ..text.nlp import Entity
from ..text.words import content_words, fold
from .question import Asked

# A number's unit: the word after it ("4,000 books"), when it is a word that carries meaning.
_NEXT_WORD = re.compile(r"\s+([^\W\d_][\w-]*)")
# What stands between two items of a list: a comma or a conjunction, then at most a few
# words (a title: "CEO A, Chief Scientist B and C").
_JOINER = re.compile(r"\s*(?:,|,?\s*(?:and|or|&)\b)(?:\s*[\w.’'-]+){0,4}\s*")


def short_answer(
    asked: Asked, sentences: Sequence[tuple[str, list[Entity], str | None]]
) -> str | None:
    """The short answer from the answer's (sentence, its entities, its outlet), best
    sentence first. The outlet's own name ("CNN —" in a dateline) never answers."""
    if not asked.wants:
        return None
    mentions = Counter(_key(e.text) for _, found, _ in sentences for e in found)
    for text, found, outlet in sentences:
        usable = [
            e
            for e in found
            if e.label in asked.wants
            and not asked.in_question(e.text)
            and not _is_outlet(e.text, outlet)
        ]
        if not usable:
            continue
        rank = min(asked.wants.index(e.label) for e in usable)
        best = {_key(e.text): e for e in usable if asked.wants.index(e.label) == rank}
        if len(best) == 1:
            (entity,) = best.values()
            return _with_unit(text, entity)
        counts = sorted(((mentions[k], k) for k in best), reverse=True)
        if counts[0][0] > counts[1][0]:
            return _with_unit(text, best[counts[0][1]])
        if _listed(text, list(best.values())):
            return None
        return _with_unit(text, min(best.values(), key=lambda e: e.start))
    return None


def _listed(sentence: str, entities: list[Entity]) -> bool:
    """Whether the entities stand side by side as a list ("A, B and C", "A or B")."""
    ordered = sorted(entities, key=lambda e: e.start)
    return any(_JOINER.fullmatch(sentence[a.end : b.start]) for a, b in itertools.pairwise(ordered))


def _is_outlet(text: str, outlet: str | None) -> bool:
    """Whether the entity names the outlet itself: "CNN Business" for cnn.com."""
    if not outlet:
        return False
    name = outlet.lower().removeprefix("www.").split(".")[0]
    words = _key(text).split()
    return bool(words) and words[0] == name


def _key(text: str) -> str:
    return " ".join(fold(text.lower()).split())


def _with_unit(sentence: str, entity: Entity) -> str:
    """The entity's text, and for a bare number the word that says what it counts."""
    text = " ".join(entity.text.split())
    if entity.label == "CARDINAL":
        unit = _NEXT_WORD.match(sentence, entity.end)
        if unit and content_words(unit.group(1)):
            text = f"{text} {unit.group(1)}"
    return text
