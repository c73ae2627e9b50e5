"""Keyword search: BM25 over the chunks' words, in a Tantivy index beside the catalog.

Tantivy (the Rust engine behind Quickwit) answers a top-k query without scoring every
chunk that shares a word with the question: its block-max WAND skips the ones that cannot
reach the top k. SQLite FTS5, which this replaces, scored them all, and a question's
common words ("said", "week") match about 40% of the chunks: on the dev corpus the
keyword search went from 1.8 to 0.15 ms (3,782 chunks) and from 13 to 0.25 ms (34,530).

One document per chunk:
- `chunk`: its id (stored, untokenised: the handle back to the catalog, and for deletes);
- `words`: the article's title twice, then the chunk's text, lower-cased, folded to ASCII
  ("São Paulo" is found as "Sao Paulo", as FTS5's remove_diacritics did) and stemmed
  (English). A title word counts twice, as the column weights (2, 1) of FTS5's bm25() did;
- `day`: the publication date as YYYYMMDD, 0 when unknown; `source`: the outlet. A
  search's scope (dates, outlets) is a filter inside the same query.

The catalog stays the source of truth. `Index` writes a chunk's document before the
catalog lists the chunk and deletes it after the catalog drops it, as it does the chunk's
vector, so a crash leaves at worst documents the catalog does not list: searches map hits
through the catalog, and `Index.sweep` removes them. An index made before this module
existed is given a keyword index built from its catalog on first use.

Not here: the catalog (catalog.py) or the order of writes between the stores (store.py).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import tantivy

from .scope import Scope, day_number

KEYWORD_DIR = "keyword"
MIN_KEYWORD_SCORE = 1e-3  # BM25 below this is a match on words that are everywhere
# The analyser of the `words` field, registered under this name wherever the index is
# opened; a question is cut into terms by the same analyser, so there is no query syntax
# to escape.
_TOKENIZER = "news_words"
# Bytes the writer buffers before it flushes a segment: Tantivy's minimum. An ingest
# commits every write batch (256 chunks, well under it) anyway.
_WRITER_HEAP = 15_000_000


@dataclass(frozen=True)
class KeywordDoc:
    """What the keyword index holds of one chunk."""

    chunk_id: str
    title: str
    text: str
    published: date | None
    source: str | None


def _schema() -> Any:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("chunk", stored=True, tokenizer_name="raw")
    builder.add_text_field("words", tokenizer_name=_TOKENIZER, index_option="freq")
    builder.add_integer_field("day", indexed=True, fast=True)
    builder.add_text_field("source", tokenizer_name="raw", index_option="basic")
    return builder.build()


def _analyzer() -> Any:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


class KeywordIndex:
    """The Tantivy index in `folder`: one writer at a time (the index's writer lock),
    readers in any process. A search sees every commit made before it, in any process:
    it first checks (one stat) whether the index's meta.json changed."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._schema = _schema()
        self._analyzer = _analyzer()
        self._index: Any = None
        self._seen: tuple[int, int, int] | None = None  # meta.json's inode, size, mtime
        self._writer: Any = None
        self._lock = threading.Lock()

    def exists(self) -> bool:
        return (self.folder / "meta.json").exists()

    def build(self, docs: Iterable[KeywordDoc]) -> None:
        """Create the index from `docs` (all of the catalog's chunks), in one step.

        It is written beside its final place and moved there when complete, so that a
        crash never leaves a half-built index that looks whole. If another process moved
        its own build there first, that one is kept.
        """
        building = self.folder.with_name(f"{self.folder.name}.building-{os.getpid()}")
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        index = tantivy.Index(self._schema, path=str(building), reuse=False)
        index.register_tokenizer(_TOKENIZER, self._analyzer)
        writer = index.writer(_WRITER_HEAP, 1)
        _write(writer, docs, ())
        writer.wait_merging_threads()
        try:
            building.rename(self.folder)
        except OSError:  # another process finished first: its index is as good
            shutil.rmtree(building, ignore_errors=True)

    @property
    def index(self) -> Any:
        """The open index, its reader moved to the last commit if there was a new one
        (Tantivy's own watcher would see another process's commit only ~0.5 s later)."""
        meta = os.stat(self.folder / "meta.json")
        seen = (meta.st_ino, meta.st_size, meta.st_mtime_ns)
        with self._lock:
            if self._index is None:
                self._index = tantivy.Index.open(str(self.folder))
                self._index.register_tokenizer(_TOKENIZER, self._analyzer)
                self._index.config_reader("Manual", 0)
            elif seen != self._seen:
                self._index.reload()
            self._seen = seen
            return self._index

    def write(self, docs: Iterable[KeywordDoc], delete: Iterable[str] = ()) -> None:
        """Delete the documents of the chunk ids in `delete` and of `docs`' chunk ids
        (a chunk written again replaces its document), add `docs`, and commit.

        The writer stays open for the next write until `release()`: a writer per write
        started new threads each time, and the process grew by ~150 MB over an ingest.
        """
        if self._writer is None:
            self._writer = self.index.writer(_WRITER_HEAP, 1)
        _write(self._writer, docs, delete)

    def release(self) -> None:
        """Close the writer, once its merges are done, so another process may write."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.wait_merging_threads()

    def search(self, query: str, n: int, scope: Scope | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the best `n` chunks for any of the words of `query`."""
        terms = list(dict.fromkeys(t for t in self._analyzer.analyze(query) if len(t) > 1))
        if not terms or n <= 0:
            return []
        words = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, tantivy.Query.term_query(self._schema, "words", t))
                for t in terms
            ]
        )
        searcher = self.index.searcher()
        hits = searcher.search(_scoped(self._schema, words, scope), n, count=False).hits
        # A word found in nearly every chunk scores ~0: its hits come back in storage
        # order, which says nothing, and in a fusion of rankings would vote like a real one.
        return [
            (searcher.doc(address).get_first("chunk"), score)
            for score, address in hits
            if score > MIN_KEYWORD_SCORE
        ]

    def ids(self) -> set[str]:
        """Every chunk id the index holds (for the sweep after a crash)."""
        searcher = self.index.searcher()
        if searcher.num_docs == 0:
            return set()
        hits = searcher.search(tantivy.Query.all_query(), searcher.num_docs, count=False).hits
        return {searcher.doc(address).get_first("chunk") for _, address in hits}

    def count(self) -> int:
        return int(self.index.searcher().num_docs)


