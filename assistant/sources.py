"""Read articles from files: .txt, .md (YAML front matter), .html, .json and .jsonl.

`read_sources(paths)` walks files and directories and yields an `Article` for every article
it can read and a `SourceError` (naming the file, and the line for JSON Lines) for every one
it cannot, so that one bad file never stops the others. It does not fetch URLs or parse
feeds; that is a separate concern with its own network policy.

Identity: an article's id is its explicit `id`, else its URL, else its file path (plus the
line number inside a JSON Lines file). Its version is a hash of its content (`Article.version`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import yaml

from .errors import SourceError
from .schema import Article

SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl"})
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


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[SourceError]]:
    """Expand directories (recursively) into article files; report paths that do not exist."""
    files: list[Path] = []
    errors: list[SourceError] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            files.extend(sorted(_walk(path)))
        elif path.is_file():
            files.append(path)
        else:
            errors.append(SourceError(str(path), "no such file or directory"))
    return files, errors


def _walk(root: Path) -> Iterator[Path]:
    for path in root.rglob("*"):
        hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
        wanted = path.suffix.lower() in SUFFIXES and path.name.lower() not in SKIPPED_NAMES
        if wanted and not hidden and path.is_file():
            yield path


def read_sources(paths: Iterable[str | Path]) -> Iterator[Article | SourceError]:
    """Every article under `paths`, or the error that kept a file or line from being one."""
    files, errors = discover(paths)
    yield from errors
    for path in files:
        yield from read_file(path)


def read_file(path: Path) -> Iterator[Article | SourceError]:
    """The articles in one file (one for most formats, many for JSON and JSON Lines)."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        valid = ", ".join(sorted(SUFFIXES))
        yield SourceError(str(path), f"unsupported file type; supported: {valid}")
        return
    try:
        text = decode(path.read_bytes())
    except OSError as exc:
        yield SourceError(str(path), f"cannot read file ({exc.strerror or exc})")
        return
    if not text.strip():
        yield SourceError(str(path), "file is empty")
        return
    try:
        yield from reader(path, text)
    except SourceError as exc:
        yield exc


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) when it is; otherwise the best guess, never an exception."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise OSError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    declared = re.search(rb"charset=[\"']?([A-Za-z0-9_-]+)", data[:2048])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass
    return data.decode("utf-8", errors="replace")


def _read_txt(path: Path, text: str) -> Iterator[Article]:
    lines = text.strip().splitlines()
    first = lines[0].strip()
    if len(lines) > 1 and len(first) <= 200:
        title, body = first, "\n".join(lines[1:]).strip()
    else:
        title, body = _title_from_path(path), text.strip()
    yield _article(path, {"title": title, "text": body})


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


def _read_md(path: Path, text: str) -> Iterator[Article]:
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            raise SourceError(str(path), f"invalid YAML front matter ({exc})") from None
        if not isinstance(loaded, dict):
            raise SourceError(str(path), "front matter must be a YAML mapping")
        meta, text = loaded, text[match.end() :]
    body = text.strip()
    if "title" not in meta:
        heading = re.match(r"#\s+(.+)\n", body)
        if heading:
            meta["title"], body = heading.group(1).strip(), body[heading.end() :].strip()
    meta["text"] = body
    yield _article(path, meta)


def _read_html(path: Path, text: str) -> Iterator[Article]:
    import trafilatura  # heavy: imported only when HTML is read

    extracted = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False)
    doc = extracted.as_dict() if extracted is not None and not isinstance(extracted, dict) else {}
    if not (doc.get("text") or "").strip():
        raise SourceError(str(path), "no article text found in the HTML")
    meta = {
        "title": doc.get("title"),
        "text": doc.get("text"),
        "published": doc.get("date"),
        "source": doc.get("sitename"),
        "authors": doc.get("author"),
        "url": doc.get("url"),
    }
    yield _article(path, {k: v for k, v in meta.items() if v})


def _read_json(path: Path, text: str) -> Iterator[Article | SourceError]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}:{exc.lineno}", f"invalid JSON ({exc.msg})") from None
    items = data if isinstance(data, list) else [data]
    for i, item in enumerate(items, 1):
        yield _record(path, item, f"{path}#{i}" if len(items) > 1 else str(path))


def _read_jsonl(path: Path, text: str) -> Iterator[Article | SourceError]:
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield SourceError(f"{path}:{lineno}", f"invalid JSON ({exc.msg})")
            continue
        yield _record(path, item, f"{path}:{lineno}")


def _record(path: Path, item: Any, where: str) -> Article | SourceError:
    if not isinstance(item, dict):
        return SourceError(where, "expected a JSON object with at least a 'text' field")
    try:
        return _article(path, item, where=where)
    except SourceError as exc:
        return exc


def _article(path: Path, raw: dict[str, Any], where: str | None = None) -> Article:
    """Build an Article from a mapping that may use any of the usual field aliases."""
    where = where or str(path)
    meta = {key: _first(raw, names) for key, names in _FIELD_ALIASES.items()}
    text = _as_text(meta["text"]).strip()
    if not text:
        raise SourceError(where, "no article text (expected one of: text, body, content)")
    url = _as_text(meta["url"]).strip() or None
    identity = _as_text(meta["id"]).strip() or url or where
    title = _as_text(meta["title"]).strip() or _title_from_path(path)
    return Article(
        id=identity,
        title=" ".join(title.split()),
        text=text,
        url=url,
        published=parse_date(meta["published"]),
        source=_as_text(meta["source"]).strip() or None,
        authors=_as_authors(meta["authors"]),
        path=str(path.resolve()),
    )


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


def _title_from_path(path: Path) -> str:
    return path.stem.replace("-", " ").replace("_", " ").strip().capitalize()


_READERS = {
    ".txt": _read_txt,
    ".md": _read_md,
    ".markdown": _read_md,
    ".html": _read_html,
    ".htm": _read_html,
    ".json": _read_json,
    ".jsonl": _read_jsonl,
}
