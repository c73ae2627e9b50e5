"""Passages -> Answer. The default answerer is extractive: it quotes, it never invents.

It reads what the question asks (question.py: the kind of answer, the predicate, the
names), splits the retrieved passages into sentences (the spans ingest stored, found by
spaCy), and scores each: similarity to the question, the share of the question's words it
holds (words of its article's title count half, for a sentence that says only "the
company"), whether it uses the question's predicate ("designed"), and, for the best few,
whether it holds an entity of the asked-for type that the question does not already name.
It answers with the best sentence and runners-up that add to it, at most three sentences
and a word budget, each cited, and a short answer (short.py) when one span is well
supported. Other articles that state the same thing are cited beside it.

Two gates keep it honest: no sentence close enough to the question, or an answering
passage that holds too few of the question's words, and it says the corpus does not cover
the question, listing the closest articles instead.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date

import numpy as np

from ..embedding.embedder import Embedder
from ..schema import ANSWER_SENTENCES, ANSWER_WORDS, Answer, Passage, Sentence, told
from ..text.dates import asks_current_state
from ..text.nlp import NAME, Analysis, Entity, Linguist
from ..text.words import stems
from .base import (
    Answerer,
    Numbering,
    SentenceLookup,
    Span,
    gate_closed,
    is_dateline,
    no_stored_sentences,
    not_covered,
)
from .question import Asked, read_question
from .short import short_answer


@dataclass(frozen=True)
class AnswerPolicy:
    """How sentences are scored and chosen (docs/evaluation.md has how each was set).

    - `sentence_gate`: a sentence less close (cosine) to the question never answers it.
    - `evidence_gate`: no sentence at least this close: the corpus does not cover it.
    - `named_gate`: the lower cosine at which a sentence holding all the question's names
      and another of its words may answer (`_named_evidence`).
    - `coverage_gate`: the share of the question's words that the answering passage, with
      its title, must hold; a passage that shares less is about something else.
    - `lexical_weight`, `predicate_weight`, `answer_type_weight`: what holding the question's
      words, its predicate, and an entity of the asked-for type add to the cosine.
    - `typed`: how many of the best sentences are read for entities (NER is the costly part).
    - `runner_up`: a further sentence joins the answer only this close to the best.
    - `corroboration`: the cosine between two sentences that state the same fact.
    - `newest_margin`: asked about a current state ("who is the new …"), the answer is
      led by the newest article among the sentences scoring within this of the best.
    """

    sentence_gate: float = 0.35
    evidence_gate: float = 0.45
    named_gate: float = 0.25
    coverage_gate: float = 0.45
    lexical_weight: float = 1.75
    predicate_weight: float = 1.0
    answer_type_weight: float = 2.0
    lede_weight: float = 0.9
    rank_weight: float = 1.0
    position_weight: float = -0.35
    typed: int = 4
    runner_up: float = 1.0
    corroboration: float = 0.80
    newest_margin: float = 1.25
    max_sentences: int = ANSWER_SENTENCES
    max_words: int = ANSWER_WORDS
    max_candidates: int = 16


class ExtractiveAnswerer(Answerer):
    """Answers with the retrieved sentences that best answer the question."""

    def __init__(
        self,
        embedder: Embedder,
        linguist: Linguist | None = None,
        sentences: SentenceLookup = no_stored_sentences,
        policy: AnswerPolicy | None = None,
    ) -> None:
        self.embedder = embedder
        self.linguist = linguist or Linguist()
        self.sentences = sentences
        self.policy = policy or AnswerPolicy()

    def answer(self, question: str, passages: list[Passage], query_vector: np.ndarray) -> Answer:
        if not passages:
            return not_covered(question, passages)
        policy = self.policy
        asked = read_question(question, self.linguist)
        stored = [self.sentences(p.article_id, p.start, p.end) for p in passages]
        spans = _sentences(passages, stored, self.linguist)
        candidates = _shortlist(asked, passages, spans, policy.max_candidates)
        vectors = self._vectors(candidates, stored)
        similarity = vectors @ query_vector
        named = _named_evidence(asked, passages, candidates) & (similarity >= policy.named_gate)
        read: dict[int, Analysis] = {}  # the sentences read for entities, by candidate
        evidence = named | self._follows(asked, passages, candidates, read)
        best = int(np.argmax(similarity))
        cosine_open = not gate_closed(passages) and similarity[best] >= max(
            policy.sentence_gate, policy.evidence_gate
        )
        if not cosine_open and not evidence.any():
            return not_covered(question, passages)
        overlap = _overlap(asked, passages, candidates)
        scores = similarity + policy.lexical_weight * overlap
        scores += policy.predicate_weight * _says(asked, candidates)
        scores += policy.lede_weight * _ledes(passages, candidates)
        scores += policy.rank_weight * _rank_prior(candidates)
        scores += policy.position_weight * _position(passages, candidates)
        scores[(similarity < policy.sentence_gate) & ~evidence] = -np.inf
        scores[[_is_note(c.text) for c in candidates]] = -np.inf
        # A sentence longer than the whole answer may be is no short answer to anything.
        lengths = [len(c.text.split()) for c in candidates]  # in words
        scores[[n > policy.max_words for n in lengths]] = -np.inf
        if asked.wants or asked.wants_names:  # else no entity can add to a score
            top = [int(i) for i in np.argsort(-scores)[: policy.typed] if np.isfinite(scores[i])]
            self._read(top, candidates, read)
            for i, analysis in read.items():
                scores[i] += policy.answer_type_weight * _brings(asked, list(analysis.entities))
        order = [int(i) for i in np.argsort(-scores) if np.isfinite(scores[i])]
        if not order or (
            _coverage(asked, passages[candidates[order[0]].passage]) < policy.coverage_gate
        ):
            return not_covered(question, passages)
        if asks_current_state(question):
            order = self._newest_first(asked, order, scores, passages, candidates)
        chosen = self._choose(order, scores, vectors, lengths)
        chosen, lists = _with_lists(chosen, candidates, spans, passages, policy.max_words)
        self._read(chosen, candidates, read)
        told = []
        for i in chosen:
            text, analysis = candidates[i].text, read[i]
            if lists.get(i):
                text = _listed(candidates[i], lists[i])
                analysis = self.linguist.analyse_many([text])[0]
            told.append((text, analysis, passages[candidates[i].passage].source))
        # A list is many answers, and a short answer is one.
        short = None if lists.get(chosen[0]) else short_answer(asked, told)
        answer = _compose(
            question, passages, candidates, chosen, lists, vectors, similarity, policy
        )
        return dataclasses.replace(answer, short_answer=short)

    def _read(self, which: list[int], candidates: list[Span], read: dict[int, Analysis]) -> None:
        """Add to `read` spaCy's analysis of the candidates in `which` not yet read."""
        unread = [i for i in which if i not in read]
        analyses = self.linguist.analyse_many([candidates[i].text for i in unread])
        read.update(zip(unread, analyses, strict=True))

    def _follows(
        self,
        asked: Asked,
        passages: list[Passage],
        candidates: list[Span],
        read: dict[int, Analysis],
    ) -> np.ndarray:
        """Whether each sentence answers a follow-up about the story the last answer told:
        it is from an article that answer cited, and it holds one of the question's words
        other than its names itself, or an entity of the asked-for type that the question
        does not name ("Friday, 14 March 2025" for "When did it happen?"). In a conversation
        the story is known, so such a sentence answers at any cosine: the small encoder
        gives a short follow-up and its answer little similarity. Reads those sentences'
        entities into `read`."""
        out = np.array([passages[c.passage].followed for c in candidates], dtype=bool)
        if not out.any():
            return out
        rest = asked.words - asked.name_stems
        followed = [int(i) for i in np.flatnonzero(out)]
        if asked.wants or asked.wants_names:
            self._read(followed, candidates, read)
        for i in followed:
            holds = bool(rest & stems(candidates[i].text))
            brings = i in read and _brings(asked, list(read[i].entities)) > 0
            out[i] = holds or brings
        return out

    def _vectors(
        self, candidates: list[Span], stored: list[dict[tuple[int, int], np.ndarray]]
    ) -> np.ndarray:
        """Stored vectors where the index has them; the model embeds only the rest."""
        found = [
            None if c.headline else stored[c.passage].get((c.start, c.end)) for c in candidates
        ]
        missing = [i for i, v in enumerate(found) if v is None]
        fresh = self.embedder.embed([candidates[i].text for i in missing])
        for row, i in enumerate(missing):
            found[i] = fresh[row]
        vectors = np.stack([np.asarray(v, dtype=np.float32) for v in found])
        # The model's vectors may be a little off unit length: renormalise so that dot
        # products stay cosines (the stored ones come back renormalised already).
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def _newest_first(
        self,
        asked: Asked,
        order: list[int],
        scores: np.ndarray,
        passages: list[Passage],
        candidates: list[Span],
    ) -> list[int]:
        """`order` led by the sentence of the newest article among those that answer about
        as well as the best (within `newest_margin`, and covering the question): a current
        state is what the latest report says."""
        floor = scores[order[0]] - self.policy.newest_margin
        answering = [
            i
            for i in order
            if scores[i] >= floor
            and _coverage(asked, passages[candidates[i].passage]) >= self.policy.coverage_gate
        ]
        newest = max(answering, key=lambda i: passages[candidates[i].passage].published or date.min)
        return [newest, *(i for i in order if i != newest)]

    def _choose(
        self,
        order: list[int],
        scores: np.ndarray,
        vectors: np.ndarray,
        lengths: list[int],
    ) -> list[int]:
        """The best sentence, and runners-up that are as close, as much on the question's
        words, and not a restatement of one already chosen, within the word budget
        (`lengths`: each candidate's words)."""
        policy = self.policy
        best = order[0]
        chosen = [best]
        words = lengths[best]
        for i in order[1:]:
            if len(chosen) >= policy.max_sentences or scores[i] < scores[best] - policy.runner_up:
                break
            new = all(vectors[i] @ vectors[j] < policy.corroboration for j in chosen)
            if new and words + lengths[i] <= policy.max_words:
                chosen.append(i)
                words += lengths[i]
        return chosen


