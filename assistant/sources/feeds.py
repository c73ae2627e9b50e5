"""RSS and Atom feeds: each entry is an article, its full text taken from the entry's content.

A feed entry carries its text as HTML in `content` (full text, when the publisher puts it
there) or in `summary` (a teaser). We take the longest of them and turn the HTML into plain
paragraphs. We do not follow an entry's link to fetch the page: that is fetch.py's job, and
only when the user asks for URLs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import feedparser

from ..errors import SourceError, SourceWarning
from ..schema import Article
from .records import article_from_mapping

# Tags whose text is not prose: dropped before the text is read.
_NOT_TEXT = ("script", "style", "noscript", "template", "iframe", "svg")


def read_feed(
    where: str, path: str | None, text: str
) -> Iterator[Article | SourceError | SourceWarning]:
    """The entries of the RSS or Atom feed `text` as articles, errors naming entry numbers."""
    parsed = feedparser.parse(text)
    if not parsed.entries:
        problem = f" ({parsed.bozo_exception})" if parsed.get("bozo") else ""
        raise SourceError(where, f"not an RSS or Atom feed, or a feed with no entries{problem}")
    outlet = parsed.feed.get("title")
    for n, entry in enumerate(parsed.entries, 1):
        raw = {
            "id": entry.get("id"),
            "url": entry.get("link"),
            "title": entry.get("title"),
            "text": _entry_text(entry),
            "published": _entry_date(entry),
            "authors": [a.get("name") for a in entry.get("authors", []) if a.get("name")],
            "source": outlet,
        }
        try:
            yield from article_from_mapping(raw, f"{where}#{n}", path, file=where)
        except SourceError as exc:
            yield exc


def _entry_text(entry: Any) -> str:
    """The longest of the entry's content blocks and summary, as plain text."""
    blocks = [c.get("value", "") for c in entry.get("content", [])]
    blocks.append(entry.get("summary", ""))
    texts = [html_to_text(b) for b in blocks if b and b.strip()]
    return max(texts, key=len, default="")


def _entry_date(entry: Any) -> date | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return date(*value[:3])  # feedparser normalises to UTC
    return None


def html_to_text(fragment: str) -> str:
    """Paragraphs of an HTML fragment as plain text; scripts and styles are dropped."""
    if "<" not in fragment:
        return fragment.strip()
    import lxml.html  # comes with trafilatura

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # lxml raises several kinds for hopeless markup
        return ""
    for bad in root.iter(*_NOT_TEXT):
        bad.drop_tree()
    for block in root.iter("p", "div", "br", "li", "h1", "h2", "h3", "h4", "blockquote"):
        block.tail = "\n\n" + (block.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().split("\n\n"))
    return "\n\n".join(line for line in lines if line)
