"""Words that carry meaning, and accent folding: how texts are compared word for word.

Not here: names, numbers and dates (terms.py), or stemming (the keyword index does its own).
"""

from __future__ import annotations

import re
import unicodedata

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
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
