"""Words that carry meaning, their stems, and accent folding: how texts are compared
word for word.

`stems` reduces words to their Snowball stems, so that "designed" in a question meets
"designs" or "design" in an article. Not here: names, numbers and dates (terms.py).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import snowballstemmer

# One string, not a list literal: the formatter would give each of 66 words its own line.
_STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        """
    a an and are as at be been but by did do does for from had has have he her his how i in
    into is it its of on or she that the their them they this to was were what when where
    which who whom whose why will with would you your about after before over than then
    there these those said says new
""",
    )
)


def content_words(text: str) -> set[str]:
    """Lower-cased words that carry meaning (no stopwords, no one-letter tokens)."""
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) > 1 and w not in _STOPWORDS}


def fold(text: str) -> str:
    """`text` without accents: "Timothée" and "Timothee" are one name in news copy."""
    if text.isascii():  # most news copy: nothing to fold, and no per-character walk
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# A Snowball stemmer keeps the word it works on, so each thread gets its own.
_LOCAL = threading.local()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem of one lower-case word (memoised: news repeats its words)."""
    stemmer = getattr(_LOCAL, "stemmer", None)
    if stemmer is None:
        stemmer = _LOCAL.stemmer = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word))


@lru_cache(maxsize=8192)
def stems(text: str) -> frozenset[str]:
    """The stems of a text's content words, accents folded (memoised: an answer compares
    each candidate sentence and title with the question several times)."""
    return frozenset(stem(w) for w in content_words(fold(text)))
