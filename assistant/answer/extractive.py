"""Passages -> Answer. The default answerer is extractive: it quotes, it never invents.

It splits the retrieved passages into sentences, scores each against the question
(embedding similarity, overlap on the question's content words, and whether it holds the
kind of term the question asks for: a name, a number, a date) and answers with the best
one or two, each cited. Other articles that state the same thing are cited beside it.
When no passage is similar enough to the question (the evidence gate), it answers that the
corpus does not cover the question and lists the closest articles instead. Sentence vectors
come from the index when ingest stored them (pooled from the chunk's token vectors, see
`Embedder.embed_spans`); only sentences it lacks are embedded at question time.

Answerers share one seam: `answer(question, passages, query_vector) -> Answer`. LLM
answerers live in `llm.py` and register in `ANSWERERS` by backend name.
"""

from __future__ import annotations

import re

import numpy as np

from ..embedding.embedder import Embedder
from ..schema import Answer, Passage, Sentence
from ..text.sentences import sentence_spans
from ..text.terms import key_terms
from ..text.words import content_words
from .base import (
    Answerer,
    Numbering,
    SentenceLookup,
    Span,
    gate_closed,
    no_stored_sentences,
    not_covered,
)

SENTENCE_GATE = 0.35
LEXICAL_WEIGHT = 0.25
# A sentence that holds what the question asks for (README, "Retrieval quality").
ANSWER_TYPE_WEIGHT = 0.2
CORROBORATION = 0.80  # cosine between two sentences that state the same fact
RUNNER_UP = 0.03  # a second sentence joins the answer only this close to the best


class ExtractiveAnswerer(Answerer):
    """Answers with the retrieved sentences that best answer the question."""

    def __init__(
        self,
        embedder: Embedder,
        max_sentences: int = 2,
        max_candidates: int = 16,
        sentences: SentenceLookup = no_stored_sentences,
    ) -> None:
        self.embedder = embedder
        self.sentences = sentences
        self.max_sentences = max_sentences
        # Embedding sentences is the answerer's whole cost; a cheap lexical shortlist
        # bounds it whatever k is.
        self.max_candidates = max_candidates

    def answer(self, question: str, passages: list[Passage], query_vector: np.ndarray) -> Answer:
        if gate_closed(passages):
            return not_covered(question, passages)
        candidates = _shortlist(question, _sentences(passages), self.max_candidates)
        vectors = self._vectors(passages, candidates)
        similarity = vectors @ query_vector
        # The evidence gate: only a sentence this close to the question may answer it.
        if similarity.max() < SENTENCE_GATE:
            return not_covered(question, passages)
        overlap = _overlap(question, candidates)
        scores = similarity + LEXICAL_WEIGHT * overlap
        scores += ANSWER_TYPE_WEIGHT * _brings_answer(question, candidates)
        scores[similarity < SENTENCE_GATE] = -np.inf
        order = [int(i) for i in np.argsort(-scores)]
        chosen = self._choose(order, scores, vectors, overlap)
        return _compose(question, passages, candidates, chosen, vectors, similarity)

    def _vectors(self, passages: list[Passage], candidates: list[Span]) -> np.ndarray:
        """Stored vectors where the index has them; the model embeds only the rest."""
        stored: dict[int, dict[tuple[int, int], np.ndarray]] = {}
        found: list[np.ndarray | None] = []
        for c in candidates:
            if c.passage not in stored:
                p = passages[c.passage]
                stored[c.passage] = self.sentences(p.article_id, p.start, p.end)
            found.append(stored[c.passage].get((c.start, c.end)))
        missing = [i for i, v in enumerate(found) if v is None]
        fresh = self.embedder.embed([candidates[i].text for i in missing])
        for row, i in enumerate(missing):
            found[i] = fresh[row]
        vectors = np.stack([np.asarray(v, dtype=np.float32) for v in found])
        # float16 storage rounds a little: renormalise so that dot products stay cosines.
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def _choose(
        self, order: list[int], scores: np.ndarray, vectors: np.ndarray, overlap: np.ndarray
    ) -> list[int]:
        """The best sentence, and runners-up that are as close, as much on the question's
        words, and not a restatement of one already chosen: no more than needed."""
        best = order[0]
        chosen = [best]
        for i in order[1:]:
            if len(chosen) >= self.max_sentences or scores[i] < scores[best] - RUNNER_UP:
                break
            on_topic = overlap[i] >= overlap[best]
            if on_topic and all(vectors[i] @ vectors[j] < CORROBORATION for j in chosen):
                chosen.append(i)
        return chosen


