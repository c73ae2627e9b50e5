"""Bytes -> articles: the one way the ingester reads a file, stdin, or a URL list.

`read_data(data, where, suffix, ...)` decodes the bytes and hands the text to the format's
reader (formats.py); a `.urls` list (or URLs on stdin) is fetched by fetch.py, the only
code that uses the network, and only for URLs the user gave. Each article it cannot read
becomes a `SourceError` naming the file (and the line, for JSON Lines), so one bad file
never stops the others. `read_file` reads a file through the same readers, streaming a
large JSON Lines archive a line at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import SourceError
from .decoding import decode
from .discovery import looks_like_url, unsupported
from .fetch import fetch, is_feed
from .formats import READERS, Item, read_jsonl, read_jsonl_data
from .records import Origin

Reader = Callable[[Origin, str], Iterator[Item]]


def read_file(
    path: Path, data: bytes | None = None, record_path: str | None = None
) -> Iterator[Item]:
    """The articles in the file at `path` (one for most formats, many for JSON, JSON Lines
    and feeds); `data` is its bytes if they were already read. A JSON Lines file whose
    bytes were not read is streamed a line at a time. `record_path` is what the catalog
    records (default: the resolved path)."""
    where = str(path)
    record_path = record_path or str(path.resolve())
    if data is None and path.suffix.lower() == ".jsonl":
        yield from read_jsonl(path, where, record_path)
        return
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            yield SourceError(where, f"cannot read file ({exc.strerror or exc})")
            return
    yield from read_data(data, where, path.suffix, record_path)


def read_data(
    data: bytes, where: str, suffix: str, path: str | None, url: str | None = None
) -> Iterator[Item]:
    """The articles in `data`, read as a file of type `suffix` named `where`.

    `path` is the file recorded in the catalog (for `--sync`); `url` is the page that
    `data` was fetched from, if any.
    """
    if suffix.lower() == ".jsonl":
        yield from read_jsonl_data(Origin(where, path, url), data)
        return
    reader = _READERS.get(suffix.lower())
    if reader is None:
        yield SourceError(where, unsupported(suffix))
        return
    try:
        text = decode(data)
    except ValueError as exc:
        yield SourceError(where, str(exc))
        return
    if not text.strip():
        yield SourceError(where, "file is empty")
        return
    try:
        yield from reader(Origin(where, path, url), text)
    except SourceError as exc:
        yield exc


def sniff_suffix(data: bytes) -> str:
    """The likely type of unnamed input (stdin): JSON (Lines), a feed, HTML, or text."""
    head = data.lstrip()[:512].lower()
    if head.startswith(b"{"):
        return ".jsonl" if data.strip().count(b"\n") and _each_line_json(data) else ".json"
    if head.startswith(b"["):
        return ".json"
    if head.startswith(b"<?xml") or b"<rss" in head or b"<feed" in head:
        return ".xml"
    if head.startswith((b"<!doctype html", b"<html")):
        return ".html"
    lines = _url_lines(data.decode("utf-8", errors="replace"))
    if lines and all(looks_like_url(line) for line in lines):
        return ".urls"
    return ".md" if head.startswith(b"---") else ".txt"


def _each_line_json(data: bytes) -> bool:
    first = data.strip().split(b"\n", 1)[0]
    try:
        json.loads(first)
    except ValueError:
        return False
    return True


def _read_url_list(origin: Origin, text: str) -> Iterator[Item]:
    """The article (or feed entries) at each URL; a URL that fails is an error naming it."""
    for url in _url_lines(text):
        try:
            data, content_type, final_url = fetch(url)
        except SourceError as exc:
            yield exc
            continue
        suffix = ".xml" if is_feed(content_type, data) else ".html"
        yield from read_data(data, url, suffix, path=None, url=final_url)


def _url_lines(text: str) -> list[str]:
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


_READERS: dict[str, Reader] = {**READERS, ".urls": _read_url_list}
