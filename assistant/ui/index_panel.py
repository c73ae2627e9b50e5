"""The chat's side panels: what the index holds, adding uploaded files, re-syncing corpus/.

Each function takes the Assistant and returns Markdown for a panel, with every file name,
outlet and error message escaped. `ui.py` wires them to buttons and Gradio's progress bar;
a `progress(done, total)` callable is all they need of it.

What it does not do: import Gradio, choose which files are readable (`ingest` does, and
names the ones it could not read), or delete uploaded files (re-uploading one replaces it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from ..core import Assistant
from ..errors import AssistantError
from ..ingest.ingestor import IngestReport
from ..text.markdown import escape_markdown

Progress = Callable[[int, int], None]


def index_summary(assistant: Assistant) -> str:
    """The index panel: how much is indexed, from which outlets, over which dates."""
    try:
        s = assistant.stats()
    except AssistantError as exc:
        return f"The index can't be read: {escape_markdown(str(exc))}"
    if not s.articles:
        return "The index is empty: upload articles or re-sync `corpus/`."
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
    """Index corpus/ again, removing the articles of files that vanished; the report."""
    try:
        report = assistant.ingest([assistant.settings.corpus_dir], sync=True, progress=progress)
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
    """The report as Markdown: counts, then each file that failed and why (`strip`ped)."""
    lines = [escape_markdown(report.summary().capitalize()) + "."]
    if report.failed:
        lines += ["", "These could not be read (the other files were kept):"]
        lines += [
            f"- {escape_markdown(where.removeprefix(strip))}: {escape_markdown(reason)}"
            for where, reason in report.failed
        ]
    return "\n".join(lines)
