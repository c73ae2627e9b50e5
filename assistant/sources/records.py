"""A record (a mapping with the usual field names) -> `Article`, and article identity.

Identity: an article's id is its explicit `id`, else its canonical URL, else where it was
read from (plus the line number inside a JSON Lines file). Every format ends here, so the
field aliases and the checks on each field live in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import SourceError
from ..schema import Article
from ..text.dates import parse_date

_FIELD_ALIASES = {
    "text": ("text", "body", "content", "article", "maintext"),
    "title": ("title", "headline"),
    "published": ("published", "date", "published_at", "publish_date", "pubdate", "datetime"),
    "authors": ("authors", "author", "byline"),
    "source": ("source", "outlet", "publisher", "site_name", "sitename"),
    "url": ("url", "link", "canonical_url"),
    "id": ("id", "_id", "uid", "guid"),
}


@dataclass(frozen=True)
class Origin:
    """Where text came from: `where` names it in errors, `path` is stored in the catalog."""

    where: str
    path: str | None
    url: str | None = None  # the page a fetched article came from

    def title(self) -> str:
        """A title made from the file name, for articles that have none."""
        stem = Path(self.path).stem if self.path else "untitled"
        return stem.replace("-", " ").replace("_", " ").strip().capitalize()


def record(origin: Origin, item: Any, where: str) -> Article | SourceError:
    if not isinstance(item, dict):
        return SourceError(where, "expected a JSON object with at least a 'text' field")
    try:
        return to_article(origin, item, where=where)
    except SourceError as exc:
        return exc


def to_article(origin: Origin, raw: dict[str, Any], where: str | None = None) -> Article:
    """Build an Article from a mapping that may use any of the usual field aliases."""
    where = where or origin.where
    meta = {key: _first(raw, names) for key, names in _FIELD_ALIASES.items()}
    text = _as_text(meta["text"]).strip()
    if not text:
        raise SourceError(where, "no article text (expected one of: text, body, content)")
    url = _as_text(meta["url"]).strip() or origin.url
    identity = _as_text(meta["id"]).strip() or canonical_url(url) or where
    # A whole file without a title is named after the file; one record among many (a JSON
    # Lines archive, a feed) is named after its own first words, not its file's name.
    fallback = origin.title() if where == origin.where else _title_from_text(text)
    title = _as_text(meta["title"]).strip() or fallback
    if _DATELINE.fullmatch(title):  # "CNN —" is a dateline, not a title: take the lede's words
        title = _title_from_text(text)
    return Article(
        id=identity,
        title=" ".join(title.split()),
        text=text,
        url=url,
        published=parse_date(meta["published"]),
        source=_as_text(meta["source"]).strip() or None,
        authors=_as_authors(meta["authors"]),
        path=origin.path,
    )


# A title that is only a dateline ("CNN —", "New York CNN Business —"), and the dateline
# that opens a scraped text.
_DATELINE = re.compile(r"[^—–\n]{0,40}[—–]\s*")
_DATELINE_START = re.compile(r"\A\s*[^—–\n]{0,40}[—–]\s*")


def _title_from_text(text: str, limit: int = 90) -> str:
    """A title for a text that has none: its first sentence, after any dateline."""
    first = _DATELINE_START.sub("", text, count=1).strip().splitlines()[0].strip()
    # A title, not a splitter: a full stop before a capital ends the sentence.
    first = re.split(r"(?<=[.!?])\s+(?=[A-Z])", first, maxsplit=1)[0]
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0]
    return f"{cut}…"


# Query parameters that track a click rather than name a page.
_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|_ga|ref_src|cmpid|ocid|smid)$"
)


def canonical_url(url: str | None) -> str | None:
    """`url` with what does not change the page removed, so one story has one identity.

    Lower-case scheme and host, no default port, no fragment, no tracking parameters
    (utm_*, fbclid, ...), the other parameters sorted, no trailing slash. Anything that is
    not an http(s) URL is returned stripped but otherwise as it is.
    """
    if not url or not url.strip():
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return url
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    if parts.port and parts.port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{parts.port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, True) if not _TRACKING.match(k))
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def article_from_mapping(raw: dict[str, Any], where: str, path: str | None) -> Article:
    """An Article from a mapping with the usual field names (for feeds and fetched pages)."""
    return to_article(Origin(where, path), raw, where=where)


def _first(raw: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if raw.get(name) not in (None, "", []):
            return raw[name]
    return None


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n\n".join(_as_text(v) for v in value)
    return str(value)


def _as_authors(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        value = re.split(r"\s*(?:;|,| and )\s*", value)
    names = (v.get("name", "") if isinstance(v, dict) else str(v) for v in value)
    return tuple(n.strip() for n in names if n and n.strip())