def _sentences(passages: list[Passage]) -> list[Span]:
    out = []
    for n, p in enumerate(passages):
        for a, b in sentence_spans(p.text):
            text = p.text[a:b]
            if len(text.split()) >= 4:
                out.append(Span(n, p.start + a, p.start + b, text))
    if not out:  # passages of fragments only: fall back to whole passages
        out = [Span(n, p.start, p.end, p.text) for n, p in enumerate(passages)]
    return out


def _shortlist(question: str, candidates: list[Span], limit: int) -> list[Span]:
    """The `limit` sentences sharing most words with the question, earlier passages first."""
    if len(candidates) <= limit:
        return candidates
    overlap = _overlap(question, candidates)
    order = sorted(range(len(candidates)), key=lambda i: (-overlap[i], candidates[i].passage))
    return [candidates[i] for i in sorted(order[:limit])]


def _overlap(question: str, candidates: list[Span]) -> np.ndarray:
    """Share of the question's content words that each sentence contains."""
    wanted = content_words(question)
    if not wanted:
        return np.zeros(len(candidates))
    return np.array([len(wanted & content_words(c.text)) / len(wanted) for c in candidates])


# What a question asks for, by its wording: a number, a time, or a name.
_ASKS_NUMBER = re.compile(
    r"\bhow (?:many|much|old|long|far|big|large|tall|high|fast)\b"
    r"|\bwhat (?:percentage|percent|number|amount|age)\b",
    re.IGNORECASE,
)
_ASKS_TIME = re.compile(
    r"^\W*when\b|\bwhat (?:day|date|month|year|time)\b|\bin which (?:month|year)\b",
    re.IGNORECASE,
)
_ASKS_NAME = re.compile(r"\b(?:who|whom|whose|which)\b", re.IGNORECASE)
_NUMBER_WORDS = frozenset(
    re.findall(
        r"\w+",
        """one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy
    eighty ninety hundred thousand million billion trillion dozen dozens half""",
    )
)


def _brings_answer(question: str, candidates: list[Span]) -> np.ndarray:
    """1 for each sentence holding a term of the kind the question asks for that the
    question does not itself contain, else 0: a number for "how many", a date, number or
    name (months and weekdays are capitalised) for "when", a name for "who" and "which".
    Other questions give every sentence 0.

    The best-scoring sentence is otherwise often the one that restates the question
    ("the company has cut air conditioning"), because it shares the most with it; the
    answer is what a sentence adds ("Bed Bath & Beyond").
    """
    if _ASKS_NUMBER.search(question):
        kinds: tuple[str, ...] = ("numbers",)
    elif _ASKS_TIME.search(question):
        kinds = ("dates", "numbers", "names")
    elif _ASKS_NAME.search(question):
        kinds = ("names",)
    else:
        return np.zeros(len(candidates))
    asked = _terms(question)
    out = np.zeros(len(candidates))
    for i, c in enumerate(candidates):
        terms = _terms(c.text)
        out[i] = any(terms[k] - asked[k] for k in kinds)
    return out


def _terms(text: str) -> dict[str, frozenset[str]]:
    """A sentence's dates, names and numbers, the numbers written in words included."""
    terms = key_terms(text)
    words = _NUMBER_WORDS.intersection(re.findall(r"[a-z]+", text.lower()))
    return {"dates": terms.dates, "names": terms.names, "numbers": terms.numbers | words}


def _compose(
    question: str,
    passages: list[Passage],
    candidates: list[Span],
    chosen: list[int],
    vectors: np.ndarray,
    similarity: np.ndarray,
) -> Answer:
    """Number citations in order of first use; cite corroborating articles too."""
    numbering = Numbering(passages)
    sentences = []
    for i in chosen:
        support = [i, *_corroborating(i, candidates, vectors, passages)]
        refs = tuple(numbering.number(candidates[j]) for j in support)
        sentences.append(Sentence(candidates[i].text, refs, float(similarity[i])))
    text = " ".join(f"{s.text} {''.join(f'[{n}]' for n in s.citations)}" for s in sentences)
    return Answer(question, text, tuple(numbering.citations), True, tuple(sentences))


def _corroborating(
    i: int, candidates: list[Span], vectors: np.ndarray, passages: list[Passage]
) -> list[int]:
    """The best sentence from each other article that states the same as sentence i."""
    article = passages[candidates[i].passage].article_id
    best: dict[str, tuple[float, int]] = {}
    for j, c in enumerate(candidates):
        other = passages[c.passage].article_id
        sim = float(vectors[i] @ vectors[j])
        if other != article and sim >= CORROBORATION and sim > best.get(other, (0.0, -1))[0]:
            best[other] = (sim, j)
    return [j for _, j in sorted(best.values(), reverse=True)][:2]
