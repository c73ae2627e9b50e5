"""The chat's side panels: what the index holds, adding uploaded files, re-syncing a corpus.

Each function takes the Assistant and returns Markdown for a panel, with every file name,
outlet and error message escaped. `ui.py` wires them to buttons and Gradio's progress bar;
a `progress(done, total)` callable is all they need of it.

Re-syncing is offered only for the corpus folder an index is built from: the default index
and the bundled demo articles, or a folder the user set as `corpus_dir`. A user's own index
never gets the demo articles added to it. The example questions are the index's newest
headlines, whatever it holds.

What it does not do: import Gradio, choose which files are readable (`ingest` does, and
names the ones it could not read), or delete uploaded files (re-uploading one replaces it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from ..config import BUNDLED_CORPUS
from ..core import Assistant
from ..errors import AssistantError
from ..ingest.ingestor import IngestReport
from ..text.markdown import escape_markdown

Progress = Callable[[int, int], None]
EXAMPLES = 4  # newest headlines offered as questions


def synced_corpus(assistant: Assistant) -> Path | None:
    """The corpus folder this index is kept in step with, or None if it has none."""
    corpus = assistant.settings.corpus_dir
    if assistant.auto_ingest or corpus.resolve() != BUNDLED_CORPUS.resolve():
        return corpus
    return None


def how_to_fill(assistant: Assistant) -> str:
    """What to do about an empty index, in this page's terms."""
    corpus = synced_corpus(assistant)
    resync = f", or re-sync `{escape_markdown(corpus.name)}/`" if corpus else ""
    return f"Upload articles in **Add articles**{resync}."


def example_questions(assistant: Assistant, n: int = EXAMPLES) -> list[str]:
    """The newest headlines: asking one answers from its article (none if unreadable)."""
    try:
        return assistant.index.newest_titles(n)
    except AssistantError:
        return []


def index_summary(assistant: Assistant) -> str:
    """The index panel: how much is indexed, from which outlets, over which dates."""
    try:
        s = assistant.stats()
    except AssistantError as exc:
        return f"The index can't be read: {escape_markdown(str(exc))}"
    if not s.articles:
        return f"The index is empty. {how_to_fill(assistant)}"
    span = f"{s.oldest} → {s.newest}" if s.oldest and s.newest else "no dates"
    outlets = ", ".join(escape_markdown(x) for x in s.sources) or "none named"
    return (
        f"**{s.articles}** articles · **{s.chunks}** passages · **{len(s.sources)}** outlets  \n"
        f"Published {span}  \nOutlets: {outlets}"
    )


def outlet_names(assistant: Assistant) -> list[str]:
    """The outlets in the index, for the filter's choices (none if it can't be read)."""
    try:
        return list(assistant.stats().sources)
    except AssistantError:
        return []


def add_files(
    assistant: Assistant,
    files: Sequence[str],
    progress: Progress,
    is_upload: Callable[[str], bool],
) -> str:
    """The upload panel's report: what was indexed, or why nothing could be."""
    try:
        return ingest_uploads(assistant, files, progress, is_upload=is_upload)
    except AssistantError as exc:
        return f"Could not add the files: {escape_markdown(str(exc))}"


def resync_corpus(assistant: Assistant, progress: Progress) -> str:
    """Index the synced corpus again, removing the articles of files that vanished."""
    corpus = synced_corpus(assistant)
    if corpus is None:  # the button is hidden, but the endpoint can still be called
        return (
            "This index is not built from a corpus folder, so there is nothing to re-sync "
            "(the bundled demo articles are not added to it)."
        )
    try:
        report = assistant.ingest([corpus], sync=True, progress=progress)
    except AssistantError as exc:
        return f"Could not re-sync: {escape_markdown(str(exc))}"
    return ingest_summary(report)


def uploads_dir(assistant: Assistant) -> Path:
    """Uploaded files are kept beside the index, so re-uploading a file updates it."""
    return assistant.settings.index_dir / "uploads"


def ingest_uploads(
    assistant: Assistant,
    files: Sequence[str],
    progress: Progress | None = None,
    *,
    is_upload: Callable[[str], bool],
) -> str:
    """Copy the uploaded files into the uploads folder, index them, report per file.

    A client names the files it sends by their path on the server, so a path is read only
    if `is_upload(path)` says a client uploaded that file; any other is refused by name
    (the server's files are not the client's to index).
    """
    if not files:
        return "Choose one or more files first."
    refused = [Path(f).name for f in files if not is_upload(f)]
    target = uploads_dir(assistant)
    paths = []
    for f in files:
        if is_upload(f):
            target.mkdir(parents=True, exist_ok=True)
            path = target / Path(f).name
            shutil.copyfile(f, path)
            paths.append(path)
    lines = []
    if paths:
        report = assistant.ingest(paths, progress=progress)
        lines.append(ingest_summary(report, strip=str(target) + os.sep))
    else:
        lines.append("Nothing was added.")
    if refused:
        lines += ["", "These were not uploaded from this page, so they were not read:"]
        lines += [f"- {escape_markdown(name)}" for name in refused]
    return "\n".join(lines)


def ingest_summary(report: IngestReport, strip: str = "") -> str:
    """The report as Markdown: counts, then each file that failed and why, then each
    warning (an article kept without a date it could not read, a file skipped), its
    place `strip`ped."""
    lines = [escape_markdown(report.summary().capitalize()) + "."]
    for heading, problems in (
        ("These could not be read (the other files were kept):", report.failed),
        ("Kept, with a warning:", report.warnings),
    ):
        if problems:
            lines += ["", heading]
            lines += [
                f"- {escape_markdown(where.removeprefix(strip))}: {escape_markdown(reason)}"
                for where, reason in problems
            ]
    return "\n".join(lines)
