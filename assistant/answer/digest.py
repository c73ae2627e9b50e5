"""A window's news as a digest: "What happened this week?" answered as a news desk would.

A question that names a window and no topic ("What happened yesterday?", "what's the
news today") is not searched: the answer is the window's stories, the most covered first
(by how many articles, then how many outlets, tell them), up to eight, one line each with
its date, cited by the first sentence of each article that tells it.

Articles are grouped into stories by the similarity of their ledes' vectors (single
linkage: an article joins a story if it is this close to any of its articles), so that a
story told by several outlets or followed up over days is counted once; docs/evaluation.md
has how the threshold was set. A window with no articles says so and lists the dated
articles closest to it.

Not here: reading the window from the question (text/dates.py) or fetching the window's
articles (the retriever).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np

from ..schema import Answer, Passage, Sentence
from ..text.dates import MONTHS, Window, day_text
from ..text.words import content_words
from .base import Numbering, SentenceLookup, Span, is_dateline
from .extractive import OUTLET_SUFFIX


@dataclass(frozen=True)
class DigestPolicy:
    """How a digest is made: `same_story` is the cosine between two ledes of one story."""

    stories: int = 8
    same_story: float = 0.65
    cited_per_story: int = 3
    max_line_words: int = 35


# The words that ask for the news itself, not for a topic: "What happened yesterday?",
# "Any news this week?", "Tell me the top stories of today".
_NEWS_WORDS = frozenset(
    re.findall(
        r"\w+",
        """
    happen happened happening happens going go news headline headlines story stories top
    latest biggest big main major key important anything any everything tell me us give
    show list summary summarise summarize recap digest catch up up whats what's s so far
    events event day week month world today tonight yesterday morning past last this
    during can could you please the overall just all brief briefing been has have
    """,
    )
)


def is_digest(question: str, window: Window) -> bool:
    """Whether the question asks only what happened in the window, naming no topic."""
    if not window.strict:
        return False
    rest = re.sub(re.escape(window.phrase), " ", question, flags=re.IGNORECASE).lower()
    # A month window may be said otherwise ("during March"): its month and year are no topic.
    rest = re.sub(r"\b(" + "|".join(MONTHS) + r")\b|\b\d{4}\b", " ", rest)
    return not (content_words(rest) - _NEWS_WORDS)


def digest(
    question: str,
    window: Window,
    ledes: list[Passage],
    vectors: np.ndarray,
    sentences: SentenceLookup,
    policy: DigestPolicy | None = None,
) -> Answer:
    """The window's stories, most covered first: `ledes` are the first passages of the
    window's articles and `vectors` their unit vectors, a row each."""
    policy = policy or DigestPolicy()
    stories = _stories(ledes, vectors, policy.same_story)
    stories.sort(key=lambda s: (-len(s), -len(_outlets(ledes, s)), -_newest(ledes, s).toordinal()))
    shown = stories[: policy.stories]
    numbering = Numbering(ledes)
    lines: list[Sentence] = []
    for story in shown:
        # The newest article leads: it tells the story as it stands at the window's end.
        members = sorted(story, key=lambda i: ledes[i].published or date.min, reverse=True)
        spans = [_lead_sentence(ledes[i], i, sentences) for i in members]
        refs = tuple(numbering.number(s) for s in spans[: policy.cited_per_story])
        lead = ledes[members[0]]
        text = f"{_day(lead)} — {_line(lead, spans[0].text, policy.max_line_words)}"
        lines.append(Sentence(text, refs, 1.0))
    said = window.describe()
    head = f"{said[0].upper()}{said[1:]}: {_count(len(ledes), 'article')}, "
    head += _count(len(stories), "story", "stories")
    if len(shown) < len(stories):
        head += f"; the {len(shown)} most covered"
    elif len(shown) > 1:
        head += ", the most covered first"
    head += ":"
    body = "\n".join(f"- {s.text} {''.join(f'[{n}]' for n in s.citations)}" for s in lines)
    return Answer(question, f"{head}\n\n{body}", tuple(numbering.citations), True, tuple(lines))


def empty_window(question: str, window: Window, closest: list[Passage]) -> Answer:
    """The honest answer when the window holds no article: say so, list the closest."""
    text = f"The index holds no article dated {window.describe()}."
    if closest:
        text += " The closest dated articles are listed below."
    return Answer(question, text, (), False, (), tuple(closest))


def _stories(ledes: list[Passage], vectors: np.ndarray, gate: float) -> list[list[int]]:
    """The ledes grouped into stories: connected where two are at least `gate` alike."""
    parent = list(range(len(ledes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if len(ledes) > 1:
        similar = vectors @ vectors.T
        for i, j in zip(*np.nonzero(np.triu(similar >= gate, k=1)), strict=True):
            parent[root(int(i))] = root(int(j))
    groups: dict[int, list[int]] = {}
    for i in range(len(ledes)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _outlets(ledes: list[Passage], story: list[int]) -> set[str]:
    return {ledes[i].source or "" for i in story}


def _newest(ledes: list[Passage], story: list[int]) -> date:
    return max((ledes[i].published or date.min) for i in story)


def _lead_sentence(passage: Passage, n: int, sentences: SentenceLookup) -> Span:
    """The article's first sentence (not its dateline): the span a digest line cites."""
    stored = sorted(sentences(passage.article_id, passage.start, passage.end))
    for a, b in stored:
        text = passage.text[a - passage.start : b - passage.start]
        if len(text.split()) >= 5 and not is_dateline(text):
            return Span(n, a, b, text)
    end = passage.text.find(". ") + 1 or len(passage.text)
    return Span(n, passage.start, passage.start + end, passage.text[:end])


def _line(passage: Passage, lede: str, max_words: int) -> str:
    """What a digest line says: the whole headline, or else the lede, shortened."""
    headline = OUTLET_SUFFIX.sub("", passage.title).strip()
    if len(headline.split()) >= 4 and not headline.endswith(("...", "…")):
        return headline
    words = " ".join(lede.split()).split(" ")
    return " ".join(words[:max_words]) + (" …" if len(words) > max_words else "")


def _day(passage: Passage) -> str:
    return day_text(passage.published) if passage.published else "undated"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"
