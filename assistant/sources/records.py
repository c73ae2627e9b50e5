"""A record (a mapping with the usual field names) -> `Article`, and article identity.

Identity: an article's id is its explicit `id`, else its canonical URL, else where it was
read from: its file's resolved path (plus the line number inside a JSON Lines file, the
entry's inside a JSON list or a feed), so that one file gives one id however it was named,
or `<stdin>`. Every format ends here, so the field aliases and the checks on each field
live in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import SourceError, SourceWarning
from ..schema import Article
from ..text.dates import parse_date
from .discovery import path_text

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
    # The file's name as given, when `where` is already one entry of it (a feed's `#2`).
    file: str | None = None

    def identity(self, where: str) -> str:
        """The id of an article without an id or URL, read at `where` (this file's name as
        given, and the place inside it: `news/a.jsonl:3`): the file's resolved path with
        that place, so `news`, `./news` and `/srv/news` give one id; `where` without a
        file (stdin)."""
        named = self.file or self.where
        if self.path is None or not where.startswith(named):
            return path_text(where)
        return path_text(self.path) + where[len(named) :]

    def title(self) -> str:
        """A title made from the file name, for articles that have none."""
        stem = Path(self.path).stem if self.path else "untitled"
        return stem.replace("-", " ").replace("_", " ").strip().capitalize()


def record(origin: Origin, item: Any, where: str) -> list[Article | SourceError | SourceWarning]:
    """One JSON record: its article and warnings, or the error that kept it out."""
    if not isinstance(item, dict):
        return [SourceError(where, "expected a JSON object with at least a 'text' field")]
    try:
        return [*to_article(origin, item, where=where)]
    except SourceError as exc:
        return [exc]


def to_article(
    origin: Origin, raw: dict[str, Any], where: str | None = None
) -> list[Article | SourceWarning]:
    """The Article a mapping describes (with any of the usual field aliases), then warnings
    about what it had to leave out. SourceError, naming the field, if a field has a type
    that no article has (`"authors": 7`) or there is no text."""
    where = where or origin.where
    fields = {key: _first(raw, names) for key, names in _FIELD_ALIASES.items()}
    text = _text(fields["text"], where, paragraphs=True).strip()
    if not text:
        raise SourceError(where, "no article text (expected one of: text, body, content)")
    url = _text(fields["url"], where).strip() or origin.url
    identity = (
        _text(fields["id"], where, numbers=True).strip()
        or canonical_url(url)
        or _clean(origin.identity(where))
    )
    # A whole file without a title is named after the file; one record among many (a JSON
    # Lines archive, a feed) is named after its own first words, not its file's name.
    fallback = _clean(origin.title()) if where == origin.where else _title_from_text(text)
    title = _text(fields["title"], where, numbers=True).strip() or fallback
    if _DATELINE.fullmatch(title):  # "CNN —" is a dateline, not a title: take the lede's words
        title = _title_from_text(text)
    published, warnings = _published(fields["published"], where)
    article = Article(
        id=identity,
        title=" ".join(title.split()),
        text=text,
        url=url,
        published=published,
        source=_name(fields["source"], where) or None,
        authors=_authors(fields["authors"], where),
        path=origin.path,
    )
    return [article, *warnings]


# A title that is only a dateline ("CNN —", "New York CNN Business —"), and the dateline
# that opens a scraped text.
_DATELINE = re.compile(r"[^—–\n]{0,40}[—–]\s*")
_DATELINE_START = re.compile(r"\A\s*[^—–\n]{0,40}[—–]\s*")


def _title_from_text(text: str, limit: int = 90) -> str:
    """A title for a text that has none: its first sentence, after any dateline."""
    lines = _DATELINE_START.sub("", text, count=1).strip().splitlines() or text.splitlines()
    first = lines[0].strip() if lines else ""
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
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # "http://[::1", a port over 65535: not a URL we can normalise
        return url
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return url
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    if port and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, True) if not _TRACKING.match(k))
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def article_from_mapping(
    raw: dict[str, Any], where: str, path: str | None, file: str | None = None
) -> list[Article | SourceWarning]:
    """An Article from a mapping with the usual field names (for feeds and fetched pages);
    `file` is the name of the file that `where` is an entry of."""
    return to_article(Origin(where, path, file=file), raw, where=where)


# A field is (the name it had in the record, its value).
_Field = tuple[str, Any]


def _first(raw: dict[str, Any], names: tuple[str, ...]) -> _Field:
    for name in names:
        if raw.get(name) not in (None, "", []):
            return name, raw[name]
    return names[0], None


def _text(field: _Field, where: str, paragraphs: bool = False, numbers: bool = False) -> str:
    """A text field; a list of strings is paragraphs where `paragraphs` allows it, a number
    its digits where `numbers` does (an id, a title such as "2024")."""
    name, value = field
    if value is None:
        return ""
    if isinstance(value, str):
        return _clean(value)
    if numbers and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if paragraphs and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return _clean("\n\n".join(value))
    wanted = "text or a list of paragraphs" if paragraphs else "text"
    raise SourceError(where, f"field {name!r} must be {wanted}, not {_kind(value)}")


def _name(field: _Field, where: str) -> str:
    """A name given as text or as an object with a "name" (`"source": {"name": "CNN"}`)."""
    name, value = field
    if isinstance(value, dict):
        return _text((f"{name}.name", value.get("name")), where).strip()
    return _text(field, where).strip()


def _authors(field: _Field, where: str) -> tuple[str, ...]:
    """Names given as one string ("A, B and C"), an object with a name, or a list of those."""
    name, value = field
    if not value:
        return ()
    if isinstance(value, str):
        value = re.split(r"\s*(?:;|,| and )\s*", _clean(value))
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise SourceError(
            where, f"field {name!r} must be a name or a list of names, not {_kind(value)}"
        )
    names = (_name((f"{name}[{n}]", v), where) for n, v in enumerate(value, 1))
    return tuple(n for n in names if n)


def _published(field: _Field, where: str) -> tuple[date | None, list[SourceWarning]]:
    """The publication date, or None and a warning saying which value could not be read."""
    name, value = field
    published = parse_date(value)
    if published is not None or value is None:
        return published, []
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:59] + "…"
    reason = (
        f"field {name!r} is {shown}, which is not a date this reads (write it as 2024-03-05); "
        "the article is kept without a date"
    )
    return None, [SourceWarning(where, reason)]


def _kind(value: Any) -> str:
    kinds = ((bool, "true/false"), (int | float, "a number"), (list, "a list"), (dict, "an object"))
    return next((k for t, k in kinds if isinstance(value, t)), f"a {type(value).__name__}")


# What text holds no use for and a terminal would act on: control characters other than
# tab, line feed and carriage return; lone surrogates (a JSON "\\udc80" escape) are not
# characters at all and no store would take them.
_JUNK = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(text: str) -> str:
    return _SURROGATE.sub("\ufffd", _JUNK.sub("", text))
