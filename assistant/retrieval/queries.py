"""What the keyword searches look for in a question: its content words, and its names."""

from __future__ import annotations

import re

from ..text.words import content_words


def keyword_queries(question: str) -> tuple[str, str]:
    """What the two keyword searches look for: the question's content words, its names."""
    return " ".join(content_words(question)), " ".join(question_names(question))


def question_names(question: str) -> list[str]:
    """The names and codes in a question: capitalised words after its first, and tokens
    mixing letters and digits ("Quintbury", "Mixtral", "C919").

    They get a keyword ranking of their own because a name is what a dense vector blurs
    most: an article naming the question's person can rank below ten articles on the
    question's topic that never mention them.
    """
    words = re.findall(r"[\w'’-]+", question)
    names = [
        w
        for i, w in enumerate(words)
        if (i > 0 and w[0].isupper() and w.lower() not in _NOT_NAMES)
        or (re.search(r"\d", w) and re.search(r"[^\W\d_]", w))
    ]
    return list(dict.fromkeys(names))


# Capitalised mid-sentence words that are not names (the question's own "I", titles).
_NOT_NAMES = frozenset(["i", "mr", "mrs", "ms", "dr", "the", "a", "an", "what", "which", "who"])
