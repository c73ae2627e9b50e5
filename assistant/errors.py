"""Errors the assistant raises, each worded so that the reader knows what to do next.

    AssistantError
    ├── SettingsError      an unknown or malformed setting (names the setting)
    ├── SourceError        a file or record that cannot be read as an article (names the file)
    ├── IndexError_        the index is missing, empty, locked or unreadable
    └── BackendError       an answerer or embedding backend that cannot be used

    SourceWarning          an article kept without part of it (a date that cannot be read),
                           or a file skipped: reported, never raised

The library only raises; `assistant.cli` and `ui.py` turn these into messages for people.
File names and reasons come from the input itself, so `printable` escapes what a terminal
or a log would act on: a file name holding a newline cannot forge a second report line.
"""

from __future__ import annotations

import re


class AssistantError(Exception):
    """Base class of every error the assistant raises on purpose."""


class SettingsError(AssistantError):
    """A setting has an unknown name or a value that cannot be used."""


class SourceError(AssistantError):
    """A file, line or record could not be read as an article."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = printable(where)
        self.reason = printable(reason)
        super().__init__(f"{self.where}: {self.reason}")


class SourceWarning(UserWarning):
    """An article was kept without part of it, or a file was skipped; nothing failed.

    Readers yield it beside their articles; the ingest report lists it. A Warning rather
    than an error, so code that keeps whatever is not an Exception keeps only articles.
    """

    def __init__(self, where: str, reason: str) -> None:
        self.where = printable(where)
        self.reason = printable(reason)
        super().__init__(f"{self.where}: {self.reason}")


class IndexError_(AssistantError):
    """The index is missing, empty, or cannot be opened."""


class BackendError(AssistantError):
    """A model backend is unknown, not installed, or unreachable."""


# Control characters (C0, DEL, C1), line and paragraph separators, bidirectional overrides
# (which reorder what a terminal shows), and lone surrogates (a file name's undecodable bytes).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """`text` with every character a terminal would act on written as an escape (`\\n`,
    `\\x1b`, `\\u202e`); a byte that was not UTF-8 in a file name shows as `\\xff`."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for the byte code - 0xDC00
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
