"""Files, feeds and pages -> `Article`s, or errors naming what could not be read.

    discovery.py  paths, folders and globs -> the files to read
    read.py       bytes -> articles: decoding, then the format's reader; URL lists
    formats.py    one reader per format (.txt .md .html .json .jsonl, feeds)
    feeds.py      RSS and Atom entries
    records.py    a record with the usual field names -> Article; identity, canonical URLs
    decoding.py   bytes -> text
    fetch.py      the bytes at a URL the user gave (the only network code)
Not here: deciding what is new or changed (ingest/) or storing anything (index/).
"""

from .discovery import SUFFIXES, discover, looks_like_url, path_text
from .read import read_data, read_file, sniff_suffix
from .records import canonical_url

__all__ = [
    "SUFFIXES",
    "canonical_url",
    "discover",
    "looks_like_url",
    "path_text",
    "read_data",
    "read_file",
    "sniff_suffix",
]
