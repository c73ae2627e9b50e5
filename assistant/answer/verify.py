"""Checking a generated answer against the passages it cites, sentence by sentence.

A sentence is supported by a passage when some span of it (one sentence, or two adjacent
ones in the same paragraph) holds, together with the article's title and date, every date,
number and name (the words of its named entities) of the sentence, and is close to it in
meaning: cosine >= SUPPORT_GATE (BARE_GATE when the sentence has no name, number or date to hold).
Then, per sentence:

- markers that point to no passage ([7] of five) are removed;
- cited passages that do not support it are dropped from its citations; when none
  does, the best other retrieved passage that supports it replaces them (a repair);
- a sentence nothing supports is dropped, or kept without citations and marked
  "(unverified)" when `unsupported="mark"`;
- citations are renumbered in order of first use, one number per article; a citation's
  `passage`/`start`/`end` cover exactly the spans that back the sentences citing it.

Thresholds, measured with all-MiniLM-L6-v2 on 18 hand-written paraphrases of facts in the
bundled corpus, each against all 38 chunks (`pytest -s tests/test_llm.py -k thresholds`):
among spans that hold a claim's names and numbers, the claim's own article scores 0.57-0.99
(one outlier at 0.36: a long sentence packing three facts), other articles at most 0.39;
so SUPPORT_GATE = 0.50. Result: 17/18 true claims supported, 0/611 pairs with other articles,
1/8 claims with one changed fact ("Amazon" instead of "Microsoft", where the seed article
mentions Amazon beside the date). Without the names-and-numbers check, other articles reach
0.80, which is why similarity alone is not enough.

What this does not do: judge entailment. A sentence that reuses a passage's words and
numbers but reverses its meaning ("did not" for "did") can pass. Embedding similarity
plus exact names and numbers catches the common failures of small models (the wrong
passage, an invented figure, a fact from memory); it is not a proof.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..embedding.embedder import Embedder
from ..errors import SettingsError
from ..schema import Answer, Passage, Sentence
from ..text.nlp import Linguist
from ..text.terms import Terms, fold, full_dates, key_terms
from .base import Checked, Numbering, Span, not_covered

SUPPORT_GATE = 0.50  # cosine, for a sentence whose names/numbers/dates the span holds
BARE_GATE = 0.60  # cosine, for a sentence with no name, number or date to hold
NAME_GATE = 1.0
UNSUPPORTED_MODES = ("drop", "mark")
UNVERIFIED = "(unverified)"

_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_SPACED_MARKER = re.compile(r"\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")
# Markers a model puts after the full stop ("... 2023. [1]") belong to that sentence.
_TRAILING_MARKERS = re.compile(r"([.!?])((?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+)")


def normalise(text: str) -> str:
    """Move markers that follow a full stop in front of it: "2023. [1]" -> "2023 [1]."."""
    return _TRAILING_MARKERS.sub(lambda m: f"{m.group(2)}{m.group(1)}", text)


def split_sentences(text: str, linguist: Linguist) -> list[str]:
    """The sentences of a generated answer, markers still attached.

    The markers are taken out before the sentences are found (the parser reads "[1]." as
    words of its own) and put back into the sentence that ends at or after them.
    """
    text = normalise(" ".join(text.split()))
    pieces: list[str] = []
    marks: list[tuple[int, str]] = []  # (offset in the bare text, the marker)
    last = 0
    for found in _SPACED_MARKER.finditer(text):
        pieces.append(text[last : found.start()])
        marks.append((sum(map(len, pieces)), found.group(0)))
        last = found.end()
    bare = "".join(pieces) + text[last:]
    bounds = linguist.sentences(bare)
    if not bounds:
        return [text.strip()] if text.strip() else []
    out: list[str] = []
    for i, (a, b) in enumerate(bounds):
        prev = bounds[i - 1][1] if i else -1
        last_one = i == len(bounds) - 1
        mine = [(o, m) for o, m in marks if prev < o <= b or (last_one and o > b)]
        at, parts = a, []
        for offset, marker in mine:
            cut = max(a, min(offset, b))
            parts += [bare[at:cut], marker]
            at = cut
        parts.append(bare[at:b])
        out.append("".join(parts).strip())
    return out


def cited_numbers(sentence: str) -> list[int]:
    return [int(n) for group in _MARKER.findall(sentence) for n in re.split(r"[,;]", group)]


def strip_markers(sentence: str) -> str:
    text = _MARKER.sub("", sentence)
    return re.sub(r"\s+([.,;:!?])", r"\1", " ".join(text.split())).strip()


@dataclass(frozen=True)
class Support:
    """How well one passage backs one sentence, and through which span."""

    passage: int
    score: float  # cosine of the sentence and its best span
    span: Span
    holds: bool  # the span has the sentence's names, numbers and dates
    ok: bool  # holds, and close enough in meaning


class Verifier:
    """Checks the sentences of one answer against one list of passages, in order."""

    def __init__(
        self,
        embedder: Embedder,
        passages: Sequence[Passage],
        unsupported: str = "drop",
        linguist: Linguist | None = None,
    ) -> None:
        if unsupported not in UNSUPPORTED_MODES:
            valid = ", ".join(UNSUPPORTED_MODES)
            raise SettingsError(
                f"unknown unsupported-sentence mode {unsupported!r}; valid: {valid}"
            )
        self.embedder = embedder
        self.passages = list(passages)
        self.unsupported = unsupported
        self.linguist = linguist or Linguist()
        self._spans = [_spans(n, p, self.linguist) for n, p in enumerate(self.passages)]
        flat = [s.text for spans in self._spans for s in spans]
        vectors = embedder.embed(flat) if flat else np.zeros((0, 1))
        self._vectors, i = [], 0
        for spans in self._spans:
            self._vectors.append(vectors[i : i + len(spans)])
            i += len(spans)
        self._meta = [_metadata_text(p) for p in self.passages]
        self.checked: list[Checked] = []
        self._term_cache: dict[str, Terms] = {}

    def _terms(self, text: str) -> Terms:
        """The sentence's dates, numbers and names (proper nouns the recogniser missed too),
        found once per sentence however many passages it is checked against."""
        if text not in self._term_cache:
            self._term_cache[text] = key_terms(text, self.linguist.analyse(text).entities)
        return self._term_cache[text]

    def support(self, text: str, vector: np.ndarray, n: int) -> Support:
        """How well passage `n` (0-based) supports the sentence `text`.

        Only spans that hold the sentence's names and numbers (with the article's title
        and date) can back it; of those, the one closest in meaning does. Checking the span
        rather than the whole passage stops "1 August 2025" being backed by a sentence
        about 1 August 2024 next to another about 2025.
        """
        terms = self._terms(text)
        sims = self._vectors[n] @ vector
        spans = self._spans[n]
        usable = [i for i, s in enumerate(spans) if _holds(self._meta[n], s.text, terms)]
        best = max(usable or range(len(spans)), key=lambda i: float(sims[i]))
        score = float(sims[best])
        holds = bool(usable)
        gate = SUPPORT_GATE if terms.dates or terms.numbers or terms.names else BARE_GATE
        return Support(n, score, spans[best], holds, holds and score >= gate)

    def check(self, raw: str) -> Checked:
        """Check one generated sentence; repair or strip its citations."""
        text = strip_markers(raw)
        cited = tuple(dict.fromkeys(cited_numbers(raw)))
        valid = [n - 1 for n in cited if 1 <= n <= len(self.passages)]
        if not text or not self.passages:
            return Checked(text, (), 0.0, cited=cited)
        vector = self.embedder.embed([text])[0]
        supports = [self.support(text, vector, n) for n in range(len(self.passages))]
        kept = [supports[n] for n in valid if supports[n].ok]
        repaired = False
        if not kept:
            ranked = sorted((s for s in supports if s.ok), key=lambda s: -s.score)
            kept, repaired = ranked[:1], bool(ranked)
        best = max((s.score for s in kept), default=max(s.score for s in supports))
        return Checked(text, tuple(s.span for s in kept), best, repaired, cited)

    def add(self, raw: str) -> Checked:
        checked = self.check(raw)
        self.checked.append(checked)
        return checked

    def answer(self, question: str) -> Answer:
        """The verified Answer from every sentence added so far."""
        return compose(question, self.passages, self.checked, self.unsupported)


def compose(
    question: str, passages: Sequence[Passage], checked: Sequence[Checked], unsupported: str
) -> Answer:
    """Renumber citations in order of first use and build the Answer."""
    numbering = Numbering(passages)
    sentences: list[Sentence] = []
    parts: list[str] = []
    for c in checked:
        if not c.spans and unsupported == "drop":
            continue
        refs = [numbering.number(span) for span in c.spans]
        refs = list(dict.fromkeys(refs))
        sentences.append(Sentence(c.text, tuple(refs), c.support))
        tail = "".join(f"[{n}]" for n in refs) if refs else UNVERIFIED
        parts.append(f"{c.text} {tail}")
    if not numbering.citations:
        return not_covered(question, list(passages))
    citations = tuple(numbering.citations)
    return Answer(question, " ".join(parts), citations, True, tuple(sentences))


def verify(
    question: str,
    text: str,
    passages: Sequence[Passage],
    embedder: Embedder,
    unsupported: str = "drop",
    linguist: Linguist | None = None,
) -> Answer:
    """Check a whole generated answer at once (see `Verifier` to do it while streaming)."""
    verifier = Verifier(embedder, passages, unsupported, linguist)
    for sentence in split_sentences(text, verifier.linguist):
        verifier.add(sentence)
    return verifier.answer(question)


def iter_checked(verifier: Verifier, chunks: Iterable[str]) -> Iterator[str | Checked]:
    """Pass text chunks through, checking each sentence as soon as it is complete.

    A sentence is complete once the next one has begun: until then the model may still
    append markers to it. Re-splitting the whole buffer each time is quadratic in the
    answer's length, which for a few sentences costs nothing and keeps one splitter.
    """
    buffer, done = "", 0
    for chunk in chunks:
        yield chunk
        buffer += chunk
        sentences = split_sentences(buffer, verifier.linguist)
        for sentence in sentences[done:-1]:
            yield verifier.add(sentence)
        done = max(done, len(sentences) - 1)
    for sentence in split_sentences(buffer, verifier.linguist)[done:]:
        yield verifier.add(sentence)


def _spans(n: int, p: Passage, linguist: Linguist) -> list[Span]:
    """Sentences of passage `n`, and each pair of adjacent ones in the same paragraph
    (models merge sentences, but a paragraph break usually changes the subject)."""
    bounds = linguist.sentences(p.text) or [(0, len(p.text))]
    out = [Span(n, p.start + a, p.start + b, p.text[a:b]) for a, b in bounds]
    for (a, a_end), (b_start, b) in itertools.pairwise(bounds):
        if "\n" not in p.text[a_end:b_start]:
            out.append(Span(n, p.start + a, p.start + b, p.text[a:b]))
    return out


def _metadata_text(p: Passage) -> tuple[str, str]:
    """The title and the date the model was shown beside the passage, as evidence too.

    The date backs full dates only: "On 26 February 2024" is backed by an article dated
    2024-02-26 that says "on Monday", but "in February 2024" or "in 2024" must be in the
    passage or its title, since an article's own date says nothing of when the events
    it reports took place.
    """
    date = ""
    if p.published:
        d = p.published
        date = f"{d.isoformat()} {d.day} {d:%B} {d.year}"
    return p.title, date


def _holds(meta: tuple[str, str], span: str, terms: Terms) -> bool:
    """Whether the span (with its article's title, and its date for full dates) has every
    name, number and date of the sentence."""
    title, date = meta
    evidence = f"{title} {span}"
    words = {re.sub(r"['’]s?$", "", w) for w in re.findall(r"[\w'’-]+", fold(evidence.lower()))}
    if len(terms.names - words) > (1 - NAME_GATE) * len(terms.names):
        return False
    if not terms.dates <= full_dates(f"{evidence} {date}"):
        return False
    plain = evidence.replace(",", "")
    return all(re.search(rf"(?<![\d.]){re.escape(x)}(?!\.?\d)", plain) for x in terms.numbers)
