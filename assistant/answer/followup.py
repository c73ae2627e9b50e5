"""Follow-up questions made standalone before retrieval.

Follow-up questions ("when did it launch?", "and who invested?") are made standalone
before retrieval. With an LLM answerer the model rewrites them from the earlier
questions; without one (extractive mode) the rule is deterministic: a question that names
no subject of its own (only pronouns and generic words) borrows the subject words of the
previous question. A rewrite that comes back empty or rambling falls back to the rule.
History lives in a `Conversation` (core.py) or is passed to `Assistant.ask`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ..text.words import content_words

Rewriter = Callable[[str, Sequence[str]], str]

_PRONOUNS = frozenset(
    {
        "it",
        "its",
        "they",
        "them",
        "their",
        "he",
        "him",
        "his",
        "she",
        "her",
        "this",
        "that",
        "these",
        "those",
    }
)
# Words that ask about a subject without naming one.
_GENERIC = frozenset(
    {
        "launch",
        "launched",
        "release",
        "released",
        "start",
        "started",
        "happen",
        "happened",
        "announce",
        "announced",
        "invest",
        "invested",
        "cost",
        "much",
        "many",
        "long",
        "ago",
        "date",
        "year",
        "when",
        "why",
        "how",
        "also",
        "else",
        "more",
    }
)


def standalone_question(
    question: str, history: Sequence[str], rewriter: Rewriter | None = None
) -> str:
    """`question` made standalone: by `rewriter` (a model) when given, else by the rule."""
    if not history:
        return question
    if rewriter is not None:
        rewritten = rewriter(question, list(history))
        # A small model may answer instead of rewriting, or echo the prompt.
        if rewritten and len(rewritten) <= 3 * len(question) + 120 and "\n" not in rewritten:
            return rewritten
    return rewrite_follow_up(question, list(history))


def rewrite_follow_up(question: str, history: list[str]) -> str:
    """`question`, made standalone using the earlier questions in `history` when needed."""
    if not history:
        return question
    words = re.findall(r"\w+", question.lower())
    own_subject = content_words(question) - _GENERIC - _PRONOUNS
    refers_back = any(w in _PRONOUNS for w in words) or question.lower().startswith("and ")
    if own_subject and not refers_back:
        return question
    for previous in reversed(history):
        subject = content_words(previous) - _GENERIC
        if subject:
            names = _subject_phrase(previous, subject)
            return f"{question.rstrip('?')} ({names})?"
    return question


def _subject_phrase(question: str, subject: set[str]) -> str:
    """The previous question's subject words, in their original order and case."""
    kept = [w for w in re.findall(r"\w+", question) if w.lower() in subject]
    return " ".join(dict.fromkeys(kept))