def _sentences(
    passages: list[Passage],
    stored: list[dict[tuple[int, int], np.ndarray]],
    linguist: Linguist,
) -> list[Span]:
    """Each passage's sentences: the spans ingest stored vectors for, else spaCy's. None
    of a background passage: the question's window has its own answer (search.py)."""
    out = []
    for n, p in enumerate(passages):
        if p.background:
            continue
        spans = sorted(stored[n]) or [
            (p.start + a, p.start + b) for a, b in linguist.sentences(p.text)
        ]
        for a, b in spans:
            text = p.text[a - p.start : b - p.start]
            if len(text.split()) >= 4:
                out.append(Span(n, a, b, text))
    if not out:  # passages of fragments only: fall back to whole passages
        out = [Span(n, p.start, p.end, p.text) for n, p in enumerate(passages)]
    return out + _headlines(passages, out)


def _headlines(passages: list[Passage], sentences: list[Span]) -> list[Span]:
    """Each article's headline, as a candidate cited by its lede: news headlines state the
    fact a question is about ("Walmart is slashing prices on clothing"). Only for a passage
    that opens its article, a headline of four words or more, not cut off, and not the
    lede's own first words (a title made from the text)."""
    out = []
    ledes = {s.passage: s for s in reversed(sentences) if passages[s.passage].start == s.start}
    seen: set[str] = set()
    for n, lede in sorted(ledes.items()):
        p = passages[n]
        headline = OUTLET_SUFFIX.sub("", p.title).strip()
        if (
            p.article_id in seen
            or len(headline.split()) < 4
            or headline.endswith(("...", "…"))
            or lede.text.startswith(headline.rstrip(".")[:40])
        ):
            continue
        seen.add(p.article_id)
        if headline[-1] not in ".!?”’\"'":
            headline += "."
        out.append(Span(n, lede.start, lede.end, headline, headline=True))
    return out


