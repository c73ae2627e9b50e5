"""Question -> ranked passages: hybrid, news-aware retrieval.

1. Candidates: dense (Chroma) and keyword (Tantivy, BM25 over title and text) search, plus
   a keyword search on the question's names alone; date range and outlet filters are
   pushed into both stores, so a narrow filter never starves the candidate list.
2. A fourth ranking orders those candidates by their best sentence's similarity to the
   question (sentence vectors stored at ingest, so no model call): a question is answered
   by a sentence, and a chunk's vector blurs that sentence with its neighbours.
   Reciprocal rank fusion merges the rankings without comparing their incomparable scores.
3. News-aware order: fresher articles get a multiplier (counted back from the as-of date,
   default the newest article indexed); articles after the as-of date are never
   candidates. A calendar window the question names ("yesterday", "this week", "in
   March") scopes the search to its days whenever it holds articles close enough to the
   question (else, and for a vague "recently", its articles only get a larger
   multiplier): asked about yesterday, a desk answers from yesterday's news, and fills
   the places the window's unrelated articles would take with older coverage of the
   story, as background that the answer does not quote. An
   article's first chunk, its lede, gets a multiplier too: news puts who, what and when
   first.
4. One passage per article and per story: a near-duplicate (a wire copy, an updated
   version) is folded into the passage above it and listed in `also_reported_by`.
5. Each passage is widened by its neighbouring chunks, so the answer reads whole context.

Each passage carries the cosine similarity of its matched chunk to the question, which the
answerer's evidence gate reads. `NewsRetriever` exposes the same search as a LangChain
`BaseRetriever`; LangChain `Document`s exist only at that edge. Not here: answering.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from ..embedding.embedder import Embedder
from ..index import Index, Scope, StoredChunk
from ..schema import Filters, Passage
from ..text.dates import Window, resolve
from .fusion import collapse_duplicates, reciprocal_rank_fusion
from .queries import keyword_queries


@dataclass(frozen=True)
class RankingPolicy:
    """How the fused ranking is turned into news-aware passages. Measured on the dev set
    (README, "Retrieval quality"); the defaults are what won there.

    - `recency_weight`, `half_life_days`: a passage's fused score is multiplied by
      1 + weight * 0.5 ** (age / half_life), age counted back from the as-of date. Between
      passages of similar relevance the newer wins; a much better older one still wins.
    - `window_boost`: the multiplier's extra for passages inside the window a relative
      date in the question names, when the search is not scoped to it ("recently", or a
      window that holds no articles).
    - `dense_floor`: dense hits below this share of the best hit's cosine are no candidates.
      Fusion counts ranks only, so in a small index an unrelated article at the bottom of
      the list scores nearly what the best one does, and a recency bonus would lift it over.
    - `sentence_weight`: the weight of the best-sentence ranking in the fusion (the others
      weigh 1); on the full dev corpus it lifted recall@5 from 0.843 to 0.892, flat
      between 2 and 3, and left corpus-small unchanged.
    - `lede_weight`: the extra weight of an article's first chunk, its lede. News is
      written as an inverted pyramid: who, what, when and where come first, and the
      question is often asked of them. At 0.4 it lifted answer in context on corpus-small
      (as of each date) from 0.882 to 0.902 and the full corpus's MRR from 0.705 to 0.715,
      recall@5 unchanged there; it was flat between 0.4 and 0.8.
    - `window_gate`: a search scoped to the question's window keeps to it only if its
      best passage is this close (cosine) to the question: the extractive answerer's
      evidence gate, below which the window's articles do not answer it (a quiz's "which
      holiday was celebrated this week?" answered by last year's article on the holiday);
      the search then falls back to preferring the window.
    - `window_floor`: in a scoped search, the window's passages less close than this (the
      answerer's passage gate) are about other stories; their places go to the best
      passages from outside the window, marked `background`: older coverage that gives
      context (an LLM reads it, the reader sees it) but is not answered from
      (docs/evaluation.md, "Background for a window").
    - `duplicate_overlap`: the share of a passage's word 5-grams found in a passage
      already chosen above which it is the same story (a wire copy, an updated version).
    """

    candidates: int = 40
    per_article: int = 1
    dense_floor: float = 0.5
    sentence_weight: float = 2.0
    recency_weight: float = 0.3
    half_life_days: float = 14.0
    window_boost: float = 0.3
    lede_weight: float = 0.4
    window_gate: float = 0.45
    window_floor: float = 0.30
    duplicate_overlap: float = 0.5
    context_before: int = 3
    context_after: int = 3


@dataclass(frozen=True)
class SearchResult:
    """The passages for a question, and the question's own vector for reuse downstream."""

    passages: list[Passage]
    query_vector: np.ndarray
    window: Window | None = None
    # Whether the search was scoped to the window (it held articles).
    scoped: bool = False


