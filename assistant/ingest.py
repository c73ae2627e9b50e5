"""Ingest: read sources, skip what is unchanged, chunk and embed the rest, write the index.

Work is done in batches of chunks so the model always sees full batches (its throughput is
the limit) and memory stays bounded by the batch, not the corpus. `sync=True` also removes
articles whose files are gone or no longer contain them. Errors in one file or record are
collected in the report and never stop the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .chunking import Chunker
from .embeddings import Embedder
from .errors import SourceError
from .index import Index
from .schema import Article, Chunk
from .sources import discover, read_file

Progress = Callable[[int, int], None]


@dataclass
class IngestReport:
    """What one ingest run did, article by article."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    chunks_embedded: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
            f"{len(self.failed)} failed ({self.chunks_embedded} chunks embedded)"
        )


class Ingestor:
    """Keeps an `Index` in step with a set of article files."""

    def __init__(
        self, index: Index, embedder: Embedder, chunker: Chunker, batch_chunks: int = 256
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.chunker = chunker
        self.batch_chunks = batch_chunks

    def ingest(
        self, paths: Iterable[str | Path], sync: bool = False, progress: Progress | None = None
    ) -> IngestReport:
        roots = [Path(p) for p in paths]
        report = IngestReport()
        files, missing = discover(roots)
        report.failed += [(e.where, e.reason) for e in missing]
        known = self.index.versions()
        run = _Run()
        pending: list[tuple[Article, list[Chunk]]] = []
        for n, path in enumerate(files, 1):
            for item in read_file(path):
                if isinstance(item, SourceError):
                    run.troubled.add(str(path.resolve()))
                    report.failed.append((item.where, item.reason))
                elif item.id in run.ids:
                    report.failed.append((item.path or "", f"duplicate article id {item.id!r}"))
                else:
                    run.ids.add(item.id)
                    self._classify(item, known, report, pending)
                    if sum(len(c) for _, c in pending) >= self.batch_chunks:
                        self._flush(pending, report)
            if progress:
                progress(n, len(files))
        self._flush(pending, report)
        if sync:
            report.removed += self._sync(roots, run)
        return report

    def _classify(
        self,
        article: Article,
        known: dict[str, str],
        report: IngestReport,
        pending: list[tuple[Article, list[Chunk]]],
    ) -> None:
        old = known.get(article.id)
        if old == article.version:
            report.unchanged.append(article.id)
            return
        (report.updated if old else report.added).append(article.id)
        pending.append((article, self.chunker.split(article)))

    def _flush(self, pending: list[tuple[Article, list[Chunk]]], report: IngestReport) -> None:
        if not pending:
            return
        titles = {a.id: self.chunker.title_for_embedding(a.title) for a, _ in pending}
        texts = [
            self.chunker.policy.embed_text(titles[a.id], c.text) for a, cs in pending for c in cs
        ]
        vectors = self.embedder.embed(texts)
        self.index.write(pending, vectors, texts)
        report.chunks_embedded += len(texts)
        pending.clear()

    def _sync(self, roots: list[Path], run: _Run) -> list[str]:
        """Remove indexed articles under these roots that this run did not find.

        A file that failed to read, in whole or in part, keeps its articles: bad input
        never costs what is already stored.
        """
        gone: list[str] = []
        for root in roots:
            root = root.expanduser().resolve()
            indexed = (
                self.index.paths_under(str(root))
                if root.is_dir()
                else self.index.articles_by_path([str(root)])
            )
            for path, ids in indexed.items():
                if path not in run.troubled:
                    gone += [i for i in ids if i not in run.ids]
        self.index.delete(gone)
        return gone


@dataclass
class _Run:
    """What one run has seen: article ids, and files that had errors."""

    ids: set[str] = field(default_factory=set)
    troubled: set[str] = field(default_factory=set)