def _scoped(schema: Any, words: Any, scope: Scope | None) -> Any:
    """`words`, limited to the scope's dates and outlets. The limits score 0, so a hit
    scores what its words do. An article without a date is outside any date range (its
    day is 0)."""
    if scope is None or not (scope.since or scope.until or scope.sources):
        return words
    clauses = [(tantivy.Occur.Must, words)]
    if scope.since or scope.until:
        days = tantivy.Query.range_query(
            schema,
            "day",
            tantivy.FieldType.Integer,
            day_number(scope.since) if scope.since else 1,
            day_number(scope.until) if scope.until else None,
        )
        clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(days, 0.0)))
    if scope.sources:
        outlets = tantivy.Query.term_set_query(schema, "source", list(scope.sources))
        clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(outlets, 0.0)))
    return tantivy.Query.boolean_query(clauses)


def _write(writer: Any, docs: Iterable[KeywordDoc], delete: Iterable[str]) -> None:
    """The deletes, then the documents, then one commit (or none, on an error). A delete
    applies to documents added before it, so a rewritten chunk keeps its new document."""
    try:
        for chunk_id in delete:
            writer.delete_documents_by_term("chunk", chunk_id)
        for d in docs:
            writer.delete_documents_by_term("chunk", d.chunk_id)
            doc = tantivy.Document()
            doc.add_text("chunk", d.chunk_id)
            doc.add_text("words", f"{d.title}\n{d.title}\n{d.text}")
            doc.add_integer("day", day_number(d.published) if d.published else 0)
            if d.source:
                doc.add_text("source", d.source)
            writer.add_document(doc)
        writer.commit()
    except BaseException:
        writer.rollback()
        raise
