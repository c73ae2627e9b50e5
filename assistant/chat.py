"""A conversation: questions asked in turn, each answered from the index.

Follow-up questions ("when did it launch?") are made standalone before retrieval. In
extractive mode the rule is deterministic: a question that names no subject of its own
(only pronouns and generic words) borrows the subject words of the previous question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .answering import content_words
from .core import Assistant
from .schema import Answer

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


@dataclass
class Conversation:
    """Per-session history over one Assistant."""

    assistant: Assistant
    questions: list[str] = field(default_factory=list)

    def ask(self, question: str, k: int | None = None) -> Answer:
        standalone = rewrite_follow_up(question, self.questions)
        answer = self.assistant.ask(standalone, k=k)
        self.questions.append(standalone)
        return answer
