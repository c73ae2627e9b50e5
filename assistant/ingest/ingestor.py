"""Incremental, crash-safe ingest: read sources, skip what is unchanged, embed and index the rest.

One ingest at a time holds the index's writer lock; a second one fails at once with a
message naming the holder. Questions can be answered meanwhile: the catalog switches
article by article in SQLite transactions, so a reader sees each article's old version or
its new one. An ingest that was killed leaves at worst orphan vectors, which the next one
deletes before it starts (`Index.recover`).

Work is proportional to what changed. A file whose bytes hash as they did the last time it
was read cleanly is not parsed again (the warnings that reading gave, kept with its digest,
are reported again: it still has no date); an article whose content hash is unchanged is
not chunked or embedded. Memory is bounded by the batch, not the corpus. `sync=True` also
removes articles whose files are gone or no longer contain them. Errors in one file or
record are collected in the report and never stop the others, unless `strict=True`; so
are warnings (a date that could not be read, a file of a type we do not read). Even a
reader's own bug costs only its file: it is reported as that file's failure.

Not here: reading formats (sources/) or how the index stores things (index/).
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from ..embedding.embedder import Embedder
from ..errors import SourceError, SourceWarning, printable
from ..index import FileRecord, Index
from ..schema import Article, Chunk
from ..sources import (
    canonical_url,
    discover,
    looks_like_url,
    path_text,
    read_data,
    read_file,
    sniff_suffix,
)
from .chunking import Chunker

# progress(done, total): articles settled so far, and the estimated number in this run.
Progress = Callable[[int, int], None]
Item = Article | SourceError | SourceWarning

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    """What one ingest run did, article by article."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    # (where, what): articles kept without a field, files skipped. Not failures.
    warnings: list[tuple[str, str]] = field(default_factory=list)
    chunks_embedded: int = 0
    orphans_removed: int = 0  # vectors left by an interrupted earlier run
    stopped_early: bool = False  # strict mode met a failure

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        warned = f", {_count(len(self.warnings), 'warning')}" if self.warnings else ""
        text = (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
            f"{len(self.failed)} failed{warned} "
            f"({_count(self.chunks_embedded, 'chunk')} embedded)"
        )
        if self.stopped_early:
            text += "; stopped at the first failure (--strict)"
        return text


@dataclass(frozen=True)
class _Unit:
    """One thing to read: a file, stdin, or a URL."""

    where: str
    suffix: str
    path: str | None = None  # resolved file path: its articles', and recorded for --sync
    data: bytes | None = None  # already read (stdin)
    estimate: int = 1  # how many articles it probably holds, for the progress bar

    @property
    def key(self) -> str | None:
        """The file's path as the catalog records it (`path_text`: a name that is not
        UTF-8 is written with escapes), by which it is known again and synced."""
        return path_text(self.path) if self.path is not None else None


