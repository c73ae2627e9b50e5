"""Merging rankings and collapsing duplicates: the list-level steps of a search.

Reciprocal rank fusion merges rankings whose scores cannot be compared; duplicate
collapsing keeps one passage per article and per story (a wire copy, an updated version).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..index import StoredChunk

RRF_K = 60  # the constant from Cormack et al. (2009); rankings are robust to it


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[tuple[str, float]]],
    weights: Sequence[float] | None = None,
    k: int = RRF_K,
) -> list[tuple[str, float]]:
    """Merge rankings of ids: each id scores sum(weight / (k + rank)) over the rankings."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, (item, _) in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda kv: kv[1], reverse=True)


def collapse_duplicates(
    ranked: list[StoredChunk], k: int, per_article: int = 1, overlap: float = 0.5
) -> list[tuple[StoredChunk, list[str]]]:
    """The top `k` chunks, at most `per_article` per article and one per story: a chunk
    sharing at least `overlap` of its word 5-grams with a chosen one is the same story.

    A chunk that mostly repeats a chosen chunk of another article (a wire story in two
    outlets, an updated version) is dropped, and its article is listed with the chosen one;
    that article's later chunks are dropped too.
    """
    picked: list[tuple[StoredChunk, list[str]]] = []
    shingles: list[set[tuple[str, ...]]] = []
    counts: dict[str, int] = {}
    same_story: dict[str, int] = {}  # article id -> position of the chunk it duplicates
    for chunk in ranked:
        if len(picked) >= k:
            break
        if chunk.article_id in same_story:
            continue
        if counts.get(chunk.article_id, 0) >= per_article:
            continue
        mine = _shingles(chunk.text)
        twin = _duplicate_of(chunk, mine, picked, shingles, overlap)
        if twin is not None:
            same_story[chunk.article_id] = twin
            label = _label(chunk)
            if label not in picked[twin][1]:
                picked[twin][1].append(label)
            continue
        counts[chunk.article_id] = counts.get(chunk.article_id, 0) + 1
        picked.append((chunk, []))
        shingles.append(mine)
    return picked


def _duplicate_of(
    chunk: StoredChunk,
    mine: set[tuple[str, ...]],
    picked: list[tuple[StoredChunk, list[str]]],
    shingles: list[set[tuple[str, ...]]],
    threshold: float,
) -> int | None:
    for i, ((other, _), theirs) in enumerate(zip(picked, shingles, strict=True)):
        if other.article_id == chunk.article_id or not mine or not theirs:
            continue
        if len(mine & theirs) / min(len(mine), len(theirs)) >= threshold:
            return i
    return None


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + n]) for i in range(max(0, len(words) - n + 1))}


def _label(chunk: StoredChunk) -> str:
    """How a collapsed duplicate is named: its outlet, else its title."""
    return chunk.source or chunk.title
