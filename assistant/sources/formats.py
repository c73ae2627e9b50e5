"""One reader per format: text -> the articles in it (or the errors that kept them out).

.txt (first line as title), .md (YAML front matter, a `# heading`), .html (trafilatura),
.json (an object or a list), .jsonl (one object a line, streamed), and RSS/Atom feeds
(feeds.py). Every reader ends in records.py, which builds the Article.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from ..errors import SourceError
from ..schema import Article
from .decoding import decode_line, refuse_binary
from .feeds import read_feed
from .records import Origin, record, to_article


def _read_txt(origin: Origin, text: str) -> Iterator[Article]:
    lines = text.strip().splitlines()
    first = lines[0].strip()
    if len(lines) > 1 and len(first) <= 200:
        title, body = first, "\n".join(lines[1:]).strip()
    else:
        title, body = origin.title(), text.strip()
    yield to_article(origin, {"title": title, "text": body})


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


def _read_md(origin: Origin, text: str) -> Iterator[Article]:
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            raise SourceError(origin.where, f"invalid YAML front matter ({exc})") from None
        if not isinstance(loaded, dict):
            raise SourceError(origin.where, "front matter must be a YAML mapping")
        meta, text = loaded, text[match.end() :]
    body = text.strip()
    if "title" not in meta:
        heading = re.match(r"#\s+(.+)\n", body)
        if heading:
            meta["title"], body = heading.group(1).strip(), body[heading.end() :].strip()
    meta["text"] = body
    yield to_article(origin, meta)


def _read_html(origin: Origin, text: str) -> Iterator[Article]:
    import trafilatura  # heavy: imported only when HTML is read

    extracted = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False)
    doc = extracted.as_dict() if extracted is not None and not isinstance(extracted, dict) else {}
    if not (doc.get("text") or "").strip():
        raise SourceError(origin.where, "no article text found in the HTML")
    meta = {
        "title": doc.get("title"),
        "text": doc.get("text"),
        "published": doc.get("date"),
        "source": doc.get("sitename"),
        "authors": doc.get("author"),
        "url": doc.get("url"),
    }
    yield to_article(origin, {k: v for k, v in meta.items() if v})


def _read_json(origin: Origin, text: str) -> Iterator[Article | SourceError]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{origin.where}:{exc.lineno}", f"invalid JSON ({exc.msg})") from None
    items = data if isinstance(data, list) else [data]
    for i, item in enumerate(items, 1):
        yield record(origin, item, f"{origin.where}#{i}" if len(items) > 1 else origin.where)


def read_jsonl(path: Path, where: str, record_path: str | None) -> Iterator[Article | SourceError]:
    """A JSON Lines file read one line at a time: an archive of any size holds one record
    in memory, not the file. Errors are those `read_data` gives, line numbers the same."""
    origin = Origin(where, record_path)
    try:
        with path.open("rb") as f:
            try:
                refuse_binary(f.read(4096))
            except ValueError as exc:
                yield SourceError(where, str(exc))
                return
            f.seek(0)
            lines = (decode_line(line, first=n == 0) for n, line in enumerate(f))
            if not (yield from _jsonl_records(origin, lines)):
                yield SourceError(where, "file is empty")
    except OSError as exc:
        yield SourceError(where, f"cannot read file ({exc.strerror or exc})")


def _read_jsonl(origin: Origin, text: str) -> Iterator[Article | SourceError]:
    yield from _jsonl_records(origin, text.split("\n"))


def _jsonl_records(
    origin: Origin, lines: Iterable[str]
) -> Generator[Article | SourceError, None, bool]:
    """One record per line, split on line feeds only (JSON may hold a raw U+2028, which
    `str.splitlines` would cut); blank lines skipped. Returns whether any line had text."""
    seen = False
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        seen = True
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield SourceError(f"{origin.where}:{lineno}", f"invalid JSON ({exc.msg})")
            continue
        yield record(origin, item, f"{origin.where}:{lineno}")
    return seen


def _read_feed(origin: Origin, text: str) -> Iterator[Article | SourceError]:
    yield from read_feed(origin.where, origin.path, text)


READERS = {
    ".txt": _read_txt,
    ".md": _read_md,
    ".markdown": _read_md,
    ".html": _read_html,
    ".htm": _read_html,
    ".json": _read_json,
    ".jsonl": _read_jsonl,
    ".rss": _read_feed,
    ".atom": _read_feed,
    ".xml": _read_feed,
}