class Ingestor:
    """Keeps an `Index` in step with a set of article files, feeds and pages."""

    def __init__(
        self,
        index: Index,
        embedder: Embedder,
        chunker: Chunker | Callable[[], Chunker],
        batch_chunks: int,
        max_bytes: int | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self._chunker = chunker
        self.batch_chunks = batch_chunks
        self.max_bytes = max_bytes

    @cached_property
    def chunker(self) -> Chunker:
        """Made on first need: an ingest with nothing new never loads the model."""
        return self._chunker if isinstance(self._chunker, Chunker) else self._chunker()

    def ingest(
        self,
        paths: Iterable[str | Path],
        sync: bool = False,
        progress: Progress | None = None,
        strict: bool = False,
    ) -> IngestReport:
        """Index these files, folders, globs, URLs and `-` (stdin); see the module doc."""
        paths = list(paths)
        with self.index.writer_lock():
            run = _Run(self.index, progress, strict)
            run.report.orphans_removed = self.index.recover()
            units = self._units(paths, run)
            run.total = sum(u.estimate for u in units)
            for unit in units:
                if run.stopped:
                    break
                self._read_unit(unit, run)
            self._flush(run)
            if sync and not run.stopped:
                run.report.removed += self._sync(paths, run)
            self.index.mark_clean()
            run.total = run.done
            run.tick()
        return run.report

    # -- reading ---------------------------------------------------------------------

    def _units(self, paths: list[str | Path], run: _Run) -> list[_Unit]:
        units: list[_Unit] = []
        local: list[str | Path] = []
        for p in paths:
            if str(p) == "-":
                data = sys.stdin.buffer.read()
                units.append(_Unit("<stdin>", sniff_suffix(data), data=data))
            elif looks_like_url(str(p)):
                units.append(_Unit(str(p), ".urls", data=str(p).encode()))
            else:
                local.append(p)
        files, problems = discover(local, self.max_bytes)
        for problem in problems:
            run.note(problem)
        units += [_Unit(str(f), f.suffix, str(f.resolve()), estimate=_estimate(f)) for f in files]
        return units

    def _read_unit(self, unit: _Unit, run: _Run) -> None:
        try:
            digest, data = _digest(unit)
        except OSError as exc:
            run.fail(SourceError(unit.where, f"cannot read file ({exc.strerror or exc})"))
            return
        if unit.key and self._skip_unchanged_file(unit, unit.key, digest, run):
            return
        if unit.path is not None:
            items = read_file(Path(unit.where), data, unit.path)
        else:  # stdin or URLs: no file behind it
            items = read_data(data or b"", unit.where, unit.suffix, None)
        ids: list[str] = []
        troubled = False
        warned = len(run.report.warnings)
        earlier = _EarlierIds(self.index, unit.key, run.known)
        for item in _guarded(items, unit.where):
            if isinstance(item, Article):
                item = earlier.keep(item)
            troubled |= not self._accept(item, run, ids)
            if run.stopped:
                return
        if unit.key:
            run.files_read.add(unit.key)
            if troubled:
                run.troubled.add(unit.key)
            else:
                warnings = _in_file(run.report.warnings[warned:], printable(unit.where))
                run.pending_files.append(FileRecord(unit.key, digest, tuple(ids), warnings))

    def _skip_unchanged_file(self, unit: _Unit, key: str, digest: str, run: _Run) -> bool:
        """A file read cleanly before, byte for byte the same, whose articles are all
        indexed: its articles are unchanged, and the warnings reading it gave still hold."""
        before = run.files.get(key)
        if before is None or before.digest != digest or before.warnings is None:
            return False
        if not all(i in run.known for i in before.ids):
            return False
        if any(i in run.ids for i in before.ids):
            return False  # an id also in another file this run: read it to report that
        run.files_read.add(key)
        run.ids.update(before.ids)
        run.report.unchanged += before.ids
        run.report.warnings += [(printable(unit.where) + at, what) for at, what in before.warnings]
        run.settle(len(before.ids))
        return True

    def _accept(self, item: Item, run: _Run, ids: list[str]) -> bool:
        """Classify one article (or record one error or warning); False if it is a failure."""
        if not isinstance(item, Article):
            run.note(item)
            return isinstance(item, SourceWarning)
        key = canonical_url(item.url)
        duplicate = item.id in run.ids or (key is not None and key in run.urls_seen)
        if duplicate:
            first = item.id if item.id in run.ids else run.urls_seen[key or ""]
            reason = f"duplicate of article {first!r} read earlier in this run"
            run.fail(SourceError(item.path or "<input>", f"{reason} (id {item.id!r})"))
            return False
        run.ids.add(item.id)
        ids.append(item.id)
        if key:
            run.urls_seen[key] = item.id
        return self._classify(item, key, run)

    def _classify(self, article: Article, key: str | None, run: _Run) -> bool:
        old = run.known.get(article.id)
        if old == article.version:
            run.report.unchanged.append(article.id)
            run.settle(1)
            return True
        chunker = self.chunker  # outside the guard: a model that will not load stops the run
        try:
            chunks = chunker.split(article)
        except Exception as exc:  # text the tokenizer or spaCy chokes on costs this article only
            log.exception("could not split %r into chunks", article.id)
            where = article.path or article.id
            run.fail(SourceError(where, f"could not be cut into passages ({_unexpected(exc)})"))
            return False
        # Same canonical URL under another id: the same story, so this replaces it.
        replaces = old is not None or (key is not None and key in run.urls)
        (run.report.updated if replaces else run.report.added).append(article.id)
        run.pending.append((article, chunks))
        run.pending_chunks += len(chunks)
        if run.pending_chunks >= self.batch_chunks:
            self._flush(run)
        return True

    # -- writing ---------------------------------------------------------------------

    def _flush(self, run: _Run) -> None:
        if not run.pending and not run.pending_files:
            return
        texts: list[str] = []
        spans: list[list[tuple[int, int]]] = []  # each chunk's sentences, in its embed text
        chunks = [c for _, cs in run.pending for c in cs]
        if run.pending:
            titles = {a.id: self.chunker.title_for_embedding(a.title) for a, _ in run.pending}
            for a, cs in run.pending:
                for c in cs:
                    text = self.chunker.policy.embed_text(titles[a.id], c.text)
                    texts.append(text)
                    offset = len(text) - len(c.text) - c.start  # article -> embed text
                    spans.append([(a + offset, b + offset) for a, b in c.sentences])
        # One model pass gives the chunk vectors and, pooled from the same token vectors,
        # the sentence vectors the answerer would otherwise embed at question time.
        vectors, pooled = self.embedder.embed_spans(texts, spans)
        sentences = [
            _in_article(c, len(text) - len(c.text), s, v)
            for c, text, s, v in zip(chunks, texts, spans, pooled, strict=True)
        ]
        self.index.write(run.pending, vectors, run.pending_files, sentences)
        run.report.chunks_embedded += len(texts)
        run.settle(len(run.pending))
        run.pending, run.pending_files, run.pending_chunks = [], [], 0

    def _sync(self, paths: list[str | Path], run: _Run) -> list[str]:
        """Remove indexed articles under these roots that this run did not find.

        A file that failed to read, in whole or in part, keeps its articles: bad input
        never costs what is already stored. URLs and stdin have no files to sync.
        """
        gone: list[str] = []
        for raw in paths:
            if str(raw) == "-" or looks_like_url(str(raw)):
                continue
            root = Path(raw).expanduser().resolve()
            indexed = (
                self.index.paths_under(path_text(root))
                if root.is_dir()
                else self.index.articles_by_path([path_text(root)])
            )
            for path, ids in indexed.items():
                if path not in run.troubled:
                    gone += [i for i in ids if i not in run.ids]
        self.index.delete(gone)
        return gone


class _EarlierIds:
    """The ids that an index made before ids were resolved gave a file's articles.

    An article named after its file (no id, no URL) was once named after the file's path
    as typed, `news/a.txt` or `/srv/news/a.txt` depending on the command; now it is the
    resolved path. An article whose resolved id the index does not hold, but which the
    index holds under such an earlier id from the same file, at the same place in it (the
    same `:line` or `#entry`, the file's own name before it), keeps that id: it is
    replaced, not added a second time. The earlier ids of a file are read only then.
    """

    def __init__(self, index: Index, key: str | None, known: dict[str, str]) -> None:
        self.index, self.key, self.known = index, key, known
        self._stored: list[str] | None = None

    def keep(self, article: Article) -> Article:
        key = self.key
        if key is None or not self.known or article.id in self.known:
            return article
        if not article.id.startswith(key):
            return article  # an explicit id or a URL
        place = article.id[len(key) :]
        if place and place[0] not in ":#":
            return article
        name = "/" + key.rsplit("/", 1)[-1]
        for old in self.stored(key):
            named = old[: len(old) - len(place)] if place else old
            if old.endswith(place) and ("/" + named).endswith(name) and old != article.id:
                return replace(article, id=old)
        return article

    def stored(self, key: str) -> list[str]:
        if self._stored is None:
            self._stored = self.index.articles_by_path([key]).get(key, [])
        return self._stored


class _Run:
    """The state of one ingest run: what the index held, what this run saw and owes."""

    def __init__(self, index: Index, progress: Progress | None, strict: bool) -> None:
        self.report = IngestReport()
        self.known = index.versions()
        self.urls = index.url_keys()
        self.files = index.file_records()
        self.progress = progress
        self.strict = strict
        self.stopped = False
        self.ids: set[str] = set()
        self.urls_seen: dict[str, str] = {}
        self.files_read: set[str] = set()
        self.troubled: set[str] = set()
        self.pending: list[tuple[Article, list[Chunk]]] = []
        self.pending_files: list[FileRecord] = []
        self.pending_chunks = 0
        self.done = 0
        self.total = 0

    def note(self, problem: SourceError | SourceWarning) -> None:
        if isinstance(problem, SourceWarning):
            self.report.warnings.append((problem.where, problem.reason))
        else:
            self.fail(problem)

    def fail(self, error: SourceError) -> None:
        self.report.failed.append((error.where, error.reason))
        self.settle(1)
        if self.strict:
            self.stopped = self.report.stopped_early = True

    def settle(self, n: int) -> None:
        self.done += n
        self.tick()

    def tick(self) -> None:
        if self.progress:
            self.total = max(self.total, self.done)
            self.progress(self.done, self.total)


def _guarded(items: Iterable[Item], where: str) -> Iterator[Item]:
    """The reader's items; should it raise (a bug: readers report bad input as errors),
    an error naming the file instead, so the other files are still read."""
    try:
        yield from items
    except Exception as exc:
        log.exception("reading %r failed", where)
        yield SourceError(where, f"could not be read ({_unexpected(exc)})")


def _in_file(warnings: list[tuple[str, str]], where: str) -> tuple[tuple[str, str], ...]:
    """A file's warnings with its name taken off their places (readers name the file in
    each: `news/a.jsonl:3`), to be put back under the name it has when they are reported
    again."""
    return tuple((place.removeprefix(where), what) for place, what in warnings)


def _unexpected(exc: Exception) -> str:
    return f"unexpected {type(exc).__name__}: {exc}; please report this"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _in_article(
    chunk: Chunk, shift: int, spans: list[tuple[int, int]], vectors: np.ndarray
) -> list[tuple[tuple[int, int], np.ndarray]]:
    """A chunk's sentence vectors keyed by article offsets; sentences the model cut off, dropped."""
    base = chunk.start - shift
    return [
        ((base + a, base + b), v)
        for (a, b), v in zip(spans, vectors, strict=True)
        if not np.isnan(v[0])
    ]


def _digest(unit: _Unit) -> tuple[str, bytes | None]:
    """The unit's digest and its bytes, or None for a JSON Lines file: that is hashed in
    blocks and later read a line at a time, so a big archive never sits in memory whole;
    other files are one article (or one feed) each and are read at once."""
    if unit.data is None and unit.suffix.lower() == ".jsonl":
        digest = hashlib.blake2b(digest_size=16)
        for block in _blocks(Path(unit.where)):
            digest.update(block)
        return digest.hexdigest(), None
    data = unit.data if unit.data is not None else Path(unit.where).read_bytes()
    return hashlib.blake2b(data, digest_size=16).hexdigest(), data


def _estimate(path: Path) -> int:
    """Articles in a file, roughly: one per line of JSON Lines, else one."""
    if path.suffix.lower() != ".jsonl":
        return 1
    try:
        return max(1, sum(block.count(b"\n") for block in _blocks(path)))
    except OSError:
        return 1


def _blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            yield block
