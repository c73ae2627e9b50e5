"""Bad input never stops a run or loses stored data; identity, feeds, URLs, stdin, globs, lock."""

from __future__ import annotations

import http.server
import io
import json
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.errors import IndexError_
from assistant.sources import canonical_url
from tests.conftest import write

STORY = "---\ntitle: {title}\nsource: Test Gazette\npublished: 2024-03-0{day}\n{extra}---\n{text}\n"


def story(title: str, text: str, day: int = 1, extra: str = "") -> str:
    return STORY.format(title=title, text=text, day=day, extra=extra)


def failures(report) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return dict(report.failed)


def test_every_kind_of_bad_input_is_reported_and_the_good_is_kept(make_assistant, tmp_path: Path):
    news = tmp_path / "news"
    write(news / "good.md", story("Ferry resumes", "The island ferry resumed service on Monday."))
    write(news / "empty.txt", "")
    write(news / "blank.md", "   \n\n  ")
    (news / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write(news / "lines.jsonl", '{"id": "ok1", "text": "Fine line."}\n{oops\n{"id": "x"}\n[1]\n')
    write(news / "scripts.html", "<html><script>var a=1;</script><style>p{}</style></html>")
    (news / "huge.jsonl").write_bytes(b'{"text": "' + b"a" * 1_200_000 + b'"}\n')
    os.mkfifo(news / "pipe.txt")
    (news / "dangling.md").symlink_to(news / "nowhere.md")
    (news / "self.md").symlink_to(news / "self.md")
    (news / "sub").mkdir()
    (news / "sub" / "loop").symlink_to(news)
    assistant = make_assistant(max_file_mb=1)
    report = assistant.ingest([news])
    assert sorted(report.added) == sorted(["ok1", str((news / "good.md").resolve())])
    failed = failures(report)
    expect = {
        "empty.txt": "file is empty",
        "blank.md": "file is empty",
        "binary.txt": "binary file",
        "lines.jsonl:2": "invalid JSON",
        "lines.jsonl:3": "no article text",
        "lines.jsonl:4": "expected a JSON object",
        "scripts.html": "no article text found",
        "huge.jsonl": "over the 1 MB limit",
        "pipe.txt": "not a regular file",
        "dangling.md": "broken symlink",
        "self.md": "symlink loop",
        "loop": "symlink loop",
    }
    for name, reason in expect.items():
        hits = [r for w, r in failed.items() if w.endswith(name)]
        assert hits and reason in hits[0], (name, failed)
    assert len(report.failed) == len(expect), failed
    assert assistant.index.collection.count() == assistant.index.chunk_count()


def test_text_that_is_not_utf8_is_decoded_by_its_declared_or_detected_encoding(
    make_assistant, tmp_path: Path
):
    latin = "<html><head><meta charset='iso-8859-1'><title>Café reopens</title></head><body>"
    latin += "<article><p>" + "The café in Zürich reopened on Tuesday after repairs. " * 4
    latin += "</p></article></body></html>"
    write(tmp_path / "n" / "latin.html", "")
    (tmp_path / "n" / "latin.html").write_bytes(latin.encode("latin-1"))
    geneva = "Genève talks\nThe talks in Genève resumed on Monday, the négociateurs said."
    (tmp_path / "n" / "geneva.txt").write_bytes(geneva.encode("latin-1"))
    (tmp_path / "n" / "utf16.txt").write_bytes("Tram news\nThe city council met.".encode("utf-16"))
    assistant = make_assistant()
    report = assistant.ingest([tmp_path / "n"])
    assert report.ok and len(report.added) == 3, report
    texts = [c.text for c in assistant.index.get_chunks(_all_chunk_ids(assistant)).values()]
    assert any("café in Zürich" in t for t in texts)
    assert any("talks in Genève resumed" in t for t in texts), texts
    assert "The city council met." in texts


def _all_chunk_ids(assistant) -> list[str]:  # type: ignore[no-untyped-def]
    return [r[0] for r in assistant.index.db.execute("SELECT id FROM chunks")]


def test_duplicate_ids_in_one_batch_keep_the_first(make_assistant, tmp_path: Path):
    lines = [
        {"id": "d1", "title": "First", "text": "The first telling of the story."},
        {"id": "d1", "title": "Second", "text": "A second record with the same id."},
    ]
    path = write(tmp_path / "d.jsonl", "\n".join(json.dumps(x) for x in lines))
    assistant = make_assistant()
    report = assistant.ingest([path])
    assert report.added == ["d1"] and len(report.failed) == 1
    assert "duplicate" in report.failed[0][1]
    assert [c.title for c in assistant.index.get_chunks(_all_chunk_ids(assistant)).values()] == [
        "First"
    ]


def test_canonical_url_is_the_identity(make_assistant, tmp_path: Path):
    assert canonical_url("HTTPS://News.Example.org:443/a/b/?utm_source=x&z=1&a=2#top") == (
        "https://news.example.org/a/b?a=2&z=1"
    )
    first = tmp_path / "one.md"
    write(first, story("Dam opens", "The dam opened.", extra="url: https://ex.org/dam\n"))
    assistant = make_assistant()
    assert assistant.ingest([first]).added == ["https://ex.org/dam"]
    # The same story, re-exported elsewhere with a tracking link and an explicit id.
    record = {"id": "wire-77", "url": "https://EX.org/dam/?utm_medium=feed", "title": "Dam opens",
              "text": "The dam opened on Friday, officials said."}  # fmt: skip
    again = assistant.ingest([write(tmp_path / "wire.jsonl", json.dumps(record))])
    assert again.updated == ["wire-77"] and not again.added
    assert assistant.index.versions().keys() == {"wire-77"}
    assert assistant.index.collection.count() == assistant.index.chunk_count()


def _reads(monkeypatch: pytest.MonkeyPatch, reader: str) -> list[str]:
    """The files ingest hands to `reader` (read_data or read_jsonl) from now on."""
    import assistant.sources.read as ingest_module

    seen: list[str] = []
    real = getattr(ingest_module, reader)

    def spy(source: object, where: str, *rest):  # type: ignore[no-untyped-def]
        seen.append(where)
        return real(source, where, *rest)

    monkeypatch.setattr(ingest_module, reader, spy)
    return seen


def test_unchanged_files_are_not_even_parsed_again(make_assistant, tmp_path: Path, monkeypatch):
    news = tmp_path / "news"
    for i in range(3):
        write(news / f"s{i}.md", story(f"Story {i}", f"Event number {i} happened today."))
    assistant = make_assistant()
    assert len(assistant.ingest([news]).added) == 3
    parsed = _reads(monkeypatch, "read_data")
    write(news / "s1.md", story("Story 1", "Event number 1 was postponed."))
    report = assistant.ingest([news])
    assert parsed == [str(news / "s1.md")], "only the changed file is read"
    assert len(report.unchanged) == 2 and len(report.updated) == 1


def test_an_unchanged_jsonl_archive_is_not_read_again(make_assistant, tmp_path: Path, monkeypatch):
    """JSON Lines files are streamed, not read whole; the digest still skips them unchanged."""
    lines = [json.dumps({"id": f"j{i}", "text": f"Archive story {i} happened."}) for i in range(3)]
    archive = write(tmp_path / "news" / "archive.jsonl", "\n".join(lines) + "\n")
    assistant = make_assistant()
    assert len(assistant.ingest([archive]).added) == 3
    streamed = _reads(monkeypatch, "read_jsonl")
    assert len(assistant.ingest([archive]).unchanged) == 3 and streamed == []
    archive.write_text(archive.read_text() + json.dumps({"id": "j3", "text": "Late news."}) + "\n")
    report = assistant.ingest([archive])
    assert streamed == [str(archive)] and report.added == ["j3"] and len(report.unchanged) == 3


def test_strict_stops_at_the_first_failure(make_assistant, tmp_path: Path):
    news = tmp_path / "news"
    write(news / "a.md", story("Alpha", "The alpha story."))
    write(news / "b.jsonl", "{broken\n")
    write(news / "c.md", story("Gamma", "The gamma story."))
    report = make_assistant().ingest([news], strict=True)
    assert report.stopped_early and len(report.failed) == 1
    assert len(report.added) == 1, "files after the failure are not read"


def test_cli_globs_stdin_strict_and_exit_status(tmp_path: Path, capsys, monkeypatch):
    news = tmp_path / "news"
    write(news / "2024" / "a.md", story("Glob one", "Found by a recursive glob."))
    write(news / "2024" / "skip.txt", "Not matched\nThis file does not match the glob.")
    index = str(tmp_path / "idx")
    assert main(["ingest", str(news / "**" / "*.md"), "--index", index]) == 0
    assert "1 added" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", _Stdin('{"title": "Piped", "text": "Read from stdin."}\n'))
    assert main(["ingest", "-", "--index", index]) == 0
    assert "1 added" in capsys.readouterr().out
    write(news / "bad.json", "{")
    assert main(["ingest", str(news), "--index", index, "--strict"]) == 1
    out = capsys.readouterr()
    assert "stopped at the first failure" in out.out and "bad.json" in out.err


class _Stdin(io.TextIOWrapper):
    def __init__(self, text: str) -> None:
        super().__init__(io.BytesIO(text.encode()), encoding="utf-8")


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Valley Courier</title>
<item><title>Library extends hours</title><link>https://courier.example/library</link>
<pubDate>Tue, 05 Mar 2024 09:00:00 GMT</pubDate><description>Short teaser.</description>
<content:encoded><![CDATA[<p>The town library will open until 9 pm on weekdays.</p>
<script>track()</script><p>The council approved the budget on Monday.</p>]]></content:encoded>
</item>
<item><title>Market moves</title><link>https://courier.example/market?utm_source=rss</link>
<pubDate>Wed, 06 Mar 2024 09:00:00 GMT</pubDate>
<description>The farmers market moves to the main square in April.</description></item>
</channel></rss>"""

PAGE = """<html><head><title>Tram line approved</title>
<meta property="og:site_name" content="City Post"></head><body><nav>Home</nav><article>
<h1>Tram line approved</h1><p>The city approved a new tram line to the airport on Monday,
with construction to start next spring and a budget of 300 million euros.</p>
<p>The line will have eleven stops and run every six minutes at peak times.</p>
</article></body></html>"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """A real HTTP server on a free loopback port serving a feed and a page."""
    routes = {
        "/feed.xml": (RSS, "application/rss+xml"),
        "/tram": (PAGE, "text/html; charset=utf-8"),
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, kind = routes.get(self.path, ("not found", "text/plain"))
            self.send_response(200 if self.path in routes else 404)
            self.send_header("Content-Type", kind)
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_feed_file_entries_are_articles_with_full_text(make_assistant, tmp_path: Path):
    path = write(tmp_path / "courier.rss", RSS)
    assistant = make_assistant()
    report = assistant.ingest([path])
    assert report.ok and sorted(report.added) == [
        "https://courier.example/library",
        "https://courier.example/market",
    ]
    answer = assistant.ask("Until when will the library open?")
    cited = answer.citations[0]
    assert "9 pm" in answer.text and cited.source == "Valley Courier"
    assert str(cited.published) == "2024-03-05"
    chunk_texts = " ".join(
        c.text for c in assistant.index.get_chunks(_all_chunk_ids(assistant)).values()
    )
    assert "council approved the budget" in chunk_texts and "track()" not in chunk_texts


def test_urls_are_fetched_pages_and_feeds(make_assistant, tmp_path: Path, site: str):
    listed = write(tmp_path / "reading.urls", f"# my list\n{site}/feed.xml\n{site}/missing\n")
    assistant = make_assistant()
    report = assistant.ingest([f"{site}/tram", listed])
    assert sorted(report.added) == sorted(
        [f"{site}/tram", "https://courier.example/library", "https://courier.example/market"]
    )
    assert report.failed == [(f"{site}/missing", "the server answered HTTP 404 Not Found")]
    answer = assistant.ask("How many stops will the tram line have?")
    assert "eleven stops" in answer.text
    assert answer.citations[0].url == f"{site}/tram"


def test_a_second_ingest_is_refused_naming_the_first(make_assistant, tmp_path: Path):
    write(tmp_path / "n" / "a.md", story("Alpha", "The alpha story."))
    first, second = make_assistant(), make_assistant()
    refused = pytest.raises(IndexError_, match=rf"another ingest .*pid {os.getpid()}")
    with first.index.writer_lock(), refused:
        second.ingest([tmp_path / "n"])
    assert len(second.ingest([tmp_path / "n"]).added) == 1, "the lock is released after"


def test_questions_are_answered_while_an_article_is_replaced(make_assistant, tmp_path: Path):
    """Readers see each article's old version or its new one: never both, never neither."""
    path = tmp_path / "n" / "budget.md"
    write(tmp_path / "n" / "other.md", story("Zoo news", "The zoo bought a new giraffe."))
    write(path, story("Budget vote", "The council voted a budget of 1 million euros."))
    writer = make_assistant()
    writer.ingest([tmp_path / "n"])
    reader = make_assistant(embedder=writer.embedder)
    stop = threading.Event()
    errors: list[BaseException] = []

    def keep_updating() -> None:
        try:
            for n in range(2, 8):
                write(
                    path, story("Budget vote", f"The council voted a budget of {n} million euros.")
                )
                writer.ingest([path])
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            stop.set()

    thread = threading.Thread(target=keep_updating)
    thread.start()
    asked = 0
    while not stop.is_set() or asked < 3:
        passages = reader.retriever.retrieve("What budget did the council vote?", k=3)
        versions = {p.chunk_id.split(":")[1] for p in passages if "budget" in p.text}
        assert len(versions) == 1, f"one version of the article, got {versions}"
        assert reader.ask("What budget did the council vote?").answered
        asked += 1
    thread.join()
    assert not errors, errors
    assert "7 million" in reader.ask("What budget did the council vote?").text
