"""Any bytes given to the readers yield articles, per-file errors or warnings: never another
exception, and never an article a store would refuse.

Three kinds of input: raw bytes (noise, text in several encodings, with and without
byte-order marks), JSON records whose fields hold values of every JSON type, and Markdown
whose front matter does. `.urls` is left out: its reader fetches what it lists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.errors import SourceError, SourceWarning
from assistant.schema import Article
from assistant.sources import read_data
from assistant.sources.formats import read_jsonl
from assistant.sources.records import _FIELD_ALIASES

SUFFIXES = [".txt", ".md", ".html", ".json", ".jsonl", ".xml"]
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Text as files hold it: any encoding, sometimes behind a byte-order mark.
_ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252"]
encoded_text = st.builds(
    lambda text, encoding: text.encode(encoding, errors="ignore"),
    st.text(),
    st.sampled_from(_ENCODINGS),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
some_json = st.builds(lambda value: json.dumps(value).encode(), json_values)
some_bytes = st.one_of(st.binary(max_size=3000), encoded_text, some_json)
field_names = [name for names in _FIELD_ALIASES.values() for name in names]
records = st.dictionaries(st.sampled_from(field_names) | st.text(max_size=8), json_values)


def check(items: list[Any]) -> None:
    """Every item is an article a store takes, or a per-file error or warning."""
    assert items, "every input gets at least one article or error"
    for item in items:
        assert isinstance(item, Article | SourceError | SourceWarning), repr(item)
        if isinstance(item, Article):
            assert item.text.strip() and item.id
            for value in (item.id, item.title, item.text, *item.authors):
                value.encode("utf-8")  # lone surrogates would fail in every store
            assert "\x00" not in item.text and "\x1b" not in item.title
        else:
            assert "\n" not in str(item), "messages are one line each"


@FUZZ
@given(data=some_bytes, suffix=st.sampled_from(SUFFIXES))
def test_any_bytes_are_articles_or_errors(data: bytes, suffix: str):
    check(list(read_data(data, f"fuzz{suffix}", suffix, None)))


@FUZZ
@given(data=some_bytes)
def test_a_streamed_jsonl_file_reads_as_its_bytes_do(data: bytes, tmp_path: Path):
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(data)
    streamed = list(read_jsonl(path, str(path), str(path)))
    check(streamed)
    whole = list(read_data(data, str(path), ".jsonl", str(path)))
    assert [str(i) for i in streamed] == [str(i) for i in whole]


@FUZZ
@given(record=records, many=st.booleans())
def test_json_records_of_any_shape_are_articles_or_errors(record: dict[str, Any], many: bool):
    data = json.dumps([record, record] if many else record).encode()
    check(list(read_data(data, "fuzz.json", ".json", None)))
    line = json.dumps(record).encode() + b"\n"
    check(list(read_data(line, "fuzz.jsonl", ".jsonl", None)))


@FUZZ
@given(record=records, body=st.text())
def test_front_matter_of_any_shape_is_an_article_or_an_error(record: dict[str, Any], body: str):
    front = yaml.safe_dump(record, allow_unicode=True)
    data = f"---\n{front}---\n{body}\n".encode("utf-8", errors="surrogatepass")
    check(list(read_data(data, "fuzz.md", ".md", None)))
