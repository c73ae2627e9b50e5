"""Errors the assistant raises, each worded so that the reader knows what to do next.

    AssistantError
    ├── SettingsError      an unknown or malformed setting (names the setting)
    ├── SourceError        a file or record that cannot be read as an article (names the file)
    ├── IndexError_        the index is missing, empty, locked or unreadable
    └── BackendError       an answerer or embedding backend that cannot be used

The library only raises; `assistant.cli` and `ui.py` turn these into messages for people.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class of every error the assistant raises on purpose."""


class SettingsError(AssistantError):
    """A setting has an unknown name or a value that cannot be used."""


class SourceError(AssistantError):
    """A file, line or record could not be read as an article."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class IndexError_(AssistantError):
    """The index is missing, empty, or cannot be opened."""


class BackendError(AssistantError):
    """A model backend is unknown, not installed, or unreachable."""
