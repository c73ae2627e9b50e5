"""Follow-up questions made standalone before retrieval, from the earlier turns.

With an LLM answerer the model rewrites the follow-up from the earlier questions and
answers; a reply that comes back empty or rambling falls back to the rule. Without one
the rule reads the question's words and entities (spaCy, text/nlp.py) and those of the
earlier turns, whose questions are already standalone:

- a pronoun takes the name it stands for: "he", "she", "his", "her" the last person named
  (in the last answer first: "Who is the chief executive?" then "where did he work?"),
  "it", "its", "they", "them" the last thing named in a question ("How many parameters
  does it have?" after "What is Codestral?");
- a question that is only a question word ("By whom?", "How much?", "When?") takes the
  rest of the last question ("When was Mistral AI founded?" -> "By whom was Mistral AI
  founded?");
- "And X?" swaps X into the last question that has a phrase like it: an entity for an
  entity ("And Bolsonaro?" for Lula), a phrase with the same head noun ("And the men's
  race?" for "the women's race"), a phrase opened by the same preposition ("And after
  the June 2024 round?");
- a question that names nothing of its own ("Who is the suspect?", "And who invested?")
  keeps its words and names the subject in parentheses: "Who invested (Mistral AI)?".

A question that names its own subject and refers to nothing is left as it is. The
previous question's predicate ("founded") is never carried into a follow-up that asks
something else ("and who invested?"): only names are. Not here: resolving references
inside the articles themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..schema import Turn
from ..text.nlp import Analysis, Entity, Linguist, Token

Rewriter = Callable[[str, Sequence[Turn]], str]

_PERSONAL = frozenset({"he", "him", "his", "she", "her", "hers"})
_IMPERSONAL = frozenset({"it", "its", "they", "them", "their"})
_POSSESSIVE = frozenset({"his", "its", "their", "hers"})
_WH = frozenset({"who", "whom", "whose", "what", "which", "when", "where", "why", "how"})
# Labels of what a follow-up can be about; dates and numbers are what it asks, not whom.
_NAMED = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"}
)
_NAMED |= {"NAME"}
_NOT_IT = frozenset({"PERSON"})
# Verbs whose subject "it" is an event ("when did it happen?"), not a thing to name.
_EVENT_VERBS = frozenset({"happen", "occur"})
_CHUNK = frozenset({"DET", "ADJ", "NOUN", "PROPN", "NUM", "PART"})
_OPENERS = ("and ", "what about ", "how about ")


@dataclass(frozen=True)
class _Read:
    """A text with its spaCy reading."""

    text: str
    tokens: tuple[Token, ...]
    entities: tuple[Entity, ...]

    @classmethod
    def of(cls, text: str, analysis: Analysis) -> _Read:
        return cls(text, analysis.tokens, analysis.entities)

    def names(self, person: bool | None = None) -> list[Entity]:
        """Named entities, in order, without a possessive "'s"; only persons, or only
        non-persons, if asked."""
        found = [self._whole(_bare(e)) for e in self.entities if e.label in _NAMED]
        if person is True:
            found = [e for e in found if e.label == "PERSON"]
        elif person is False:
            found = [e for e in found if e.label not in _NOT_IT]
        return _outermost(found)

    def _whole(self, name: Entity) -> Entity:
        """`name` with the model number or code that follows it ("Mistral 7B", "Claude 3"),
        which the recogniser often leaves out."""
        end = name.end
        for t in self.tokens:
            if (
                t.start == end + 1
                and t.pos in ("NUM", "NOUN", "PROPN")
                and any(c.isdigit() for c in t.text)
            ):
                end = t.start + len(t.text)
        return Entity(self.text[name.start : end], name.label, name.start, end)

    def phrase_of(self, name: Entity) -> Entity:
        """`name` with what it owns: "Mistral AI's seed round" for "Mistral AI"."""
        for a, b, _ in _chunks(self.tokens):
            if a <= name.start and name.end < b and "'s" in self.text[name.end : b]:
                return Entity(self.text[a:b], name.label, a, b)
        return name

    def subject(self) -> Entity | None:
        """What a question without a recognised name is about, as an Entity: its first
        noun phrase after "the" ("the floating library"), else its first proper noun
        phrase ("What is Codestral?", which the recogniser may miss)."""
        chunks = [(a, b, self.text[a:b]) for a, b, _ in _chunks(self.tokens)]
        proper = {t.start for t in self.tokens if t.pos == "PROPN"}
        for i, token in enumerate(self.tokens):
            # "the floating library": the tagger may take "floating" for a verb, which
            # ends a chunk, so the phrase runs from "the" to the next chunk's end.
            if token.lemma == "the":
                ahead = self.tokens[i + 1 : i + 4]
                end = next((b for a, b, _ in chunks if ahead and a <= ahead[-1].start < b), None)
                end = end or next((b for a, b, _ in chunks if a > token.start), None)
                if end is not None:
                    return Entity(self.text[token.start : end], "NOUN", token.start, end)
        for a, b, text in chunks:
            if any(a <= s < b for s in proper):
                return Entity(text, "NAME", a, b)
        # Else its last noun phrase, which is what "What is X?" asks about, or else what
        # follows its last verb (the tagger may take an unknown name for an adjective).
        if chunks:
            return Entity(chunks[-1][2], "NOUN", chunks[-1][0], chunks[-1][1])
        verbs = [t for t in self.tokens if t.pos in ("AUX", "VERB")]
        tail = [t for t in self.tokens if verbs and t.start > verbs[-1].start]
        tail = [t for t in tail if t.pos != "PUNCT"]
        if tail and all(t.pos in ("ADJ", "NOUN", "PROPN", "NUM") for t in tail):
            a, b = tail[0].start, tail[-1].start + len(tail[-1].text)
            return Entity(self.text[a:b], "NAME", a, b)
        return None


def standalone_question(
    question: str,
    history: Sequence[Turn],
    rewriter: Rewriter | None = None,
    linguist: Linguist | None = None,
) -> str:
    """`question` made standalone: by `rewriter` (a model) when given, else by the rule."""
    if not history:
        return question
    if rewriter is not None:
        rewritten = rewriter(question, list(history))
        # A small model may answer instead of rewriting, or echo the prompt.
        if rewritten and len(rewritten) <= 3 * len(question) + 120 and "\n" not in rewritten:
            return rewritten
    return resolve_follow_up(question, history, linguist or Linguist())


def resolve_follow_up(question: str, history: Sequence[Turn], linguist: Linguist) -> str:
    """`question`, made standalone from the earlier turns by the rule (module docstring)."""
    recent = list(history)[-3:]
    texts = [question, *(t.question for t in recent), *(t.answer[:600] for t in recent)]
    read = [_Read.of(t, a) for t, a in zip(texts, linguist.analyse_many(texts), strict=True)]
    asked, questions, answers = read[0], read[1 : 1 + len(recent)][::-1], read[1 + len(recent) :]
    answers = answers[::-1]
    opener = next((o for o in _OPENERS if question.lower().startswith(o)), None)
    if opener and not _has_verb(asked.tokens[len(opener.split()) :]):
        swapped = _swap(question[len(opener) :].strip(" ?"), linguist, questions)
        if swapped:
            return swapped
    if opener:
        question = _capitalised(question[len(opener) :])
        asked = _Read.of(question, linguist.analyse(question))
    if _only_question_words(asked.tokens) and questions:
        return _borrow_predicate(asked, questions[0])
    replaced = _replace_pronouns(asked, questions, answers)
    if replaced != question:
        return replaced
    if asked.names() or not _refers_back(asked, opener is not None):
        return question
    topic = _topic(questions, answers)
    return f"{question.rstrip(' ?')} ({topic.text})?" if topic else question


def _refers_back(asked: _Read, opened: bool) -> bool:
    """Whether a question names nothing of its own: pronouns, "the suspect", "and ...?"."""
    words = [t.lemma for t in asked.tokens]
    nouns = [t for t in asked.tokens if t.pos in ("NOUN", "PROPN")]
    definite = any(w == "the" for w in words)
    verbless = not _has_verb(asked.tokens)
    return (
        opened
        or definite
        or verbless
        or not nouns
        or any(w in _PERSONAL | _IMPERSONAL for w in words)
    )


def _topic(questions: Sequence[_Read], answers: Sequence[_Read]) -> Entity | None:
    """What the conversation is about: the last question's name or subject, else the
    last answer's first name."""
    for read in questions:
        found = read.names() or [s for s in [read.subject()] if s is not None]
        if found:
            return found[0]
    for read in answers:
        if read.names():
            return read.names()[0]
    return None