# What follows a headline on a web page: " - CNN", " | CNN Politics", " | AP News".
OUTLET_SUFFIX = re.compile(r"(?:\s+[|–—-]\s+[^|–—-]{1,30})+$")


def _shortlist(
    asked: Asked, passages: list[Passage], candidates: list[Span], limit: int
) -> list[Span]:
    """The `limit` sentences sharing most words with the question, earlier passages first."""
    if len(candidates) <= limit:
        return candidates
    overlap = _overlap(asked, passages, candidates)
    order = sorted(range(len(candidates)), key=lambda i: (-overlap[i], candidates[i].passage))
    return [candidates[i] for i in sorted(order[:limit])]


def _overlap(asked: Asked, passages: list[Passage], candidates: list[Span]) -> np.ndarray:
    """Share of the question's word stems each sentence holds; a word found only in its
    article's title counts half."""
    if not asked.words:
        return np.zeros(len(candidates))
    titles = [stems(p.title) for p in passages]
    out = np.zeros(len(candidates))
    for i, c in enumerate(candidates):
        own = asked.words & stems(c.text)
        from_title = (asked.words & titles[c.passage]) - own
        out[i] = (len(own) + 0.5 * len(from_title)) / len(asked.words)
    return out


def _named_evidence(asked: Asked, passages: list[Passage], candidates: list[Span]) -> np.ndarray:
    """Whether each sentence is about what a question with names asks: it, with its
    article's title, holds every name of the question, and it holds one of the question's
    other words itself ("Arthur Mensch, who previously worked at Google DeepMind" for
    "Where did Arthur Mensch work before?"). The small encoder gives such a sentence a low
    cosine to a short question; holding the names is the evidence instead."""
    names = asked.name_stems
    if not names:
        return np.zeros(len(candidates), dtype=bool)
    rest = asked.words - names
    titles = [stems(p.title) for p in passages]
    out = np.zeros(len(candidates), dtype=bool)
    for i, c in enumerate(candidates):
        own = stems(c.text)
        out[i] = names <= own | titles[c.passage] and bool(rest & own)
    return out


