"""The `assistant` command: ingest, ask, chat, serve, stats, eval (main.py), and what the
terminal shows (terminal.py). With ui.py, the only code that prints."""

from .main import main

__all__ = ["main"]
