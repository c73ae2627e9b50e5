"""Fetch the bytes at a URL the user gave: the only code that opens a connection beyond
loopback.

It runs only for URLs a user typed or listed (`assistant ingest https://...`, a `.urls`
file, or a list of URLs on stdin); read.py turns what comes back into articles. It does
not crawl: links inside pages are not followed.
"""

from __future__ import annotations

import urllib.error
import urllib.request

from ..errors import SourceError
from .discovery import too_big

USER_AGENT = "news-assistant/0.1"
DEFAULT_MAX_BYTES = 50_000_000
_FEED_TYPES = ("rss", "atom", "application/xml", "text/xml")


def fetch(
    url: str, max_bytes: int = DEFAULT_MAX_BYTES, timeout: float = 30.0
) -> tuple[bytes, str, str]:
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


def is_feed(content_type: str, data: bytes) -> bool:
    if any(kind in content_type for kind in _FEED_TYPES):
        return True
    head = data.lstrip()[:512].lower()
    return head.startswith(b"<?xml") and (b"<rss" in head or b"<feed" in head)
