"""The ingest zoo: every kind of bad file a user has fed it, beside good ones, in one run.

Each bad file is reported by name with its reason, each good one is stored (and stored as
the text it holds, whatever its encoding), what was stored before is kept, and the exit
status says whether anything failed.
"""

from __future__ import annotations

import json
import os
import random
from datetime import date
from pathlib import Path

from assistant import Assistant
from assistant.cli import main
from assistant.ui.index_panel import add_files
from tests.conftest import write


def zoo(folder: Path) -> dict[str, str]:
    """Write the zoo into `folder`; the bad files' names -> what their report must say."""
    write(folder / "good.md", "---\ntitle: Ferry resumes\n---\nThe island ferry resumed on Monday.")
    write(folder / "good.json", json.dumps({"id": "good-json", "text": "The bridge reopened."}))
    write(folder / "good.jsonl", json.dumps({"id": "good-line", "text": "The dam was drained."}))
    (folder / "utf16.txt").write_bytes("Council meets\nThe city council met.".encode("utf-16"))
    (folder / "latin1.txt").write_bytes("Genève talks\nTalks in Genève resumed.".encode("latin-1"))
    # Kept, with a warning: a date that is not a date is dropped, not the article.
    write(folder / "feb31.md", "---\ntitle: Leap\npublished: 2024-02-31\n---\nThe leap day passed.")
    write(folder / "tuesday.md", "---\ntitle: Soon\npublished: next tuesday\n---\nThe fair opens.")
    write(folder / "slashed.json", json.dumps({"text": "The mill closed.", "date": "31/02/2024"}))
    (folder / "manual.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    # Refused, each with its reason.
    write(folder / "authors7.json", json.dumps({"text": "A story.", "authors": 7}))
    write(folder / "authorname.json", json.dumps({"text": "A story.", "authors": [{"name": 5}]}))
    write(folder / "deep.json", "[" * 100_000 + "]" * 100_000)
    write(folder / "deep.jsonl", "[" * 100_000 + "]" * 100_000 + "\n")
    write(folder / "deep.md", "---\nx: " + "[" * 100_000 + "]" * 100_000 + "\n---\nBody.")
    write(folder / "control.json", '{"text": "a raw\ttab"}')
    noise = random.Random(16)
    (folder / "noise.txt").write_bytes(bytes(noise.randrange(1, 256) for _ in range(4000)))
    (folder / "forged\nfailed: nothing.md").write_text("", encoding="utf-8")
    with open(os.fsencode(folder) + b"/caf\xe9.txt", "wb") as f:  # a Latin-1 name: read
        f.write(b"Cafe opens\nA story whose file name is not UTF-8.")
    return {
        "authors7.json": "field 'authors' must be a name or a list of names, not a number",
        "authorname.json": "field 'authors[1].name' must be text, not a number",
        "deep.json": "JSON nested too deeply",
        "deep.jsonl:1": "JSON nested too deeply",
        "deep.md": "YAML front matter nested too deeply",
        "control.json": "invalid JSON (invalid control character at line 1, column 16)",
        "noise.txt": "not text",
        "forged\\nfailed: nothing.md": "file is empty",
    }


WARNED = {
    "feb31.md": "'2024-02-31', which is not a date",
    "tuesday.md": "'next tuesday', which is not a date",
    "slashed.json": "field 'date' is '31/02/2024', which is not a date",
    "manual.pdf": "skipped: unsupported file type '.pdf'",
}


def test_the_zoo_in_one_run(make_assistant, tmp_path: Path):
    assistant: Assistant = make_assistant()
    old = "---\ntitle: Old\n---\nThe old pier was rebuilt."
    before = write(tmp_path / "before" / "old.md", old)
    assert assistant.ingest([before]).ok
    bad = zoo(tmp_path / "zoo")
    report = assistant.ingest([tmp_path / "zoo"])

    failed = {where.rsplit("/", 1)[-1]: reason for where, reason in report.failed}
    assert set(failed) == set(bad), report.failed
    for name, reason in bad.items():
        assert reason in failed[name], (name, failed[name])
    warned = {where.rsplit("/", 1)[-1]: reason for where, reason in report.warnings}
    assert set(warned) == set(WARNED), report.warnings
    for name, reason in WARNED.items():
        assert reason in warned[name], (name, warned[name])

    stored = articles(assistant)
    assert len(report.added) == 9 and len(stored) == 10, sorted(stored)
    assert stored["Old"][2] == "The old pier was rebuilt.", "what was stored before is kept"
    assert stored["Council meets"][2] == "The city council met.", "UTF-16 read as text"
    assert stored["Genève talks"][2] == "Talks in Genève resumed.", "Latin-1 read as text"
    assert stored["Cafe opens"][0].endswith("/caf\\xe9.txt"), "a Latin-1 name read"
    assert stored["Leap"][1] is None and stored["Soon"][1] is None
    assert {"good-json", "good-line"} <= {i for i, _, _ in stored.values()}
    assert assistant.index.collection.count() == assistant.index.chunk_count() >= 9


def articles(assistant: Assistant) -> dict[str, tuple[str, str | None, str]]:
    """title -> (id, published, text) of each stored article (its chunks joined)."""
    rows = assistant.index.db.execute(
        "SELECT a.id, a.title, a.published, group_concat(c.text, ' ') FROM articles a "
        "JOIN chunks c ON c.article_id = a.id GROUP BY a.id"
    )
    return {title: (i, published, text) for i, title, published, text in rows}


def test_the_command_names_each_bad_file_on_its_own_line(tmp_path: Path, capsys):
    bad = zoo(tmp_path / "zoo")
    index = str(tmp_path / "idx")
    assert main(["ingest", str(tmp_path / "zoo"), "--index", index]) == 1
    out = capsys.readouterr()
    lines = out.err.splitlines()
    failed = [line for line in lines if line.startswith("failed: ")]
    warned = [line for line in lines if line.startswith("warning: ")]
    assert len(failed) == len(bad) and len(warned) == len(WARNED), lines
    assert not [line for line in lines if line not in failed + warned], "no forged lines"
    assert any("forged\\nfailed: nothing.md: file is empty" in line for line in failed)
    assert f"9 added, 0 updated, 0 unchanged, 0 removed, {len(bad)} failed, 4 warnings" in out.out

    # Only warnings: the run succeeded.
    write(tmp_path / "fine" / "a.md", "---\ntitle: A\npublished: soon\n---\nThe one story.")
    assert main(["ingest", str(tmp_path / "fine"), "--index", index]) == 0
    out = capsys.readouterr()
    assert "warning: " in out.err and "failed" not in out.err
    assert "1 added" in out.out and "(1 chunk embedded)" in out.out


def test_a_folder_of_nothing_readable_and_an_empty_path_are_failures(tmp_path: Path, capsys):
    (tmp_path / "pdfs").mkdir()
    (tmp_path / "pdfs" / "annual-report.pdf").write_bytes(b"%PDF-1.4\n")
    index = str(tmp_path / "idx")
    assert main(["ingest", str(tmp_path / "pdfs"), "--index", index]) == 1
    err = capsys.readouterr().err
    assert "failed: " in err and "annual-report.pdf" in err and "supported: " in err
    assert main(["ingest", "", "--index", index]) == 1
    out = capsys.readouterr()
    assert 'failed: "": an empty path names no file' in out.err and "0 added" in out.out


def test_dates_that_name_no_year_are_not_guessed(make_assistant, tmp_path: Path):
    for name, day in (("a", "Tuesday"), ("b", "5 March 2024")):
        write(
            tmp_path / "n" / f"{name}.json", json.dumps({"id": name, "text": "One.", "date": day})
        )
    assistant = make_assistant()
    report = assistant.ingest([tmp_path / "n"])
    assert report.ok and [r for _, r in report.warnings] == [
        "field 'date' is 'Tuesday', which is not a date this reads (write it as 2024-03-05); "
        "the article is kept without a date"
    ]
    published = {i: day for i, day, _ in articles(assistant).values()}
    assert published == {"a": None, "b": date(2024, 3, 5).isoformat()}


def test_an_upload_of_bad_files_gets_the_per_file_report(make_assistant, tmp_path: Path):
    """What the UI's upload button shows: the files that failed and why, not an error."""
    bad = tmp_path / "picked"
    write(bad / "authors.json", json.dumps({"text": "A story.", "authors": 7}))
    write(bad / "deep.json", "[" * 100_000 + "]" * 100_000)
    write(bad / "fine.md", "---\ntitle: Fine\npublished: 2024-02-31\n---\nThe fine story.")
    assistant = make_assistant()
    panel = add_files(
        assistant, [str(p) for p in sorted(bad.iterdir())], lambda d, t: None, lambda path: True
    )
    assert panel.startswith("1 added, 0 updated, 0 unchanged, 0 removed, 2 failed"), panel
    assert "authors.json: field 'authors' must be a name or a list of names" in panel
    assert "deep.json: JSON nested too deeply" in panel
