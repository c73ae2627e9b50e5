"""The short answer: the one span of a cited sentence that answers the question.

A person for "who", a place for "where", a date for "when", a number with its unit for
"how many", an organisation or name for "which" (question.py says which types answer).
It is taken from the answer's own sentences, best first, and never repeats the question
or names the outlet in a dateline ("New York (CNN Business) —"). In each sentence:

1. The noun the question asks about ("which national park") picks the entity that holds
   it ("Yosemite National Park") or stands just before it, else the words that qualify it
   ("dry shampoo products" for "which household product").
2. The word just before the wh-word in the question ("the sale of which team") picks the
   entity that follows it in the sentence ("the sale of the Denver Broncos").
3. Else the entity of the best type; among several, the one the other chosen sentences
   name more often, else the first. A list ("founded by A, B and C") is not a short
   answer: then there is none.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence

from ..text.nlp import NAME, Analysis, Entity, Token
from ..text.words import content_words, fold, stem, stems
from .question import Asked

# A number's unit: the word after it ("4,000 books"), when it is a word that carries meaning.
_NEXT_WORD = re.compile(r"\s+([^\W\d_][\w-]*)")
# What stands between two items of a list: a comma or a conjunction, then at most a few
# words (a title: "CEO A, Chief Scientist B and C").
_JOINER = re.compile(r"\s*(?:,|,?\s*(?:and|or|&)\b)(?:\s*[\w.’'-]+){0,4}\s*")
# A wire-style dateline that opens a story: a place (and the outlet in brackets) before a
# dash or a closing bracket: "Madrid (CNN)", "NASHVILLE, Tenn. –", "New York (CNN Business)".
_DATELINE = re.compile(
    r"\A\W*(?:[A-Z][\w.’'-]*,?\s+){0,4}?(?:\([^)]{1,40}\)\s*[—–-]*|[—–-]{1,2}\s)"
)
# How far before an entity the question's slot word may stand ("the sale of the ...").
_SLOT_WINDOW = 4


def short_answer(asked: Asked, sentences: Sequence[tuple[str, Analysis, str | None]]) -> str | None:
    """The short answer from the answer's (sentence, its analysis, its outlet), best
    sentence first."""
    if not asked.wants and asked.head is None:
        return None
    mentions = Counter(_key(e.text) for _, a, _ in sentences for e in a.entities)
    for text, analysis, outlet in sentences:
        opening = _dateline_end(text)
        named = [
            e for e in analysis.entities if e.start >= opening and not _is_outlet(e.text, outlet)
        ]
        found = _by_head(asked, text, analysis.tokens, named)
        fresh = [e for e in named if not asked.in_question(e.text)]
        if found is None and asked.wants:
            usable = [
                e
                for e in fresh
                if e.label in asked.wants or (e.label == NAME and asked.wants_names)
            ]
            found = _by_slot(asked, analysis.tokens, usable) or _by_type(
                asked, text, usable, mentions
            )
        if found is not None:
            return found or None
    return None


def _by_head(asked: Asked, text: str, tokens: tuple[Token, ...], named: list[Entity]) -> str | None:
    """The entity holding, or just before, the asked-about noun ("Yosemite National Park"
    holds "park", as the question does: it must add a word of its own); else the words
    that qualify the noun."""
    if asked.head is None:
        return None
    for n, t in enumerate(tokens):
        if t.lemma != asked.head or t.pos not in ("NOUN", "PROPN"):
            continue
        for e in named:
            holds = e.start <= t.start < e.end
            before = e.end <= t.start and not text[e.end : t.start].strip()
            if (holds or before) and stems(e.text) - asked.words:
                return _with_unit(text, e)
        qualifiers = list(itertools.takewhile(_qualifies, reversed(tokens[:n])))
        nouns = [q for q in qualifiers if q.pos in ("NOUN", "PROPN")]
        if nouns and not asked.in_question(" ".join(q.text for q in nouns)):
            first = qualifiers[-1]
            return " ".join(text[first.start : t.start].split())
    return None


def _qualifies(t: Token) -> bool:
    """A word that can qualify a noun in a compound ("dry shampoo" products)."""
    return t.pos in ("NOUN", "PROPN", "ADJ") and t.text[:1].isalnum()


def _by_slot(asked: Asked, tokens: tuple[Token, ...], usable: list[Entity]) -> str | None:
    """The usable entity that follows the question's slot word closely."""
    if asked.slot is None:
        return None
    for n, t in enumerate(tokens):
        if stem(t.lemma) != asked.slot:
            continue
        after = tokens[n + 1 : n + 1 + _SLOT_WINDOW]
        if not after:
            continue
        limit = after[-1].start
        for e in sorted(usable, key=lambda e: e.start):
            if t.start < e.start <= limit:
                return " ".join(e.text.split())
    return None


def _by_type(asked: Asked, text: str, usable: list[Entity], mentions: Counter[str]) -> str | None:
    """The entity of the best asked-for type; "" (no answer at all) for a list."""
    if not usable:
        return None
    rank = min(_rank(asked, e) for e in usable)
    best = {_key(e.text): e for e in usable if _rank(asked, e) == rank}
    if len(best) == 1:
        (entity,) = best.values()
        return _with_unit(text, entity)
    if _listed(text, usable, list(best.values())):
        return ""
    counts = sorted(((mentions[k], k) for k in best), reverse=True)
    if counts[0][0] > counts[1][0]:
        return _with_unit(text, best[counts[0][1]])
    return _with_unit(text, min(best.values(), key=lambda e: e.start))


def _rank(asked: Asked, entity: Entity) -> int:
    """How good the entity's type is for the question: 0 best; a NAME comes last."""
    return asked.wants.index(entity.label) if entity.label in asked.wants else len(asked.wants)


def _dateline_end(sentence: str) -> int:
    """Where a dateline that opens the sentence ends (0 if there is none)."""
    m = _DATELINE.match(sentence)
    return m.end() if m else 0


def _listed(sentence: str, entities: list[Entity], best: list[Entity]) -> bool:
    """Whether one of the `best` entities stands in a list with another ("A, B and C",
    "A or B"; the others may be of a weaker type: "CEO A, Chief Scientist B")."""
    ordered = sorted(entities, key=lambda e: e.start)
    return any(
        (a in best or b in best) and _JOINER.fullmatch(sentence[a.end : b.start])
        for a, b in itertools.pairwise(ordered)
    )


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