def _says(asked: Asked, candidates: list[Span]) -> np.ndarray:
    """1 for each sentence that uses one of the question's verbs ("designed") or names the
    untyped thing it asks about ("the detour"), else 0."""
    wanted = asked.predicates | ({asked.focus} if asked.focus else set())
    if not wanted:
        return np.zeros(len(candidates))
    return np.array([bool(wanted & stems(c.text)) for c in candidates], dtype=float)


def _rank_prior(candidates: list[Span]) -> np.ndarray:
    """1 / (1 + the rank of the sentence's passage): retrieval already ranked the articles."""
    return np.array([1.0 / (1 + c.passage) for c in candidates])


def _position(passages: list[Passage], candidates: list[Span]) -> np.ndarray:
    """Where in its passage a sentence starts, 0 (first) to 1 (last)."""
    return np.array(
        [
            (c.start - passages[c.passage].start) / max(1, len(passages[c.passage].text))
            for c in candidates
        ]
    )


def _ledes(passages: list[Passage], candidates: list[Span]) -> np.ndarray:
    """1 for each article's first sentence, its lede, and for its headline: news tells
    who, what and when first."""
    out = np.zeros(len(candidates))
    seen: set[int] = set()
    for i, c in enumerate(candidates):
        if is_dateline(c.text):  # "Washington, DC CNN —": the lede comes after it
            continue
        if c.headline or (c.passage not in seen and passages[c.passage].start == 0):
            out[i] = 1.0
        seen.add(c.passage)
    return out


def _brings(asked: Asked, entities: list[Entity]) -> float:
    """How well the sentence holds an entity of an asked-for type that the question does
    not name (the answer is what a sentence adds, not what it shares with the question):
    1 for the best type ("who": a person) or a name the recogniser left unlabelled, half
    for a later type (an organisation)."""
    ranks = [
        asked.wants.index(e.label) if e.label in asked.wants else 0
        for e in entities
        if (e.label in asked.wants or (e.label == NAME and asked.wants_names))
        and not asked.in_question(e.text)
    ]
    return (1.0 if min(ranks) == 0 else 0.5) if ranks else 0.0


def _coverage(asked: Asked, passage: Passage) -> float:
    """The share of the question's word stems that the passage, with its title, holds."""
    if not asked.words:
        return 1.0
    return len(asked.words & (stems(passage.title) | stems(passage.text))) / len(asked.words)


def _is_note(text: str) -> bool:
    """Whether a sentence is a note about the article, not news: all of it in emphasis,
    `*…*` or `_…_` (a disclaimer, a caption), or an editor's note ("Editor's note: This
    page reflects the news from …")."""
    text = text.strip()
    emphasis = len(text) > 2 and text[0] in "*_" and text[-1] == text[0]
    return emphasis or bool(_EDITORS_NOTE.match(text))


