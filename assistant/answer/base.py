"""The answerer seam: passages -> Answer, one required method, declared capabilities.

An answerer implements `answer(question, passages, query_vector) -> Answer`. It may also
declare, as class flags, that it streams (`can_stream`: `stream()` yields text deltas, a
`Checked` per verified sentence, and last the Answer) and that it rewrites follow-up
questions (`can_rewrite`: `rewrite(question, history)` returns a standalone question).
Callers read the flags; they never probe for methods.

Also here, because every answerer shares them: the passage gate (no passage this close to
the question, no answer), the honest "not covered" reply, and the records of a stream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..schema import Answer, Citation, Passage, Turn

# Below this cosine between the question and its best passage, nothing is answered:
# off-topic questions score below it, answerable ones well above (docs/evaluation.md).
PASSAGE_GATE = 0.30

# (article id, start, end) -> {(start, end): vector} of the stored sentences in that span.
SentenceLookup = Callable[[str, int, int], dict[tuple[int, int], np.ndarray]]


def no_stored_sentences(article_id: str, start: int, end: int) -> dict[tuple[int, int], np.ndarray]:
    return {}


@dataclass(frozen=True)
class Span:
    """A stretch of one retrieved passage: a candidate sentence for the extractive
    answerer; for the verifier, the evidence (one sentence or two adjacent) that can back
    a generated sentence."""

    passage: int  # index into the passages
    start: int  # span in the article
    end: int
    text: str
    # The article's headline, as a candidate sentence: `text` is the headline, and start..end
    # the lede it is cited by (a headline has no span in the text; its card shows it).
    headline: bool = False

    def cited(self, passages: Sequence[Passage]) -> Span:
        """The span a citation quotes: the sentence itself, or a headline's lede."""
        if not self.headline:
            return self
        p = passages[self.passage]
        return Span(
            self.passage, self.start, self.end, p.text[self.start - p.start : self.end - p.start]
        )


@dataclass(frozen=True)
class Checked:
    """One sentence after checking: its text and the spans that back it (none: unsupported)."""

    text: str
    spans: tuple[Span, ...]
    support: float
    repaired: bool = False
    cited: tuple[int, ...] = ()  # what the model cited, 1-based, for the record


@dataclass(frozen=True)
class Understood:
    """How a follow-up was understood: the standalone question that was answered, yielded
    first by `Assistant.ask_stream` when it differs from what was asked."""

    question: str


StreamItem = str | Checked | Understood | Answer


class Answerer:
    """Base class of answerers: override `answer`; set the flags for what else you do."""

    can_stream: bool = False
    can_rewrite: bool = False

    def answer(self, question: str, passages: list[Passage], query_vector: np.ndarray) -> Answer:
        raise NotImplementedError

    def stream(
        self, question: str, passages: list[Passage], query_vector: np.ndarray
    ) -> Iterator[StreamItem]:
        """Text deltas, each sentence's check, then the Answer (the only item required).
        An answerer that does not stream yields its whole text, then its Answer."""
        answer = self.answer(question, passages, query_vector)
        yield answer.text
        yield answer

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        """`question` made standalone from the conversation (only if `can_rewrite`)."""
        raise NotImplementedError(f"{type(self).__name__} does not rewrite questions")


def is_dateline(sentence: str) -> bool:
    """Whether a "sentence" is only the dateline a scraped story opens with ("Washington,
    DC CNN —"): the splitter cuts it off at the dash; it says where, not what."""
    return sentence.rstrip().endswith(("—", "–", "-"))


def gate_closed(passages: Sequence[Passage]) -> bool:
    """Whether no passage is close enough to the question to answer from."""
    return not passages or max(p.score for p in passages) < PASSAGE_GATE


def not_covered(question: str, passages: list[Passage], limit: int = 3) -> Answer:
    """The honest answer when nothing retrieved supports one: say so, list what is close."""
    seen: dict[str, Passage] = {}
    for p in passages:
        seen.setdefault(p.article_id, p)
    related = tuple(list(seen.values())[:limit])
    text = "The corpus does not cover this question."
    if related:
        text += " The closest articles are listed below."
    return Answer(question, text, (), False, (), related)


class Numbering:
    """Citation numbers in order of first use, one number (one source card) per article.

    A second span cited from the same passage widens that article's citation to cover both,
    so the card still quotes every word that backs the answer.
    """

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = passages
        self.citations: list[Citation] = []
        self._numbers: dict[str, int] = {}
        self._passage_of: dict[int, int] = {}  # citation number -> passage index

    def number(self, span: Span) -> int:
        """The number of `span`'s article, giving it the next one the first time it is cited."""
        passage = self.passages[span.passage]
        n = self._numbers.get(passage.article_id)
        if n is None:
            n = self._numbers[passage.article_id] = len(self.citations) + 1
            self._passage_of[n] = span.passage
            self.citations.append(Citation.of_span(n, passage, span.text, span.start, span.end))
        elif self._passage_of[n] == span.passage:
            old = self.citations[n - 1]
            start, end = min(old.start, span.start), max(old.end, span.end)
            text = passage.text[start - passage.start : end - passage.start]
            self.citations[n - 1] = Citation.of_span(n, passage, text, start, end)
        return n
