"""One reader per format: text -> the articles in it (or the errors that kept them out).

.txt (first line as title), .md (YAML front matter, a `# heading`), .html (trafilatura),
.json (an object or a list), and RSS/Atom feeds (feeds.py) read text (`READERS`); .jsonl
(one object a line) reads bytes, so that an archive streams a line at a time
(`read_jsonl`, `read_jsonl_data`). Every reader ends in records.py, which builds the
Article.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import yaml

from ..errors import SourceError, SourceWarning
from ..schema import Article
from .decoding import text_lines
from .feeds import read_feed
from .records import Origin, record, to_article

# What a reader yields: articles, the errors that kept records out, warnings about the rest.
Item = Article | SourceError | SourceWarning


def _read_txt(origin: Origin, text: str) -> Iterator[Item]:
    lines = text.strip().splitlines()
    first = lines[0].strip()
    if len(lines) > 1 and len(first) <= 200:
        title, body = first, "\n".join(lines[1:]).strip()
    else:
        title, body = origin.title(), text.strip()
    yield from to_article(origin, {"title": title, "text": body})


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML's safe loader without its timestamps: `published: 2024-02-31` stays text, for
    records.py to read or warn about, instead of failing inside the YAML parser."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_md(origin: Origin, text: str) -> Iterator[Item]:
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        loaded = _front_matter(origin, match.group(1))
        meta, text = loaded, text[match.end() :]
    body = text.strip()
    if "title" not in meta:
        heading = re.match(r"#\s+(.+)\n", body)
        if heading:
            meta["title"], body = heading.group(1).strip(), body[heading.end() :].strip()
    meta["text"] = body
    yield from to_article(origin, meta)


def _front_matter(origin: Origin, text: str) -> dict[str, Any]:
    try:
        loaded = yaml.load(text, Loader=_FrontMatterLoader)  # a SafeLoader, less timestamps
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f" at line {mark.line + 2}, column {mark.column + 1}" if mark else ""
        raise SourceError(origin.where, f"invalid YAML front matter ({exc.problem}{at})") from None
    except RecursionError:
        raise SourceError(origin.where, "YAML front matter nested too deeply") from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        # An explicit tag whose value cannot be built (`!!timestamp 2024-02-31`).
        raise SourceError(origin.where, f"invalid YAML front matter ({exc})") from None
    if not isinstance(loaded, dict):
        raise SourceError(origin.where, "front matter must be a YAML mapping")
    return loaded


def _read_html(origin: Origin, text: str) -> Iterator[Item]:
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
    yield from to_article(origin, {k: v for k, v in meta.items() if v})


def _read_json(origin: Origin, text: str) -> Iterator[Item]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(origin.where, f"invalid JSON ({json_problem(exc)})") from None
    except RecursionError:
        raise SourceError(origin.where, "JSON nested too deeply to be an article") from None
    items = data if isinstance(data, list) else [data]
    if not items:
        raise SourceError(origin.where, "the JSON list holds no records")
    for i, item in enumerate(items, 1):
        yield from record(origin, item, f"{origin.where}#{i}" if len(items) > 1 else origin.where)


def json_problem(exc: json.JSONDecodeError, line: bool = True) -> str:
    """The parser's whole complaint and where it is: "invalid control character at line 1,
    column 12" (its `msg` alone ends in a dangling "at")."""
    what = exc.msg.removesuffix(" at")
    what = what[:1].lower() + what[1:]
    return (
        f"{what} at line {exc.lineno}, column {exc.colno}"
        if line
        else f"{what} at column {exc.colno}"
    )


def read_jsonl(path: Path, where: str, record_path: str | None) -> Iterator[Item]:
    """A JSON Lines file read one line at a time: an archive of any size holds one record
    in memory, not the file. Errors are those `read_data` gives, line numbers the same."""
    try:
        with path.open("rb") as f:
            yield from jsonl_records(Origin(where, record_path), f)
    except OSError as exc:
        yield SourceError(where, f"cannot read file ({exc.strerror or exc})")


def read_jsonl_data(origin: Origin, data: bytes) -> Iterator[Item]:
    """JSON Lines already in memory (stdin), read exactly as `read_jsonl` reads a file."""
    yield from jsonl_records(origin, io.BytesIO(data))


def jsonl_records(origin: Origin, f: IO[bytes]) -> Iterator[Item]:
    """The records in the JSON Lines file `f`, each error naming its line."""
    try:
        lines = text_lines(f)
    except ValueError as exc:  # binary
        yield SourceError(origin.where, str(exc))
        return
    if not (yield from _jsonl_records(origin, lines)):
        yield SourceError(origin.where, "file is empty")


def _jsonl_records(origin: Origin, lines: Iterable[str]) -> Generator[Item, None, bool]:
    """One record per line, split on line feeds only (JSON may hold a raw U+2028, which
    `str.splitlines` would cut); blank lines skipped. Returns whether any line had text."""
    seen = False
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        seen = True
        where = f"{origin.where}:{lineno}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield SourceError(where, f"invalid JSON ({json_problem(exc, line=False)})")
            continue
        except RecursionError:
            yield SourceError(where, "JSON nested too deeply to be an article")
            continue
        yield from record(origin, item, where)
    return seen


def _read_feed(origin: Origin, text: str) -> Iterator[Item]:
    yield from read_feed(origin.where, origin.path, text)


READERS = {
    ".txt": _read_txt,
    ".md": _read_md,
    ".markdown": _read_md,
    ".html": _read_html,
    ".htm": _read_html,
    ".json": _read_json,
    ".rss": _read_feed,
    ".atom": _read_feed,
    ".xml": _read_feed,
}