def _replace_pronouns(asked: _Read, questions: Sequence[_Read], answers: Sequence[_Read]) -> str:
    """The question with each third-person pronoun replaced by the name it stands for."""
    text, shift = asked.text, 0
    tokens = asked.tokens
    for i, token in enumerate(tokens):
        word = token.text.lower()
        if token.pos not in ("PRON", "DET") or word not in _PERSONAL | _IMPERSONAL:
            continue
        person = word in _PERSONAL
        # "her" before a noun is a possessive; "her" alone an object.
        possessive = word in _POSSESSIVE or (
            word == "her" and i + 1 < len(tokens) and tokens[i + 1].pos in ("NOUN", "ADJ")
        )
        if not person and any(t.lemma in _EVENT_VERBS for t in tokens):
            continue
        name = _antecedent(person, asked, questions, answers)
        if name is None:
            continue
        with_case = name.text + ("'s" if possessive else "")
        a, b = token.start + shift, token.start + shift + len(token.text)
        text = text[:a] + with_case + text[b:]
        shift += len(with_case) - len(token.text)
    return text


def _antecedent(
    person: bool, asked: _Read, questions: Sequence[_Read], answers: Sequence[_Read]
) -> Entity | None:
    """The name a pronoun stands for: in the earlier questions, newest first, else in the
    answers; for "it", a question's "the ..." phrase before an answer's names. A name the
    question already holds is not what its pronoun stands for."""
    own = asked.text.lower()
    for read in questions:
        # The recogniser's labels are a preference: "Mistral Large" may come out a person.
        kinds = read.names(person=person) or ([] if person else read.names())
        found = [n for n in kinds if n.text.lower() not in own]
        if found:
            return found[0] if person else read.phrase_of(found[0])
        subject = None if person else read.subject()
        if subject is not None and subject.text.lower() not in own:
            return subject
    for read in answers:
        found = [n for n in read.names(person=person) if n.text.lower() not in own]
        if found:
            return found[0]
    return None