class Retriever:
    """Hybrid, news-aware search over one index."""

    def __init__(
        self, index: Index, embedder: Embedder, policy: RankingPolicy | None = None
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.policy = policy or RankingPolicy()

    def search(self, question: str, k: int = 5, filters: Filters | None = None) -> SearchResult:
        filters = filters or Filters()
        anchor = filters.as_of or self.index.newest_published()
        window = resolve(question, anchor)
        narrowed = self._within(filters, window)
        query = None
        seen: dict[int, list[tuple[str, float]]] = {}  # Chroma's answers, for both searches
        if narrowed is not None:
            found = self._search(question, k, narrowed, anchor, window, None, seen)
            if found.passages and max(p.score for p in found.passages) >= self.policy.window_gate:
                close = [p for p in found.passages if p.score >= self.policy.window_floor]
                if len(close) < k:  # the window's other articles are about other things
                    wider = self._search(
                        question, k, filters, anchor, window, found.query_vector, seen
                    )
                    close += _background(close, wider.passages, window, k)
                return dataclasses.replace(found, passages=close, scoped=True)
            query = found.query_vector
        return self._search(question, k, filters, anchor, window, query, seen)

    def _search(
        self,
        question: str,
        k: int,
        filters: Filters,
        anchor: date | None,
        window: Window | None,
        query: np.ndarray | None,
        seen: dict[int, list[tuple[str, float]]],
    ) -> SearchResult:
        """One hybrid search within `filters` (`query`: the question's vector, if known;
        `seen`: the vector searches already made for it, see `Index.dense_search`)."""
        scope = _scope(filters)
        n = max(self.policy.candidates, 4 * k)
        # One after the other: each keyword search takes a fraction of a millisecond, less
        # than handing it to another thread costs, and the model uses both cores.
        words, names = keyword_queries(question)
        keyword = self.index.keyword_search(words, n, scope)
        by_name = self.index.keyword_search(names, n, scope)
        if query is None:
            query = self.embedder.embed_query(question)
        # The spare nearest chunks are no candidates, but their cosines are known: fewer
        # passages found by keyword alone then need their vectors read (_similarities).
        near = self.index.dense_search(query, n, scope=scope, spare=n, seen=seen)
        dense = [(cid, s) for cid, s in near[:n] if s >= self.policy.dense_floor * near[0][1]]
        by_sentence = self._by_best_sentence(query, [dense, keyword, by_name])
        fused = reciprocal_rank_fusion(
            [dense, keyword, by_name, by_sentence], (1, 1, 1, self.policy.sentence_weight)
        )
        stored = self.index.get_chunks([cid for cid, _ in fused])
        stored.update(self.index.successors([cid for cid, _ in fused if cid not in stored]))
        ranked = self._news_order(fused, stored, anchor, window)
        picked = collapse_duplicates(
            ranked, k, self.policy.per_article, self.policy.duplicate_overlap
        )
        similarity = self._similarities(query, dict(near), [c.id for c, _ in picked])
        passages = [_passage(self._widen(c), similarity[c.id], also) for c, also in picked]
        return SearchResult(passages, query, window)

    def _within(self, filters: Filters, window: Window | None) -> Filters | None:
        """The filters narrowed to the question's calendar window, if it holds articles
        they allow; else None."""
        if window is None or not window.strict:
            return None
        since = max(d for d in (filters.since, window.since) if d)
        until = min(d for d in (filters.until, filters.as_of, window.until) if d)
        narrowed = dataclasses.replace(filters, since=since, until=until)
        if since > until or self.index.count_articles(_scope(narrowed)) == 0:
            return None
        return narrowed

    def window(self, question: str, filters: Filters | None = None) -> Window | None:
        """The window the question names, anchored on the as-of date or the newest article."""
        as_of = filters.as_of if filters else None
        return resolve(question, as_of or self.index.newest_published())

    def window_ledes(
        self, window: Window, filters: Filters | None = None
    ) -> tuple[list[Passage], np.ndarray]:
        """The first passage of every article in the window that the filters allow, newest
        first, and their unit vectors (a row each): what a digest is made of."""
        narrowed = self._within(filters or Filters(), window)
        if narrowed is None:
            return [], np.empty((0, 0), dtype=np.float32)
        chunks = self.index.ledes(_scope(narrowed))
        stored = self.index.vectors([c.id for c in chunks])
        missing = [c for c in chunks if c.id not in stored]
        if missing:  # written by another process to an embedded store: embed them here
            stored.update(
                zip(
                    [c.id for c in missing],
                    self.embedder.embed([c.text for c in missing]),
                    strict=True,
                )
            )
        matrix = np.stack([np.asarray(stored[c.id], dtype=np.float32) for c in chunks])
        matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
        return [_passage(c, 1.0, []) for c in chunks], matrix

    def closest_dated(
        self, window: Window, filters: Filters | None = None, n: int = 3
    ) -> list[Passage]:
        """The first passages of the `n` dated articles published closest to the window
        (none after the as-of date), for a window that holds none."""
        filters = filters or Filters()
        middle = window.since + (window.until - window.since) / 2
        chunks = self.index.closest_ledes(middle, n, _scope(filters))
        return [_passage(c, 0.0, []) for c in chunks]

    def retrieve(self, question: str, k: int = 5, filters: Filters | None = None) -> list[Passage]:
        return self.search(question, k, filters).passages

    def _by_best_sentence(
        self, query: np.ndarray, rankings: Sequence[Sequence[tuple[str, float]]]
    ) -> list[tuple[str, float]]:
        """The candidates of all rankings, ordered by their best sentence's cosine."""
        ids = list(dict.fromkeys(cid for ranking in rankings for cid, _ in ranking))
        chunks, starts, matrix = self.index.sentence_matrix(ids)
        if not chunks:
            return []
        # One product over all sentences, then the best per chunk.
        best = np.maximum.reduceat(matrix @ query, starts)
        return sorted(zip(chunks, best.tolist(), strict=True), key=lambda cs: -cs[1])

    def _news_order(
        self,
        fused: list[tuple[str, float]],
        stored: dict[str, StoredChunk],
        anchor: date | None,
        window: Window | None,
    ) -> list[StoredChunk]:
        """The fused ranking, re-weighted toward recent articles, the question's window and
        articles' ledes."""
        scored = [
            (score * self._freshness(c.published, anchor, window) * self._place(c), c)
            for cid, score in fused
            if (c := stored.get(cid)) is not None
        ]
        scored.sort(key=lambda sc: sc[0], reverse=True)
        return [c for _, c in scored]

    def _freshness(
        self, published: date | None, anchor: date | None, window: Window | None
    ) -> float:
        if published is None or anchor is None:
            return 1.0
        age = max(0, (anchor - published).days)
        factor = 1.0 + self.policy.recency_weight * 0.5 ** (age / self.policy.half_life_days)
        if window is not None and published in window:
            factor += self.policy.window_boost
        return factor

    def _place(self, chunk: StoredChunk) -> float:
        return 1.0 + self.policy.lede_weight if chunk.index == 0 else 1.0

    def _widen(self, chunk: StoredChunk) -> StoredChunk:
        """The chunk grown by its neighbours in the article, so the answer sees the
        sentences around the match: the match is found on small chunks (sharp vectors),
        the answer is read from a wider span (what it needs is often a sentence away).

        Offsets stay exact. Two chunks either overlap or are separated by white space only
        (the chunker cuts between sentences); the catalog does not keep that white space,
        so a gap is filled with as many spaces or line breaks, never shifting a position.
        """
        before, after = self.policy.context_before, self.policy.context_after
        if before <= 0 and after <= 0:
            return chunk
        around = self.index.neighbours(chunk, max(before, after))
        start, end, text = chunk.start, chunk.end, chunk.text
        for c in [c for c in around if c.index < chunk.index][::-1][:before]:
            if c.start < start:
                text = c.text[: start - c.start] + _gap(start - c.end) + text
                start = c.start
        for c in [c for c in around if c.index > chunk.index][:after]:
            if c.end > end:
                text += _gap(c.start - end) + c.text[max(0, end - c.start) :]
                end = c.end
        return dataclasses.replace(chunk, start=start, end=end, text=text)

    def _similarities(
        self, query: np.ndarray, known: dict[str, float], ids: list[str]
    ) -> dict[str, float]:
        """Cosine similarity to the question; keyword-only hits use their stored vectors.

        A chunk the catalog lists but this process's vector store does not yet hold (another
        process wrote it to an embedded store) is embedded here instead.
        """
        missing = [i for i in ids if i not in known]
        vectors = self.index.vectors(missing)
        unseen = [i for i in missing if i not in vectors]
        if unseen:
            chunks = self.index.get_chunks(unseen)
            found = [i for i in unseen if i in chunks]
            embedded = self.embedder.embed([chunks[i].text for i in found])
            vectors.update(zip(found, embedded, strict=True))
        return {**known, **{i: float(v @ query) for i, v in vectors.items()}}


def _background(
    close: list[Passage], wider: list[Passage], window: Window | None, k: int
) -> list[Passage]:
    """The best passages from outside the window, marked `background`, to fill the k
    slots that the window's own close passages leave."""
    known = {p.article_id for p in close}
    outside = [
        dataclasses.replace(p, background=True)
        for p in wider
        if p.article_id not in known and not (window and p.published and p.published in window)
    ]
    return outside[: k - len(close)]


def _gap(n: int) -> str:
    """White space of length n (0 if the spans overlap): a paragraph break if it is long."""
    return "" if n <= 0 else " " if n == 1 else "\n" * n


def _scope(filters: Filters) -> Scope | None:
    until = min((d for d in (filters.as_of, filters.until) if d), default=None)
    if not (until or filters.since or filters.sources):
        return None
    return Scope(since=filters.since, until=until, sources=filters.sources)


def _passage(chunk: StoredChunk, score: float, also: list[str]) -> Passage:
    return Passage(
        chunk_id=chunk.id,
        article_id=chunk.article_id,
        text=chunk.text,
        start=chunk.start,
        end=chunk.end,
        title=chunk.title,
        score=score,
        source=chunk.source,
        published=chunk.published,
        url=chunk.url,
        also_reported_by=tuple(also),
    )
