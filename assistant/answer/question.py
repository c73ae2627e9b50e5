"""What a question asks: the kind of answer it wants, its predicate, its names and words.

Read from spaCy's analysis of the question (text/nlp.py): the wh-word and the noun after
"which"/"what" give the entity types that answer it, best first ("who" -> a person, then
an organisation or group; "which company" -> an organisation; "how many" -> a number; "when"
-> a date); its verbs, other than auxiliaries, are its predicate ("designed", "resigned");
its named entities and content words are what an answering sentence should share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text.nlp import Analysis, Linguist
from ..text.terms import name_words
from ..text.words import stem, stems

NUMBER = ("CARDINAL", "QUANTITY", "MONEY", "PERCENT")
DATE = ("DATE", "TIME")
PLACE = ("GPE", "LOC", "FAC")
# The small model often labels an unfamiliar person an organisation: "who" takes either.
PERSON = ("PERSON", "ORG", "NORP")
NAMED = ("ORG", "PERSON", "GPE", "PRODUCT", "WORK_OF_ART", "EVENT", "NORP", "FAC", "LOC", "LAW")

# The noun after "which"/"what" -> the entity types that answer it. One string a row, not
# list literals: the formatter would give each word its own line.
_NOUN_ROWS: list[tuple[str, tuple[str, ...]]] = [
    (
        """company firm business brand organization organisation group team club agency
        network bank party university school airline band retailer maker startup
        manufacturer carrier league union publisher studio channel""",
        ("ORG", "PERSON", "PRODUCT"),
    ),
    ("country state city nation town province region island county capital", ("GPE", "LOC")),
    (
        """person man woman actor actress singer player leader president minister ceo
        executive director author artist rapper star athlete senator governor judge
        official politician king queen founder""",
        PERSON,
    ),
    ("year month day date week decade", DATE),
    ("percentage percent share rate", ("PERCENT", "CARDINAL")),
    ("price amount sum cost", ("MONEY", "CARDINAL")),
    ("number", NUMBER),
    ("film movie book song show album game series novel play", ("WORK_OF_ART", "PRODUCT", "ORG")),
    ("product car phone app device model drug vaccine", ("PRODUCT", "ORG")),
    ("storm hurricane war event tournament", ("EVENT", "PRODUCT")),
    ("law bill act", ("LAW",)),
    ("language", ("LANGUAGE", "NORP")),
    ("nationality religion", ("NORP",)),
]
_NOUN_TYPES = {w: types for row, types in _NOUN_ROWS for w in re.findall(r"\w+", row)}
_HOW: dict[str, tuple[str, ...]] = {
    "many": NUMBER,
    "much": ("MONEY", *NUMBER),
    "old": ("DATE", "CARDINAL"),
    **{w: NUMBER for w in re.findall(r"\w+", "long far big large tall high fast deep heavy")},
}
_AUXILIARIES = frozenset({"be", "do", "have", "will", "would", "can", "could", "may", "might"})


@dataclass(frozen=True)
class Asked:
    """What one question asks for."""

    wants: tuple[str, ...]  # entity types that answer it, best first; () if no single type
    predicates: frozenset[str]  # stems of its verbs
    names: frozenset[str]  # the words of its named entities
    words: frozenset[str]  # stems of its content words

    def in_question(self, text: str) -> bool:
        """Whether a candidate answer mostly repeats the question ("Mistral AI" for a
        question about Mistral): half or more of its words are the question's."""
        words = {stem(w) for w in name_words(text)}
        asked = self.words | {stem(w) for w in self.names}
        return bool(words) and 2 * len(words & asked) >= len(words)


def read_question(question: str, linguist: Linguist) -> Asked:
    """The answer types, predicate, names and words of `question`."""
    analysis = linguist.analyse(question)
    predicates = {
        stem(t.lemma) for t in analysis.tokens if t.pos == "VERB" and t.lemma not in _AUXILIARIES
    }
    names = {w for e in analysis.entities for w in name_words(e.text)}
    return Asked(
        _wants(analysis), frozenset(predicates), frozenset(names), frozenset(stems(question))
    )


def _wants(analysis: Analysis) -> tuple[str, ...]:
    words = [t.text.lower() for t in analysis.tokens]
    lemmas = [t.lemma for t in analysis.tokens]
    for i, w in enumerate(words):
        after = words[i + 1] if i + 1 < len(words) else ""
        if w == "how":
            return _HOW.get(after, ())
        if w in ("who", "whom", "whose"):
            return PERSON
        if w == "when":
            return DATE
        if w == "where":
            return PLACE
        if w in ("which", "what"):
            if after in _NOUN_TYPES:  # "which state", whatever the tagger made of "state"
                return _NOUN_TYPES[after]
            noun = _noun_after(analysis, i)
            if noun is not None:
                return _NOUN_TYPES.get(lemmas[noun], NAMED if w == "which" else ())
            return NAMED if w == "which" else ()
    return ()


def _noun_after(analysis: Analysis, i: int) -> int | None:
    """The first noun after the wh-word at `i`, over adjectives ("which European country");
    None when a verb or "of" comes first ("what is ...", "which of these")."""
    for j in range(i + 1, min(i + 4, len(analysis.tokens))):
        pos = analysis.tokens[j].pos
        if pos in ("NOUN", "PROPN"):
            return j
        if pos not in ("ADJ", "DET", "NUM"):
            return None
    return None
