"""What a question asks: the kind of answer it wants, its predicate, its names and words.

Read from spaCy's analysis of the question (text/nlp.py): the wh-word and the noun after
"which"/"what" give the entity types that answer it, best first ("who" -> a person, then
an organisation or group; "which company" -> an organisation; "how many" -> a number; "when"
-> a date); its verbs, other than auxiliaries, are its predicate ("designed", "resigned");
its named entities and content words are what an answering sentence should share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..text.nlp import ROLES, Analysis, Linguist, Token
from ..text.terms import name_words
from ..text.words import stem, stems

NUMBER = ("CARDINAL", "QUANTITY", "MONEY", "PERCENT")
# Entities that measure rather than name: "a week", "first", "$1 billion" are no names.
MEASURES = frozenset({*NUMBER, "DATE", "TIME", "ORDINAL"})
DATE = ("DATE", "TIME")
PLACE = ("GPE", "LOC", "FAC")
# The small model often labels an unfamiliar person an organisation: "who" takes either.
PERSON = ("PERSON", "ORG", "NORP")
# Not a spaCy label: a date or number that states an age ("a 17-year-old"), see short.py.
AGE = "AGE"
WORKS = ("WORK_OF_ART", "PRODUCT", "ORG")
NAMED = ("ORG", "PERSON", "GPE", "PRODUCT", "WORK_OF_ART", "EVENT", "NORP", "FAC", "LOC", "LAW")

# The noun after "which"/"what" -> the entity types that answer it. One string a row, not
# list literals: the formatter would give each word its own line.
_NOUN_ROWS: list[tuple[str, tuple[str, ...]]] = [
    (
        """company firm business brand organization organisation group agency network bank
        party university school airline band retailer maker startup manufacturer carrier
        league union publisher studio channel""",
        ("ORG", "PERSON", "PRODUCT"),
    ),
    # The small model often takes a team for a place ("the Las Vegas Aces").
    ("team club", ("ORG", "GPE", "NORP", "FAC")),
    ("country state city nation town province region island county capital", ("GPE", "LOC")),
    (" ".join(sorted(ROLES)), PERSON),
    ("year month day date week decade time", DATE),
    ("percentage percent share rate", ("PERCENT", "CARDINAL")),
    ("price amount sum cost", ("MONEY", "CARDINAL")),
    ("number", NUMBER),
    # An unfamiliar title often comes out as a person ("Squid Game"): last, but taken.
    ("film movie book song show album game series novel play", (*WORKS, "PERSON")),
    ("product car phone app device model drug vaccine", ("PRODUCT", "ORG")),
    ("storm hurricane war event tournament", ("EVENT", "PRODUCT")),
    ("law bill act", ("LAW",)),
    ("language", ("LANGUAGE", "NORP")),
    ("nationality religion", ("NORP",)),
]
_NOUN_TYPES = {w: types for row, types in _NOUN_ROWS for w in re.findall(r"\w+", row)}
# A measure is a quantity or a count, never a sum of money: that is "how much".
MEASURE = ("QUANTITY", "CARDINAL", "PERCENT")
_HOW: dict[str, tuple[str, ...]] = {
    "many": NUMBER,
    "much": ("MONEY", *NUMBER),
    "old": (AGE, "DATE", "CARDINAL"),
    "long": ("QUANTITY", "DATE", "TIME", "CARDINAL"),  # a length, or how long it lasted
    "soon": DATE,  # "as early as next week"
    "often": (*DATE, "CARDINAL"),  # "every two weeks", "twice a year"
    **{w: MEASURE for w in re.findall(r"\w+", "far big large tall high fast deep heavy")},
}
_AUXILIARIES = frozenset({"be", "do", "have", "will", "would", "can", "could", "may", "might"})


@dataclass(frozen=True)
class Asked:
    """What one question asks for."""

    wants: tuple[str, ...]  # entity types that answer it, best first; () if no single type
    predicates: frozenset[str]  # stems of its verbs
    names: frozenset[str]  # the words of its named entities (not dates or numbers)
    words: frozenset[str]  # stems of its content words
    head: str | None = None  # the noun "which"/"what" asks about ("park"), as a lemma
    # The stem of the word just before a wh-word inside the question ("the sale of which
    # team" -> "sale"): in the answering sentence it stands just before the answer.
    slot: str | None = None
    # The other nouns of the phrase "which"/"what" opens ("which music genre" -> "music").
    qualifiers: tuple[str, ...] = ()
    # How many the question asks for ("which two countries" -> 2): then a list answers.
    count: int = 1
    # The stem of the noun asked about when no entity type answers for it ("How long was
    # the detour?" -> "detour"): a sentence that names it is about what is asked.
    focus: str | None = None

    @property
    def typed_head(self) -> bool:
        """Whether the noun asked about has entity types of its own ("which state")."""
        return self.head in _NOUN_TYPES

    @property
    def wants_names(self) -> bool:
        """Whether a name of unknown type may answer (a person, an organisation ...)."""
        return bool(set(self.wants) & set(NAMED))

    @property
    def name_stems(self) -> frozenset[str]:
        """Its names' words stemmed as a sentence's are: their digits and stop words ("3"
        of "Claude 3", "the" of "the Lindqvist Bridge") are never among a sentence's."""
        return stems(" ".join(self.names))

    def in_question(self, text: str) -> bool:
        """Whether a candidate answer mostly repeats the question ("Mistral AI" for a
        question about Mistral): half or more of its words are the question's."""
        words = {stem(w) for w in name_words(text)}
        asked = self.words | {stem(w) for w in self.names}
        return bool(words) and 2 * len(words & asked) >= len(words)


