"""Fetch the web pages and feeds at URLs the user gave, and read them into articles.

This is the only module that opens a connection beyond loopback, and it does so only for
URLs a user typed or listed (`assistant ingest https://...`, a `.urls` file, or a list of
URLs on stdin). A page is extracted with trafilatura (via sources.py); a feed is read
entry by entry (feeds.py). It does not crawl: links inside pages are not followed.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator

from .errors import SourceError
from .schema import Article
from .sources import read_data, too_big

USER_AGENT = "news-assistant/0.1"
DEFAULT_MAX_BYTES = 50_000_000
_FEED_TYPES = ("rss", "atom", "application/xml", "text/xml")


def read_urls(
    urls: Iterable[str], max_bytes: int = DEFAULT_MAX_BYTES, timeout: float = 30.0
) -> Iterator[Article | SourceError]:
    """The article (or feed entries) at each URL; a URL that fails is an error naming it."""
    for url in urls:
        try:
            data, content_type, final_url = fetch(url, max_bytes, timeout)
        except SourceError as exc:
            yield exc
            continue
        suffix = ".xml" if _is_feed(content_type, data) else ".html"
        yield from read_data(data, url, suffix, path=None, url=final_url)


def fetch(url: str, max_bytes: int, timeout: float) -> tuple[bytes, str, str]:
    """(body, content type, URL after redirects); any failure is a SourceError."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(max_bytes + 1)
            content_type = response.headers.get("Content-Type", "")
            final_url = response.geturl()
    except urllib.error.HTTPError as exc:
        raise SourceError(url, f"the server answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SourceError(url, f"cannot fetch ({reason}); check the URL and the network") from None
    if len(data) > max_bytes:
        raise SourceError(url, too_big(len(data), max_bytes))
    return data, content_type.lower(), final_url


def _is_feed(content_type: str, data: bytes) -> bool:
    if any(kind in content_type for kind in _FEED_TYPES):
        return True
    head = data.lstrip()[:512].lower()
    return head.startswith(b"<?xml") and (b"<rss" in head or b"<feed" in head)
