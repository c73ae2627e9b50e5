"""The short answer: the one span of a cited sentence that answers the question.

A person for "who", a place for "where", a date for "when", a number with its unit for
"how many", an organisation or name for "which" (question.py says which types answer).
It is taken from the answer's own sentences and never repeats the question or names the
outlet in a dateline ("New York (CNN Business) —"):

1. The noun the question asks about ("which national park"), in any of the sentences,
   picks the entity that holds it ("Yosemite National Park"), stands just before it, or
   follows it as a title ("Hurricane Fiona").
2. Else, sentence by sentence, best first: the words that qualify that noun ("dry
   shampoo products" for "which household product"; "country music" for "which music
   genre", a noun with no entity type of its own; for a noun with types of its own, such
   as "price" or "state", only when no entity of them answers: "list" is no price);
3. or the entity that follows the word just before the wh-word in the question ("the
   sale of which team" -> "the sale of the Denver Broncos");
4. or the entity of the best type; among several, the one the other chosen sentences
   name more often, else the first. A list ("founded by A, B and C") is not a short
   answer, unless the question asks for that many ("which two countries"); a place and
   its larger place ("Palm Beach, Florida") are one answer, not a list.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from ..text.nlp import NAME, Analysis, Entity, Token
from ..text.words import content_words, fold, stem, stems
from .question import AGE, PLACE, Asked

# A number's unit: the word after it ("4,000 books"), when it is a word that carries meaning.
_NEXT_WORD = re.compile(r"\s+([^\W\d_][\w-]*)")
# What stands between two items of a list: a comma or a conjunction, then at most a few
# words (a title: "CEO A, Chief Scientist B and C").
_JOINER = re.compile(r"\s*(?:,|,?\s*(?:and|or|&)\b)(?:\s*[\w.’'-]+){0,4}\s*")
# A further capitalised item after or before a list: "A, B and Krakow", "Oslo, A and B".
_LIST_GOES_ON = re.compile(r",?\s*(?:,|and|or|&)\s+[A-Z]")
_LIST_CAME_BEFORE = re.compile(r"[A-Z][\w.’'-]*\s*,\s*\Z")
# A wire-style dateline that opens a story: a place (and the outlet in brackets) before a
# dash or a closing bracket: "Madrid (CNN)", "NASHVILLE, Tenn. –", "New York (CNN Business)".
_DATELINE = re.compile(
    r"\A\W*(?:[A-Z][\w.’'-]*,?\s+){0,4}?(?:\([^)]{1,40}\)\s*[—–-]*|[—–-]{1,2}\s)"
)
# How far before an entity the question's slot word may stand ("the sale of the ...").
_SLOT_WINDOW = 4
# A date or number that states an age: "a 17-year-old", "17 years old", "aged 90".
_AGE = re.compile(r"\d+[- ]years?[- ]old", re.I)
_AGED = re.compile(r"\bage[ds]?\s+\Z", re.I)


def short_answer(asked: Asked, sentences: Sequence[tuple[str, Analysis, str | None]]) -> str | None:
    """The short answer from the answer's (sentence, its analysis, its outlet), best
    sentence first."""
    if not asked.wants and asked.head is None:
        return None
    mentions = Counter(_key(e.text) for _, a, _ in sentences for e in a.entities)
    read = [
        (text, analysis, _named(text, analysis, outlet)) for text, analysis, outlet in sentences
    ]
    # The asked-about noun is the surest sign: a later sentence that names "Yellowstone
    # National Park" beats an earlier one that only has a place of the asked-for type.
    if asked.head is not None:
        for text, analysis, named in read:
            found = _by_head(asked, text, analysis.tokens, named)
            if found is not None:
                return found
    for text, analysis, named in read:
        found = None
        if asked.head and not asked.typed_head:
            found = _by_qualifier(asked, text, analysis.tokens)
        if found is None and asked.wants:
            usable = [e for e in named if _wanted(asked, e) and not asked.in_question(e.text)]
            found = _by_slot(asked, analysis.tokens, usable) or _by_type(
                asked, text, usable, mentions
            )
        if found is None and asked.typed_head:
            found = _by_qualifier(asked, text, analysis.tokens)
        if found is not None:  # a span of punctuation alone ("−") answers nothing
            return found if any(ch.isalnum() for ch in found) else None
    return None


def _named(text: str, analysis: Analysis, outlet: str | None) -> list[Entity]:
    """The sentence's entities that may answer: none in its dateline or naming its outlet,
    a place and its larger place as one, an age labelled as such."""
    opening = _dateline_end(text)
    return [
        _typed(text, e)
        for e in _places(text, analysis.entities)
        if e.start >= opening and not _is_outlet(e.text, outlet)
    ]


def _by_head(asked: Asked, text: str, tokens: tuple[Token, ...], named: list[Entity]) -> str | None:
    """The entity holding, or just before, the asked-about noun ("Yosemite National Park"
    holds "park", as the question does: it must add a word of its own), or named right
    after it as a title ("Hurricane Fiona")."""
    wanted = [e for e in named if _wanted(asked, e) or not asked.wants]
    for t in _heads(asked, tokens):
        end = t.start + len(t.text)
        for e in named:
            holds = e.start <= t.start < e.end
            before = e.end <= t.start and not text[e.end : t.start].strip()
            if (holds or before) and e in wanted and stems(e.text) - asked.words:
                return _with_unit(text, e)
            if t.pos == "PROPN" and e.start > t.start and not text[end : e.start].strip():
                return " ".join(text[t.start : e.end].split())  # whatever its label
    return None


def _by_qualifier(asked: Asked, text: str, tokens: tuple[Token, ...]) -> str | None:
    """The words that qualify the asked-about noun ("dry shampoo products" for "which
    household product"), or failing that a noun of the question's phrase ("country music"
    for "which music genre")."""
    nouns = [n for n, t in enumerate(tokens) if t.pos in ("NOUN", "PROPN")]
    heads = [n for n in nouns if tokens[n].lemma == asked.head]
    for n in heads or [n for n in nouns if tokens[n].lemma in asked.qualifiers]:
        qualifiers = list(itertools.takewhile(_qualifies, reversed(tokens[:n])))
        words = [q for q in qualifiers if q.pos in ("NOUN", "PROPN")]
        if words and not asked.in_question(" ".join(q.text for q in words)):
            first = qualifiers[-1]
            return " ".join(text[first.start : tokens[n].start].split())
    return None


def _heads(asked: Asked, tokens: tuple[Token, ...]) -> list[Token]:
    """The sentence's nouns that are the asked-about noun."""
    return [t for t in tokens if t.lemma == asked.head and t.pos in ("NOUN", "PROPN")]


