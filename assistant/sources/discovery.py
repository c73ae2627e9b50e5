"""Paths, folders and globs -> the article files to read, each listed once.

Whatever cannot be read becomes an error naming it, so that one bad path never stops the
others. Not here: reading a file's contents (read.py and formats.py).
"""

from __future__ import annotations

import errno
import glob
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from ..errors import SourceError

SUFFIXES = frozenset(
    {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".rss", ".atom", ".xml"}
    | {".urls"}
)


# Files in a corpus folder that describe the folder rather than being news.
SKIPPED_NAMES = frozenset({"readme.md", "readme.txt", "license", "license.md", "license.txt"})


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


def looks_like_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))