def _only_question_words(tokens: Sequence[Token]) -> bool:
    """ "By whom?", "How much?", "When exactly?": a question word and nothing it is about."""
    words = [t for t in tokens if t.pos != "PUNCT"]
    return (
        any(t.lemma in _WH for t in words)
        and not _has_verb(words)
        and not any(t.pos in ("NOUN", "PROPN") for t in words)
    )


def _borrow_predicate(asked: _Read, previous: _Read) -> str:
    """The question words of `asked` in front of the last question's clause."""
    clause = next(
        (t.start for t in previous.tokens if t.pos in ("AUX", "VERB") and t.lemma not in _WH),
        None,
    )
    if clause is None:
        return asked.text
    wh = asked.text.strip().rstrip("?").strip()
    return f"{_capitalised(wh)} {previous.text[clause:].strip()}"


def _swap(phrase: str, linguist: Linguist, questions: Sequence[_Read]) -> str | None:
    """ "And X?": the latest earlier question with X swapped in for the phrase like it."""
    x = _Read.of(phrase, linguist.analyse(phrase))
    for previous in questions:
        span = _like(x, previous)
        if span is not None:
            a, b = span
            text = previous.text
            if text[:a].rstrip().endswith("'s") and x.tokens and x.tokens[0].lemma == "the":
                phrase = phrase[x.tokens[1].start :] if len(x.tokens) > 1 else phrase
            return text[:a] + phrase + text[b:]
    return None


def _like(x: _Read, previous: _Read) -> tuple[int, int] | None:
    """The span of `previous` that `x` would replace, or None if none is like it."""
    if x.names() and previous.names():
        named = previous.names()[0]
        return named.start, named.end
    if x.tokens and x.tokens[0].pos == "ADP":
        opener = x.tokens[0].lemma
        for t in previous.tokens:
            if t.pos == "ADP" and t.lemma == opener:
                return t.start, len(previous.text.rstrip(" ?"))
    heads = [t.lemma for t in x.tokens if t.pos in ("NOUN", "PROPN")]
    if not heads:
        return None
    for a, b, head in _chunks(previous.tokens):
        if head == heads[-1]:
            return a, b
    return None


def _chunks(tokens: Sequence[Token]) -> list[tuple[int, int, str]]:
    """Noun phrases as runs of determiners, adjectives, nouns, numbers and "'s", each
    with its head (its last noun): (start, end, head lemma)."""
    found, run = [], []
    for token in [*tokens, Token("", "", "X")]:
        if token.pos in _CHUNK and token.lemma not in _WH:
            run.append(token)
            continue
        nouns = [t for t in run if t.pos in ("NOUN", "PROPN")]
        if nouns:
            last = max(i for i, t in enumerate(run) if t.pos in ("NOUN", "PROPN"))
            end = run[last].start + len(run[last].text)
            found.append((run[0].start, end, nouns[-1].lemma))
        run = []
    return found


def _bare(entity: Entity) -> Entity:
    """`entity` without a trailing possessive ("Nancy Pelosi’s" -> "Nancy Pelosi")."""
    for suffix in ("'s", "’s"):
        if entity.text.endswith(suffix):
            cut = len(entity.text) - len(suffix)
            return Entity(entity.text[:cut], entity.label, entity.start, entity.start + cut)
    return entity


def _has_verb(tokens: Sequence[Token]) -> bool:
    return any(t.pos in ("VERB", "AUX") for t in tokens)


def _outermost(entities: list[Entity]) -> list[Entity]:
    """Entities not inside another one (spaCy's and the unlabelled names can overlap),
    in order; of two on the same span, the first (spaCy's, which has a label)."""
    entities = sorted(
        {(e.start, e.end): e for e in reversed(entities)}.values(), key=lambda e: e.start
    )
    return [
        e
        for e in entities
        if not any(o is not e and o.start <= e.start and e.end <= o.end for o in entities)
    ]


def _capitalised(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:]
