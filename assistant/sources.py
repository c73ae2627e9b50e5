"""Read articles from files: .txt, .md (YAML front matter), .html, .json, .jsonl, feeds.

`read_sources(paths)` walks files, folders and globs and yields an `Article` for every
article it can read and a `SourceError` (naming the file, and the line for JSON Lines) for
every one it cannot, so that one bad file never stops the others. Feeds (.rss, .atom, .xml)
are parsed in feeds.py; a `.urls` file (one URL a line) is fetched by fetch.py, the only
code that uses the network, and only for URLs the user gave.

Identity: an article's id is its explicit `id`, else its canonical URL, else its file path
(plus the line number inside a JSON Lines file). Its version is a hash of its content
(`Article.version`). The ingester also treats two articles with the same canonical URL
as one story, whatever their ids.
"""

from __future__ import annotations

import errno
import glob
import json
import os
import re
import stat
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml

from .errors import SourceError
from .schema import Article

SUFFIXES = frozenset(
    {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".rss", ".atom", ".xml"}
    | {".urls"}
)
# Files in a corpus folder that describe the folder rather than being news.
SKIPPED_NAMES = frozenset({"readme.md", "readme.txt", "license", "license.md", "license.txt"})

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
class _Origin:
    """Where text came from: `where` names it in errors, `path` is stored in the catalog."""

    where: str
    path: str | None
    url: str | None = None  # the page a fetched article came from

    def title(self) -> str:
        """A title made from the file name, for articles that have none."""
        stem = Path(self.path).stem if self.path else "untitled"
        return stem.replace("-", " ").replace("_", " ").strip().capitalize()


def discover(
    paths: Iterable[str | Path], max_bytes: int | None = None
) -> tuple[list[Path], list[SourceError]]:
    """Expand globs and directories (recursively) into article files, each listed once.

    Whatever cannot be read becomes an error naming it: a missing path, a broken symlink,
    a symlink loop, a FIFO or device, a file over `max_bytes`. Symlinked folders are
    followed, each real folder walked once.
    """
    files: list[Path] = []
    errors: list[SourceError] = []
    seen: set[str] = set()
    for raw in paths:
        for path in _expand(Path(raw).expanduser()):
            if path.is_dir():
                found = _walk(path, seen, errors)
            else:
                found = [path] if _usable(path, errors, explicit=True) else []
            for file in found:
                if _fits(file, max_bytes, errors) and str(file) not in seen:
                    seen.add(str(file))
                    files.append(file)
    return files, errors


def _expand(path: Path) -> list[Path]:
    """A quoted glob (`'news/**/*.json'`) expands here, as the shell would have."""
    if path.exists() or path.is_symlink() or not glob.has_magic(str(path)):
        return [path]
    return [Path(p) for p in sorted(glob.glob(str(path), recursive=True))] or [path]


def _walk(root: Path, seen: set[str], errors: list[SourceError]) -> list[Path]:
    found: list[Path] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        real = os.path.realpath(folder)
        if real in seen:
            if folder != root:
                errors.append(SourceError(str(folder), f"symlink loop (already read as {real})"))
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            errors.append(SourceError(str(folder), f"cannot list folder ({exc.strerror})"))
            continue
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith("."):
                continue
            if path.is_dir():
                stack.append(path)
            elif _wanted(path) and _usable(path, errors, explicit=False):
                found.append(path)
    return sorted(found)