def read_question(question: str, linguist: Linguist) -> Asked:
    """The answer types, predicate, names and words of `question`."""
    analysis = linguist.analyse(question)
    tokens = analysis.tokens
    verbs = [
        t
        for i, t in enumerate(tokens)
        if t.pos == "VERB"
        and t.lemma not in _AUXILIARIES
        and not _modifies(tokens, i)
        and not _noun_after_which(tokens, i)
    ]
    verbs += _after_do(tokens)
    # Its forms too: a sentence's words are stemmed as written, and an irregular verb's
    # stem is not its lemma's ("said" / "say").
    predicates = {
        stem(w) for t in verbs for w in (t.lemma, t.text.lower(), *linguist.verb_forms(t.lemma))
    }
    names = {w for e in analysis.entities if e.label not in MEASURES for w in name_words(e.text)}
    wants, head = _wants(analysis)
    phrase = _phrase(tokens, _asking(tokens))
    return Asked(
        wants,
        frozenset(predicates),
        frozenset(names),
        frozenset(stems(question)),
        head,
        _slot(tokens),
        _qualifiers(phrase, head),
        _count(phrase),
        _focus(tokens, head),
    )


def _after_do(tokens: tuple[Token, ...]) -> list[Token]:
    """The verb of a question that "do" supports, when the tagger took it for a noun: after
    "what/who … does/did/do" and its subject, the bare word that ends the question ("What
    does the EU AI Act ban?", "What did the court rule?")."""
    i = _asking(tokens)
    if i is None or i + 1 >= len(tokens) or tokens[i + 1].lemma != "do":
        return []
    words = [t for t in tokens[i + 2 :] if t.pos not in ("PUNCT", "ADP")]
    if len(words) < 2 or words[-1].pos != "NOUN" or words[-2].pos not in ("NOUN", "PROPN"):
        return []
    return [words[-1]]


def _modifies(tokens: tuple[Token, ...], i: int) -> bool:
    """Whether the verb at `i` is a participle describing the noun after it ("the floating
    library"): a word of the thing asked about, not what was done."""
    if i == 0:
        return False
    before = tokens[i - 1]
    after = tokens[i + 1].pos if i + 1 < len(tokens) else ""
    # A wh-word before the verb asks who did it ("Who founded Mistral?"): not a modifier.
    describes = before.pos in ("DET", "ADJ", "PRON") and before.text.lower() not in _WH
    return describes and after in ("NOUN", "PROPN")


_WH = frozenset({"how", "who", "whom", "whose", "when", "where", "which", "what"})


def _asking(tokens: tuple[Token, ...]) -> int | None:
    """Where the wh-word that asks is: the last one that is not relative, i.e. not right
    after a noun ("31 men who allegedly planned a riot ... Where was it?"); else the first."""
    found = [i for i, t in enumerate(tokens) if t.text.lower() in _WH]
    asking = [i for i in found if i == 0 or tokens[i - 1].pos not in ("NOUN", "PROPN", "PRON")]
    return asking[-1] if asking else (found[0] if found else None)


def _slot(tokens: tuple[Token, ...]) -> str | None:
    """The stem of the last content word within three words before the asking wh-word."""
    i = _asking(tokens)
    for t in reversed(tokens[max(0, (i or 0) - 3) : i or 0]):
        if t.pos == "PUNCT":  # another clause or sentence ends there
            break
        if t.pos in ("NOUN", "VERB", "PROPN") and stems(t.text):
            return stem(t.lemma)
    return None


def _wants(analysis: Analysis) -> tuple[tuple[str, ...], str | None]:
    """The entity types that answer the question, and the noun it asks about ("which
    national park" -> "park"), if any."""
    tokens = analysis.tokens
    i = _asking(tokens)
    if i is None:
        return (), None
    w = tokens[i].text.lower()
    after = tokens[i + 1].text.lower() if i + 1 < len(tokens) else ""
    if w == "how":
        return _HOW.get(after, ()), None
    if w in ("who", "whom", "whose"):
        return PERSON, None
    if w == "when":
        return DATE, None
    if w == "where":
        return PLACE, None
    head = _head_noun(tokens, i)
    if head is not None and head in _NOUN_TYPES:
        return _NOUN_TYPES[head], head
    if after in _NOUN_TYPES:  # "which state", whatever the tagger made of "state"
        return _NOUN_TYPES[after], after
    subject = _copula_subject(tokens, i) if w == "what" and head is None else None
    if subject in _NOUN_TYPES:  # "What was her time?"
        return _NOUN_TYPES[subject], subject
    return (NAMED if w == "which" else ()), head