def _wanted(asked: Asked, entity: Entity) -> bool:
    """Whether the entity is of a type that answers the question."""
    return entity.label in asked.wants or (entity.label == NAME and asked.wants_names)


def _typed(sentence: str, entity: Entity) -> Entity:
    """The entity, labelled an age when it states one ("a 17-year-old", "aged 90")."""
    if entity.label not in ("DATE", "CARDINAL"):
        return entity
    if _AGE.search(entity.text) or _AGED.search(sentence[max(0, entity.start - 6) : entity.start]):
        return replace(entity, label=AGE)
    return entity


def _places(sentence: str, entities: Sequence[Entity]) -> list[Entity]:
    """The entities, with two that name one thing made one: a place and the larger place
    after a comma ("Palm Beach, Florida"; a pair, not a list, when no third item
    follows), and a place that opens an organisation's name ("Denver" "Broncos")."""
    ordered = sorted(entities, key=lambda e: e.start)
    out: list[Entity] = []
    n = 0
    while n < len(ordered):
        e = ordered[n]
        nxt = ordered[n + 1] if n + 1 < len(ordered) else None
        label = _joined(sentence, out, ordered[n : n + 3])
        if nxt is not None and label is not None:
            out.append(Entity(sentence[e.start : nxt.end], label, e.start, nxt.end))
            n += 2
            continue
        out.append(e)
        n += 1
    return out


# Entities that follow a place without making it one of a list ("Florida, on Monday").
_NOT_ITEMS = ("DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY")


def _joined(sentence: str, before: list[Entity], run: list[Entity]) -> str | None:
    """The label of the first two entities of `run` taken as one, or None if they are two."""
    if len(run) < 2 or run[0].label not in PLACE:
        return None
    first, second, *after = run
    between = sentence[first.end : second.start]
    if between == " " and second.label in ("ORG", NAME):
        return "ORG"
    in_list = (
        after
        and after[0].label not in _NOT_ITEMS
        and _JOINER.fullmatch(sentence[second.end : after[0].start])
    ) or (
        before
        and before[-1].label not in _NOT_ITEMS
        and _JOINER.fullmatch(sentence[before[-1].end : first.start])
    )
    if between == ", " and second.label in PLACE and not in_list:
        return first.label
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
        return _list_of(asked.count, text, list(best.values()))
    counts = sorted(((mentions[k], k) for k in best), reverse=True)
    if counts[0][0] > counts[1][0]:
        return _with_unit(text, best[counts[0][1]])
    return _with_unit(text, min(best.values(), key=lambda e: e.start))


def _list_of(count: int, sentence: str, best: list[Entity]) -> str:
    """For a question that asks for `count` things ("which two countries"), the list that
    names exactly that many ("Sweden and Finland"); else "" (a list is no short answer)."""
    if count < 2:
        return ""
    runs: list[list[Entity]] = []
    for e in sorted(best, key=lambda e: e.start):
        if runs and _JOINER.fullmatch(sentence[runs[-1][-1].end : e.start]):
            runs[-1].append(e)
        else:
            runs.append([e])
    for run in runs:
        start, end = run[0].start, run[-1].end
        longer = _LIST_GOES_ON.match(sentence, end) or _LIST_CAME_BEFORE.search(sentence[:start])
        if len(run) == count and not longer:  # a name of another type may extend the list
            return " ".join(sentence[start:end].split())
    return ""


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