def _wanted(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES and path.name.lower() not in SKIPPED_NAMES


def _usable(path: Path, errors: list[SourceError], explicit: bool) -> bool:
    """A regular file we can open; anything else is reported (a FIFO would block forever)."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if path.is_symlink():
            reason = "symlink loop" if exc.errno == errno.ELOOP else "broken symlink"
        else:
            reason = "no such file or directory"
        if explicit or path.is_symlink():
            errors.append(SourceError(str(path), reason))
        return False
    if not stat.S_ISREG(mode):
        errors.append(SourceError(str(path), "not a regular file (a FIFO, socket or device)"))
        return False
    return True


def _fits(path: Path, max_bytes: int | None, errors: list[SourceError]) -> bool:
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        errors.append(SourceError(str(path), too_big(size, max_bytes)))
        return False
    return True


def too_big(size: int, max_bytes: int) -> str:
    return (
        f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit; split it or "
        "raise ASSISTANT_MAX_FILE_MB"
    )


def read_sources(
    paths: Iterable[str | Path], max_bytes: int | None = None
) -> Iterator[Article | SourceError]:
    """Every article under `paths`, or the error that kept a file or line from being one."""
    files, errors = discover(paths, max_bytes)
    yield from errors
    for path in files:
        yield from read_file(path)


def read_file(path: Path) -> Iterator[Article | SourceError]:
    """The articles in one file (one for most formats, many for JSON, JSON Lines and feeds)."""
    if path.suffix.lower() == ".jsonl":
        yield from read_jsonl(path, str(path), str(path.resolve()))
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield SourceError(str(path), f"cannot read file ({exc.strerror or exc})")
        return
    yield from read_data(data, str(path), path.suffix, str(path.resolve()))


def read_data(
    data: bytes, where: str, suffix: str, path: str | None, url: str | None = None
) -> Iterator[Article | SourceError]:
    """The articles in `data`, read as a file of type `suffix` named `where`.

    `path` is the file recorded in the catalog (for `--sync`); `url` is the page that
    `data` was fetched from, if any.
    """
    reader = _READERS.get(suffix.lower())
    if reader is None:
        valid = ", ".join(sorted(SUFFIXES))
        yield SourceError(where, f"unsupported file type; supported: {valid}")
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
        yield from reader(_Origin(where, path, url), text)
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


def _refuse_binary(data: bytes) -> None:
    """ValueError if the head of `data` has NUL bytes (and no UTF-16 byte-order mark)."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError("binary file (contains NUL bytes), not text")


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) when it is; otherwise the best guess. Raises ValueError
    only for binary data."""
    _refuse_binary(data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # HTML's <meta charset>, an HTTP-style content type, or an XML declaration.
    declared = re.search(rb"(?:charset|encoding)=[\"']?([A-Za-z0-9_-]+)", data[:2048])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass
    return data.decode("utf-8", errors="replace")


def _read_txt(origin: _Origin, text: str) -> Iterator[Article]:
    lines = text.strip().splitlines()
    first = lines[0].strip()
    if len(lines) > 1 and len(first) <= 200:
        title, body = first, "\n".join(lines[1:]).strip()
    else:
        title, body = origin.title(), text.strip()
    yield _article(origin, {"title": title, "text": body})


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


def _read_md(origin: _Origin, text: str) -> Iterator[Article]:
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
    yield _article(origin, meta)


def _read_html(origin: _Origin, text: str) -> Iterator[Article]:
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
    yield _article(origin, {k: v for k, v in meta.items() if v})


def _read_json(origin: _Origin, text: str) -> Iterator[Article | SourceError]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{origin.where}:{exc.lineno}", f"invalid JSON ({exc.msg})") from None
    items = data if isinstance(data, list) else [data]
    for i, item in enumerate(items, 1):
        yield _record(origin, item, f"{origin.where}#{i}" if len(items) > 1 else origin.where)


def read_jsonl(path: Path, where: str, record_path: str | None) -> Iterator[Article | SourceError]:
    """A JSON Lines file read one line at a time: an archive of any size holds one record
    in memory, not the file. Errors are those `read_data` gives, line numbers the same."""
    origin = _Origin(where, record_path)
    try:
        with path.open("rb") as f:
            try:
                _refuse_binary(f.read(4096))
            except ValueError as exc:
                yield SourceError(where, str(exc))
                return
            f.seek(0)
            lines = (_decode_line(line, first=n == 0) for n, line in enumerate(f))
            if not (yield from _jsonl_records(origin, lines)):
                yield SourceError(where, "file is empty")
    except OSError as exc:
        yield SourceError(where, f"cannot read file ({exc.strerror or exc})")


def _decode_line(line: bytes, first: bool) -> str:
    try:
        return line.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError:
        try:
            return decode(line)
        except ValueError:  # a NUL past the file's head: json.loads will name the line
            return line.decode("utf-8", errors="replace")


def _read_jsonl(origin: _Origin, text: str) -> Iterator[Article | SourceError]:
    yield from _jsonl_records(origin, text.split("\n"))


def _jsonl_records(
    origin: _Origin, lines: Iterable[str]
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
        yield _record(origin, item, f"{origin.where}:{lineno}")
    return seen


def _record(origin: _Origin, item: Any, where: str) -> Article | SourceError:
    if not isinstance(item, dict):
        return SourceError(where, "expected a JSON object with at least a 'text' field")
    try:
        return _article(origin, item, where=where)
    except SourceError as exc:
        return exc


def _article(origin: _Origin, raw: dict[str, Any], where: str | None = None) -> Article:
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


def _title_from_text(text: str, limit: int = 90) -> str:
    first = text.strip().splitlines()[0].strip()
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
    return _article(_Origin(where, path), raw, where=where)


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


def parse_date(value: Any) -> date | None:
    """ISO dates and datetimes, RFC 822 (feeds), or anything dateutil reads; None otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for parse in (_iso, _rfc822, _dateutil):
        try:
            parsed = parse(text)
        except (ValueError, TypeError, OverflowError):
            continue
        if parsed is not None:
            return parsed
    return None


def _iso(text: str) -> date:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date()


def _rfc822(text: str) -> date:
    return parsedate_to_datetime(text).date()


def _dateutil(text: str) -> date | None:
    from dateutil import parser

    return parser.parse(text, fuzzy=False).date()


def _read_feed(origin: _Origin, text: str) -> Iterator[Article | SourceError]:
    from .feeds import read_feed  # feedparser is imported only when a feed is read

    yield from read_feed(origin.where, origin.path, text)


def _read_url_list(origin: _Origin, text: str) -> Iterator[Article | SourceError]:
    from .fetch import read_urls  # the network is used only for a list the user gave

    yield from read_urls(_url_lines(text))


def _url_lines(text: str) -> list[str]:
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def looks_like_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


_READERS = {
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
    ".urls": _read_url_list,
}
