"""Every supported format reads into Articles with their metadata."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from assistant.errors import SourceError
from assistant.schema import Article
from assistant.sources import discover, read_data, read_file
from assistant.sources.formats import read_jsonl
from tests.conftest import EVAL_DIR, write


def read_sources(paths: list[Path]) -> list[Article | SourceError]:
    """What ingest reads under `paths`: the discovery errors, then each file's items."""
    files, errors = discover(paths)
    return [*errors, *(item for f in files for item in read_file(f))]


def articles(path: Path) -> list[Article]:
    items = list(read_sources([path]))
    errors = [i for i in items if isinstance(i, SourceError)]
    assert not errors, errors
    return [i for i in items if isinstance(i, Article)]


def test_txt_takes_its_first_line_as_title(tmp_path: Path):
    (a,) = articles(write(tmp_path / "a.txt", "Big news today\n\nSomething happened in town."))
    assert a.title == "Big news today" and a.text == "Something happened in town."


def test_markdown_front_matter(tmp_path: Path):
    text = (
        "---\ntitle: A title\nsource: The Paper\npublished: 2024-02-26\n"
        "url: https://example.org/a\nauthors: [Ann, Bob]\n---\nBody text here.\n"
    )
    (a,) = articles(write(tmp_path / "a.md", text))
    assert (a.title, a.source, a.published) == ("A title", "The Paper", date(2024, 2, 26))
    assert a.url == "https://example.org/a" and a.id == a.url
    assert a.authors == ("Ann", "Bob") and a.text == "Body text here."


def test_html_is_extracted_with_trafilatura(tmp_path: Path):
    page = (
        "<html><head><title>Rail strike ends</title>"
        '<meta property="article:published_time" content="2024-05-02">'
        '<meta property="og:site_name" content="Metro Daily"></head><body><nav>Menu</nav>'
        "<article><h1>Rail strike ends</h1><p>The national rail strike ended on Thursday "
        "after unions accepted a pay offer of four percent over two years.</p>"
        "<p>Trains will run a normal timetable from Saturday, the operator said.</p>"
        "</article><script>alert(1)</script></body></html>"
    )
    (a,) = articles(write(tmp_path / "strike.html", page))
    assert a.title == "Rail strike ends" and a.published == date(2024, 5, 2)
    assert a.source == "Metro Daily" and "pay offer" in a.text and "alert" not in a.text


def test_json_and_jsonl_accept_the_usual_aliases(tmp_path: Path):
    record = {
        "headline": "H",
        "body": "Text body.",
        "published_at": "2023-12-11T08:00:00Z",
        "author": "Ann Smith",
        "outlet": "Wire",
    }
    (a,) = articles(write(tmp_path / "one.json", json.dumps(record)))
    assert (a.title, a.text, a.published, a.authors, a.source) == (
        "H",
        "Text body.",
        date(2023, 12, 11),
        ("Ann Smith",),
        "Wire",
    )
    lines = "\n".join(
        json.dumps({"id": f"x{i}", "content": f"Story {i}.", "date": "2022-06-01"})
        for i in range(3)
    )
    many = articles(write(tmp_path / "many.jsonl", lines))
    assert [m.id for m in many] == ["x0", "x1", "x2"]


def test_a_record_without_text_is_an_error_naming_the_line(tmp_path: Path):
    path = write(tmp_path / "bad.jsonl", '{"id": "1", "text": "ok"}\n{"id": "2", "title": "no"}\n')
    items = list(read_sources([path]))
    errors = [i for i in items if isinstance(i, SourceError)]
    assert [e.where for e in errors] == [f"{path}:2"]
    assert "no article text" in errors[0].reason


def test_readme_files_are_not_articles(tmp_path: Path):
    write(tmp_path / "README.md", "# About this folder")
    write(tmp_path / "a.txt", "Title\nText.")
    assert [a.title for a in articles(tmp_path)] == ["Title"]


@pytest.mark.skipif(not EVAL_DIR.exists(), reason="the shared eval data is not beside the repo")
def test_the_eval_corpus_reads_as_it_is():
    items = list(read_sources([EVAL_DIR / "corpus.jsonl"]))
    assert not [i for i in items if isinstance(i, SourceError)]
    assert len(items) == 2095
    assert all(isinstance(i, Article) and i.text and i.title for i in items)
    assert len({i.id for i in items if isinstance(i, Article)}) == 2095


@pytest.mark.skipif(not EVAL_DIR.exists(), reason="the shared eval data is not beside the repo")
def test_eval_corpus_lines_ingest(make_assistant, tmp_path: Path):
    lines = (EVAL_DIR / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:15]
    path = write(tmp_path / "slice.jsonl", "\n".join(lines))
    report = make_assistant().ingest([path])
    assert report.ok and len(report.added) == 15


def test_an_untitled_record_is_named_after_its_first_sentence(tmp_path: Path):
    text = "GENEVA (Reuters) — Floods closed the coastal road on Monday. More rain is due."
    line = json.dumps({"id": "u1", "text": text})
    (a,) = articles(write(tmp_path / "archive.jsonl", line))
    assert a.title == "Floods closed the coastal road on Monday."
    long = json.dumps({"id": "u2", "text": "word " * 60})
    (b,) = articles(write(tmp_path / "long.jsonl", long))
    assert b.title.endswith("…") and len(b.title) <= 91


def _outcome(items: list[Article | SourceError]) -> list[tuple[str, str]]:
    return [(i.where, i.reason) if isinstance(i, SourceError) else (i.id, i.text) for i in items]


@pytest.mark.parametrize(
    "content",
    [
        b'\xef\xbb\xbf{"id": "bom", "text": "A line after a byte-order mark."}\n',
        b'\n{"id": "a", "text": "One."}\r\n\n{oops\n{"title": "no text"}\n[1]\n'
        b'{"id": "b", "text": "Two."}',
        b'{"id": "latin", "text": "Caf\xe9 owners protest."}\n',
        b"\n  \n",
        b'{"id": "nul", "text": "x"}\x00\n',
    ],
    ids=["bom", "mixed", "not-utf8", "blank", "binary"],
)
def test_a_jsonl_file_streamed_line_by_line_reads_as_the_bytes_do(tmp_path: Path, content: bytes):
    """Ingest streams .jsonl files (a big archive never sits in memory whole); every
    article, error and line number must be what reading the whole file gives."""
    path = tmp_path / "stream.jsonl"
    path.write_bytes(content)
    streamed = list(read_jsonl(path, str(path), str(path)))
    whole = list(read_data(content, str(path), ".jsonl", str(path)))
    assert streamed and _outcome(streamed) == _outcome(whole)


def test_a_raw_line_separator_inside_a_jsonl_string_does_not_split_the_record(tmp_path: Path):
    # JSON allows U+2028 unescaped inside a string; str.splitlines() would cut the record there.
    line = '{"id": "ls", "text": "First part\u2028second part."}\n'
    (a,) = articles(write(tmp_path / "ls.jsonl", line))
    assert a.text == "First part\u2028second part."
    (b,) = [i for i in read_data(line.encode(), "<stdin>", ".jsonl", None)]
    assert isinstance(b, Article) and b.text == a.text
