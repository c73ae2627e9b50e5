"""Paths, folders and globs -> the article files to read, each listed once.

Whatever cannot be read becomes an error naming it, so that one bad path never stops the
others; a file in a folder that is of no type we read is named in a warning (a folder of
articles often holds images too), and a folder where nothing at all can be read is an
error. Not here: reading a file's contents (read.py and formats.py).
"""

from __future__ import annotations

import errno
import glob
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from ..errors import SourceError, SourceWarning

SUFFIXES = frozenset(
    {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".rss", ".atom", ".xml"}
    | {".urls"}
)


# Files in a corpus folder that describe the folder rather than being news.
SKIPPED_NAMES = frozenset({"readme.md", "readme.txt", "license", "license.md", "license.txt"})


# What discovery reports besides the files: errors (nothing read) and warnings (skipped).
Problem = SourceError | SourceWarning


def discover(
    paths: Iterable[str | Path], max_bytes: int | None = None
) -> tuple[list[Path], list[Problem]]:
    """Expand globs and directories (recursively) into article files, each listed once.

    Whatever cannot be read becomes an error naming it: an empty path, a missing path, a
    broken symlink, a symlink loop, a FIFO or device, a file over `max_bytes`, a name no
    file can have (a NUL, through the Python API). A file of a type we do not read is a
    warning, unless its folder holds nothing else. Symlinked folders are followed, each
    real folder walked once. A name that is not UTF-8 is read like any other (see
    `path_text` for how it is recorded).
    """
    files: list[Path] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for raw in paths:
        if str(raw) == "":  # Path("") is ".": an empty argument would read this folder
            problems.append(SourceError('""', "an empty path names no file (for this folder: .)"))
            continue
        for path in _expand(Path(raw).expanduser()):
            if path.is_dir():
                found = _walk(path, seen, problems)
            else:
                found = [path] if _usable(path, problems, explicit=True) else []
            for file in found:
                new = str(file) not in seen
                if new and _fits(file, max_bytes, problems):
                    seen.add(str(file))
                    files.append(file)
    return files, problems


def _expand(path: Path) -> list[Path]:
    """A quoted glob (`'news/**/*.json'`) expands here, as the shell would have."""
    if path.exists() or path.is_symlink() or not glob.has_magic(str(path)):
        return [path]
    return [Path(p) for p in sorted(glob.glob(str(path), recursive=True))] or [path]


def _walk(root: Path, seen: set[str], problems: list[Problem]) -> list[Path]:
    found: list[Path] = []
    skipped: list[Path] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        real = os.path.realpath(folder)
        if real in seen:
            if folder != root:
                problems.append(SourceError(str(folder), f"symlink loop (already read as {real})"))
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(SourceError(str(folder), f"cannot list folder ({exc.strerror})"))
            continue
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith("."):
                continue
            if path.is_dir():
                stack.append(path)
            elif path.name.lower() in SKIPPED_NAMES:
                continue
            elif path.suffix.lower() not in SUFFIXES:
                skipped.append(path)
            elif _usable(path, problems, explicit=False):
                found.append(path)
    if skipped and not found:
        names = ", ".join(p.name for p in skipped[:5]) + (", …" if len(skipped) > 5 else "")
        reason = f"no file here is of a type we read ({names}); {_SUPPORTED}"
        problems.append(SourceError(str(root), reason))
    else:
        problems += [SourceWarning(str(p), "skipped: " + unsupported(p.suffix)) for p in skipped]
    return sorted(found)


def path_text(path: str | os.PathLike[str]) -> str:
    r"""`path` as text that any store takes (SQLite, PostgreSQL and JSON want UTF-8).

    On Linux a file name is bytes, and Python holds each byte that is not UTF-8 as a lone
    surrogate (`caf\udce9.txt`), which no store can encode. Here each such byte is written
    `\xNN` (`caf\xe9.txt`), as messages show it (`errors.printable`), and every other path
    is itself, so a catalog's paths stay as they were. The text is stable, so an unchanged
    file is known again by it; it is not turned back into a path (a name that spells out
    `\xe9` gives the same text), so files are opened by their real path, never by this.
    Rejected: U+FFFD for each such byte, as titles show it, which would give `caf\xe9.txt`
    and `caf\xe8.txt` one path and one article id.
    """
    return os.fspath(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _usable(path: Path, errors: list[Problem], explicit: bool) -> bool:
    """A regular file we can open; anything else is reported (a FIFO would block forever)."""
    try:
        mode = path.stat().st_mode
    except ValueError:  # a NUL, or a surrogate that no file system decodes to (Path("\ud800"))
        errors.append(SourceError(str(path), "no file can have this name"))
        return False
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


def _fits(path: Path, max_bytes: int | None, errors: list[Problem]) -> bool:
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        errors.append(SourceError(str(path), too_big(size, max_bytes)))
        return False
    return True


_SUPPORTED = f"supported: {', '.join(sorted(SUFFIXES))}"


def unsupported(suffix: str) -> str:
    kind = f"file type {suffix!r}" if suffix else "file without a type (no .txt, .md, ...)"
    return f"unsupported {kind}; {_SUPPORTED}"


def too_big(size: int, max_bytes: int) -> str:
    return (
        f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit; split it or "
        "raise ASSISTANT_MAX_FILE_MB"
    )


def looks_like_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))