def _head_noun(tokens: tuple[Token, ...], i: int) -> str | None:
    """The lemma of the noun a "which"/"what" asks about: the last noun of the words after
    it ("which US national park" -> "park", "which virus outbreak" -> "outbreak"); None
    when a verb or "of" comes first ("what is ...", "which of these")."""
    nouns = [t for t in _phrase(tokens, i) if t.pos == "NOUN"]
    return nouns[-1].lemma if nouns else None


def _focus(tokens: tuple[Token, ...], head: str | None) -> str | None:
    """The stem of the untyped noun the question asks about, measured or described after
    "how …" or "what" and a form of "be" ("How long was the detour?", "What was the
    verdict?"). Not the noun after "which"/"what" ("which condiment"): the answer names
    one ("mustard") rather than repeating the word."""
    i = _asking(tokens)
    if head is not None or i is None or tokens[i].text.lower() not in ("how", "what"):
        return None
    subject = _copula_subject(tokens, i + 1 if tokens[i].text.lower() == "how" else i)
    return stem(subject) if subject is not None and subject not in _NOUN_TYPES else None


def _copula_subject(tokens: tuple[Token, ...], i: int) -> str | None:
    """The lemma of the noun a "what is …" question asks about: the last noun of the noun
    phrase right after "what" and a form of "be" ("What was Oduya's time?" -> "time", "What
    is the capital of Peru?" -> "capital"); None if no such phrase follows."""
    if i + 1 >= len(tokens) or tokens[i + 1].lemma != "be":
        return None
    nouns: list[Token] = []
    for t in tokens[i + 2 : i + 8]:
        if t.text in ("'s", "’s"):
            nouns = []  # "Oduya's time": the thing owned is asked about
        elif t.pos == "NOUN":
            nouns.append(t)
        elif t.pos not in ("DET", "PRON", "PROPN", "ADJ", "NUM", "PART") or nouns:
            break
    return nouns[-1].lemma if nouns else None


def _phrase(tokens: tuple[Token, ...], i: int | None) -> list[Token]:
    """The noun phrase a "which"/"what" at `i` opens: "which highly anticipated show",
    "which two countries"; it ends at the first word that cannot stand in one, or at a
    possessive ("which women's sport" is about the sport)."""
    if i is None or tokens[i].text.lower() not in ("which", "what"):
        return []
    phrase: list[Token] = []
    for n, t in enumerate(tokens[i + 1 : i + 7], i + 1):
        if t.text in ("'s", "’s"):
            phrase = []
        elif t.pos in ("NOUN", "PROPN"):
            phrase.append(t)
        elif _mistagged_noun(tokens, n):
            phrase.append(replace(t, pos="NOUN"))
        elif not any(p.pos == "NOUN" for p in phrase) and (
            t.pos in ("ADJ", "ADV", "DET", "NUM") or _participle(tokens, n)
        ):
            phrase.append(t)  # "which highly anticipated show"
        else:
            break
    return phrase


def _qualifiers(phrase: list[Token], head: str | None) -> tuple[str, ...]:
    """The phrase's other nouns, when its head has no entity type of its own ("which music
    genre" -> "music"; but "which car company" asks for a company, not a kind of car)."""
    if head in _NOUN_TYPES:
        return ()
    return tuple(t.lemma for t in phrase if t.pos == "NOUN" and t.lemma != head)


def _participle(tokens: tuple[Token, ...], n: int) -> bool:
    """A verb form that describes the noun after it ("anticipated show")."""
    after = tokens[n + 1].pos if n + 1 < len(tokens) else ""
    return tokens[n].pos == "VERB" and after in ("NOUN", "PROPN", "ADJ")


def _noun_after_which(tokens: tuple[Token, ...], n: int) -> bool:
    """A "verb" right after "which"/"what" and before an auxiliary is the noun asked about
    ("Which languages is it fluent in?")."""
    rest = tokens[n + 1 :]
    return (
        tokens[n].pos == "VERB"
        and n > 0
        and tokens[n - 1].text.lower() in ("which", "what")
        and bool(rest)
        and rest[0].pos == "AUX"
    )


def _mistagged_noun(tokens: tuple[Token, ...], n: int) -> bool:
    """A noun the tagger took for a verb: at the end of the question, a bare form right
    after a noun, with nothing after it but punctuation ("to which virus outbreak?"); or
    one right after "which"/"what" (`_noun_after_which`)."""
    t = tokens[n]
    rest = tokens[n + 1 :]
    if _noun_after_which(tokens, n):
        return True
    return (
        t.pos == "VERB"
        and t.lemma == t.text.lower()
        and tokens[n - 1].pos == "NOUN"
        and all(r.pos == "PUNCT" for r in rest)
    )


_NUMBERS = {w: n for n, w in enumerate(["two", "three", "four", "five", "six"], 2)}


def _count(phrase: list[Token]) -> int:
    """How many things the phrase asks for: "which two countries" -> 2; else 1."""
    for t in phrase:
        word = t.text.lower()
        if word in _NUMBERS:
            return _NUMBERS[word]
        if t.pos == "NUM" and word.isdigit():
            return int(word)
    return 1