_EDITORS_NOTE = re.compile(r"\W*editor[’']?s[’']?\s+note\b", re.I)


# A line that is an item of a Markdown or plain-text list: "- ", "* ", "• ", "1. ", "2) ".
LIST_ITEM = re.compile(r"[ \t]*(?:[-*•]|\d{1,2}[.)])[ \t]+")


def _list_after(span: Span, spans: list[Span], passage: Passage) -> list[Span]:
    """The items of the list that a sentence ending in a colon opens ("comes in three
    sizes:"), each its line's first sentence; [] if no list of two or more follows."""
    if span.headline or not span.text.rstrip().endswith(":"):
        return []
    same = [s for s in spans if s.passage == span.passage and s.start >= span.end]
    items: list[Span] = []
    rest = passage.text[span.end - passage.start :].splitlines(keepends=True)
    at = span.end - passage.start + (len(rest[0]) if rest else 0)  # the colon's line ends
    for line in rest[1:]:
        start, at = passage.start + at, at + len(line)
        if not line.strip():
            continue
        if not LIST_ITEM.match(line):
            break
        end = start + len(line.rstrip())
        first = next((s for s in same if start <= s.start < end), None)
        if first is not None:
            end = min(end, first.end)
        items.append(
            Span(
                span.passage, start, end, passage.text[start - passage.start : end - passage.start]
            )
        )
    return items if len(items) >= 2 else []


def _with_lists(
    chosen: list[int],
    candidates: list[Span],
    spans: list[Span],
    passages: list[Passage],
    max_words: int,
) -> tuple[list[int], dict[int, list[Span]]]:
    """The chosen sentences, each that opens a list with the list's items: the answer to
    "Which sizes does it come in?" is the list, not "comes in three sizes:". Runners-up
    after such a sentence give way to its items within the word budget; a list that does
    not fit whole is left out."""
    lists: dict[int, list[Span]] = {}
    for n, i in enumerate(chosen):
        items = _list_after(candidates[i], spans, passages[candidates[i].passage])
        if not items:
            continue
        kept = chosen[: n + 1]
        words = sum(len(candidates[j].text.split()) for j in kept)
        words += sum(len(s.text.split()) for s in items)
        if words <= max_words:
            lists[i] = items
            return kept, lists
    return chosen, lists


def _listed(intro: Span, items: list[Span]) -> str:
    """A list's opening sentence and its items as one sentence: "…: A; B; C."."""
    parts = [LIST_ITEM.sub("", s.text, count=1).strip().rstrip(".;") for s in items]
    return f"{intro.text.rstrip()} {'; '.join(parts)}."


def _compose(
    question: str,
    passages: list[Passage],
    candidates: list[Span],
    chosen: list[int],
    lists: dict[int, list[Span]],
    vectors: np.ndarray,
    similarity: np.ndarray,
    policy: AnswerPolicy,
) -> Answer:
    """Number citations in order of first use; cite corroborating articles too. A sentence
    that opens a list is told with its items, its citation widened to cover them."""
    numbering = Numbering(passages)
    sentences = []
    for i in chosen:
        support = [i, *_corroborating(i, candidates, vectors, passages, policy.corroboration)]
        refs = tuple(
            dict.fromkeys(numbering.number(candidates[j].cited(passages)) for j in support)
        )
        text = candidates[i].text
        if lists.get(i):
            for item in lists[i]:
                numbering.number(item)
            text = _listed(candidates[i], lists[i])
        sentences.append(Sentence(text, refs, float(similarity[i])))
    return Answer(question, told(sentences), tuple(numbering.citations), True, tuple(sentences))


def _corroborating(
    i: int, candidates: list[Span], vectors: np.ndarray, passages: list[Passage], gate: float
) -> list[int]:
    """The best sentence from each other article that states the same as sentence i."""
    article = passages[candidates[i].passage].article_id
    best: dict[str, tuple[float, int]] = {}
    for j, c in enumerate(candidates):
        other = passages[c.passage].article_id
        sim = float(vectors[i] @ vectors[j])
        if other != article and sim >= gate and sim > best.get(other, (0.0, -1))[0]:
            best[other] = (sim, j)
    return [j for _, j in sorted(best.values(), reverse=True)][:2]
