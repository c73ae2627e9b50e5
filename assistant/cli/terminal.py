"""What the terminal shows: streamed answers and the ingest progress bar.

`print_streamed` prints an answer as the model writes it, then its checked sources. The
progress bar shows articles done, articles per second and time left; it is a `Progress`
callback, `bar(done, total)`, the same shape the UI's upload passes to
`Assistant.ingest`. When the output is not a terminal (a pipe, a log file, a test) it draws
nothing, so logs stay clean, unless asked for `lines`: then it writes one plain line at
each further tenth of the work, for a long job (`assistant eval`) whose log would
otherwise stay silent for minutes. Not here: what counts as done (the ingester decides).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from rich.console import Console
from rich.markdown import Markdown
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ..answer.base import StreamItem, Understood
from ..errors import AssistantError
from ..schema import Answer


class _Rate(ProgressColumn):
    """Articles per second since the start (steadier than rich's windowed speed)."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:.1f} articles/s")


class ProgressBar:
    """`with ProgressBar() as bar: assistant.ingest(paths, progress=bar)`."""

    def __init__(
        self, description: str = "Indexing", stream: IO[str] | None = None, lines: bool = False
    ) -> None:
        stream = stream or sys.stderr
        self.enabled = stream.isatty()
        self._lines = _Lines(description, stream) if lines and not self.enabled else None
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _Rate(),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=False,
        )
        self._task = self._bar.add_task(description, total=None)

    def __call__(self, done: int, total: int) -> None:
        if self.enabled:
            self._bar.update(self._task, completed=done, total=max(total, done))
        elif self._lines:
            self._lines(done, max(total, done))

    def __enter__(self) -> ProgressBar:
        if self.enabled:
            self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Any:
        if self.enabled:
            self._bar.stop()
        return None


class _Lines:
    """`Indexing: 120/1200` once per further tenth of the work, for a log, not a terminal."""

    def __init__(self, description: str, stream: IO[str]) -> None:
        self.description = description
        self.stream = stream
        self.shown = -1  # tenths shown so far

    def __call__(self, done: int, total: int) -> None:
        tenth = done * 10 // total if total else 10
        if tenth > self.shown:
            self.shown = tenth
            print(f"{self.description}: {done}/{total}", file=self.stream, flush=True)


def print_streamed(items: Iterable[StreamItem], stream: IO[str] | None = None) -> Answer:
    """Print text as the model writes it, then the sources of the checked answer.

    A follow-up's standalone form comes first ("Understood as: ..."). An answer that comes
    in one piece (the extractive answerer's) is printed whole, short answer first: on a
    terminal rendered by rich (bold, links, quoted passages), elsewhere as Markdown. When
    checking changed a streamed text (a sentence dropped, a citation renumbered), the
    checked answer is printed in full after the draft, so what is left on screen is what
    was verified.
    """
    stream = stream or sys.stdout
    draft, held, streaming, answer = "", "", False, None
    for item in items:
        if isinstance(item, Understood):
            print(f"Understood as: {item.question}\n", file=stream, flush=True)
        elif isinstance(item, str):
            draft += item
            if streaming or held:  # a second piece: the model is writing, show it as it comes
                print(held + item, end="", flush=True, file=stream)
                held, streaming = "", True
            else:
                held = item
        elif isinstance(item, Answer):
            answer = item
    if answer is None:
        raise AssistantError("the answer stream ended without an answer")
    if not streaming:
        _show(answer.markdown(), stream)
    elif " ".join(draft.split()) == " ".join(answer.text.split()):
        print("\n", file=stream)
        _show(answer.sources_markdown() if answer.citations or answer.related else "", stream)
    else:
        print("\n\nChecked against the sources:\n", file=stream)
        _show(str(answer), stream)
    return answer


def _show(markdown: str, stream: IO[str]) -> None:
    """Markdown rendered for a terminal, or as it is for a pipe, a file or a test."""
    if stream.isatty():
        Console(file=stream).print(Markdown(markdown, hyperlinks=True))
    else:
        print(markdown, file=stream)


# Earlier questions kept for `assistant chat`'s up-arrow, across sessions.
_HISTORY_LINES = 1000


def chat_history_file() -> Path:
    """Where `assistant chat` keeps its line history (XDG state folder)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "news-assistant" / "chat_history"


@contextlib.contextmanager
def line_editing(history: Path | None = None) -> Iterator[Callable[[str], None]]:
    """`input()` with line editing and the questions of earlier chats (readline), saved
    on the way out. Yields `remember(line)`, which keeps a line that readline did not see
    (input from a pipe). Where readline is missing (Windows), plain `input()`."""
    try:
        import readline
    except ImportError:  # pragma: no cover - not on Linux or macOS
        yield lambda line: None
        return

    def remember(line: str) -> None:
        last = readline.get_history_item(readline.get_current_history_length())
        if line and line != last:
            readline.add_history(line)

    history = history or chat_history_file()
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    readline.set_history_length(_HISTORY_LINES)
    try:
        yield remember
    finally:
        with contextlib.suppress(OSError):
            history.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(history)
