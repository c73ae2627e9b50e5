"""Markdown escaping: article text and titles display literally wherever Markdown is shown.

A title such as `<img src=x onerror=...>` or a `[link](javascript:...)` inside an article
shows as text, never as markup or HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Backslash escapes (CommonMark) for everything that can start markup or HTML; parentheses
# are safe once brackets are escaped.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_MD_ESCAPED = re.compile(r"\\([\\`*_\[\]<>|~])")


def escape_markdown(text: str) -> str:
    """Make `text` display literally in Markdown (and never as HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def unescape_markdown(text: str) -> str:
    """The text `escape_markdown` was given (a chat sends back what it showed)."""
    return _MD_ESCAPED.sub(r"\1", text)


def markers(numbers: Sequence[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def escape_markdown_keep_markers(text: str) -> str:
    """Escape answer text but keep its [n] citation markers readable."""
    return re.sub(r"\\\[(\d+)\\\]", r"[\1]", escape_markdown(text))


def safe_url(url: str | None) -> bool:
    """Whether `url` is an http(s) link that cannot break out of a link or an attribute."""
    if not url or not url.startswith(("http://", "https://")):
        return False
    return not re.search(r"[\s<>\"']", url)
