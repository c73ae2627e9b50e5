"""Question latency and index size at 1x, 4x and 16x the dev corpus, side by side.

    .venv/bin/python benchmarks/scaling.py --source ~/.cache/news-assistant/eval/<key> \
        [--scales 1 4 16] [--n 50] [--backend onnx-int8] [--keep] [--postgres 1 4]

`--source` is an index folder built by benchmarks/ingest.py or `assistant eval`. It is only
read: every scale is a copy of it in the benchmark cache folder, built in a child process
under a `.partial` name and renamed when complete (an interrupted build leaves no folder
that looks finished; the next run removes the leftover). Without `--keep` the copies are
deleted at the end; with it they are reused by the next run.

What is synthetic. The Nx index holds the real articles plus N-1 copies of each, because
re-embedding 16x the corpus would take hours on 2 cores. Copy k of an article:
  - gets new article and chunk ids and a URL with `synthetic_copy=k` (its own url_key);
  - is published k * 91 days earlier (a longer archive, not 16 articles on the same day);
  - keeps its chunk texts, but each chunk vector is the original plus Gaussian noise
    (sigma 0.025 a dimension, cosine ~0.9 to the original: a near neighbour, as another
    outlet's article on the same story is), renormalised; sentence vectors likewise;
  - has ~10% of its words dropped from its keyword-index (Tantivy) text, so that BM25 sees
    different lengths and term counts rather than exact duplicates (the catalog text, which
    answers quote by offset, is unchanged).
Copies are written through Chroma's `collection.add`, the keyword index's writer and the
catalog's own tables, so the result opens as a normal index and `Index.recover()`/`sweep()`
find nothing to fix (the build checks both, and one keyword document per chunk). Real news
at 16x would be more diverse than copies: the latency of exact search grows with size
either way, but what is retrieved is not the point here.

Measured in one process, questions interleaved across scales so that load from elsewhere
hits every scale alike, a fresh question-vector cache for every timing:
  ask()           Assistant.ask, extractive, end to end;
  retrieval       Retriever.search alone;
  keyword         the BM25 keyword search alone (no model), to show where retrieval grows;
  bare Chroma     embed the question and collection.query(n_results=5);
  Chroma query    that query alone, the question's vector made before the clock started.
With `--postgres 1 4`, those scales are measured again with the catalog and the keyword
search in PostgreSQL: each one's catalog copied row for row into a new database (as
benchmarks/postgres.py copies it, the trigger computing the keyword tsvectors), reading
the same embedded Chroma folder, its questions interleaved with the others'; the ratio in
brackets is against the smallest scale on the same catalog. Without --catalog-url a
temporary PostgreSQL 15 is started (tests/postgres.py).
Plus index size on disk per 1,000 articles, the RSS each scale adds once warmed, and the
process's peak RSS. The build time of a scale is copying stored vectors, not embedding:
it is NOT ingest cost (benchmarks/ingest.py measures that).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
from common import DEV_QUESTIONS, ROOT, cache_dir, child, emit, peak_mb, percentile, table

from assistant.config import BACKENDS, DEFAULT_BACKEND
from assistant.index import sentence_codec
from assistant.index.vector_store import chroma_meta

SIGMA = 0.025  # noise per dimension of a copy's vectors: cosine ~0.9 to the original
DROP = 0.10  # share of words a copy's keyword-index text loses
SHIFT_DAYS = 91  # copy k is published k * SHIFT_DAYS earlier
MARK = "~copy"  # in the ids of synthetic articles
RECIPE = {"sigma": SIGMA, "drop": DROP, "shift_days": SHIFT_DAYS}


# -- building a scale (in a child process) --------------------------------------------


def variant_dir(source: Path, scale: int) -> Path:
    return cache_dir() / f"scaling-{source.name}-{scale}x"


def folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def built(folder: Path, source: Path) -> dict[str, Any] | None:
    """The build record of a complete variant of this source, if there is one."""
    record = folder / "scaling.json"
    if not record.exists():
        return None
    info = dict(json.loads(record.read_text()))
    same = info.get("source") == str(source) and info.get("recipe") == RECIPE
    return info if same else None


def build(source: Path, scale: int, base: Path, base_scale: int) -> None:
    """Copy `base` (the source at `base_scale`) and add copies up to `scale`; emit timings."""
    target = variant_dir(source, scale)
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    start = time.perf_counter()
    try:
        ignore = shutil.ignore_patterns("scaling.json", "complete", "ingest.lock")
        shutil.copytree(base, partial, ignore=ignore)
        copied = time.perf_counter() - start
        add_copies(partial, range(base_scale, scale))
        seconds = time.perf_counter() - start
        check = verify(partial)
        info = {
            "source": str(source),
            "recipe": RECIPE,
            "scale": scale,
            "built_from": f"{base_scale}x",
            "build_seconds": seconds,
            "copy_seconds": copied,
            **check,
        }
        (partial / "scaling.json").write_text(json.dumps(info))
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    emit(**info)


def add_copies(folder: Path, copies: range) -> None:
    if not copies:
        return
    from assistant.index import Index

    index = Index(folder)
    originals = Originals.load(index)
    for k in copies:
        originals.add_copy(index, k)
    index.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    index.close()


def verify(folder: Path) -> dict[str, Any]:
    """Open the variant as the assistant does: nothing to recover, no orphan vectors."""
    from assistant.index import Index

    index = Index(folder)
    start = time.perf_counter()
    orphans = index.recover() + index.sweep()
    sweep = time.perf_counter() - start
    vectors, chunks = index.collection.count(), index.chunk_count()
    documents = index.keyword.count()
    articles = index.stats().articles
    index.close()
    if orphans or vectors != chunks or documents != chunks:
        raise SystemExit(
            f"{folder}: {orphans} orphans, {vectors} vectors and {documents} keyword "
            f"documents for {chunks} chunks"
        )
    return {"articles": articles, "chunks": chunks, "sweep_seconds": sweep}


class Originals:
    """The real articles of an index, with their vectors: what every copy is made from."""

    def __init__(self, articles: list[tuple[Any, ...]], chunks: list[tuple[Any, ...]]) -> None:
        self.articles = articles  # id, version, title, url, published, source, authors, n
        self.chunks = chunks  # rowid, id, article_id, idx, start, end, text, title
        self.vectors = np.empty((0, 0), dtype=np.float32)
        self.sentences: list[tuple[int, int, int]] = []  # chunk rowid, start, end
        self.sentence_vectors = np.empty((0, 0), dtype=np.float32)

    @classmethod
    def load(cls, index: Any) -> Originals:
        db = index.db
        articles = db.execute(
            "SELECT id, version, title, url, published, source, authors, n_chunks "
            f"FROM articles WHERE instr(id, '{MARK}') = 0 ORDER BY id"
        ).fetchall()
        chunks = db.execute(
            'SELECT c.rowid, c.id, c.article_id, c.idx, c.start, c."end", c.text, a.title '
            "FROM chunks c JOIN articles a ON a.id = c.article_id "
            f"WHERE instr(a.id, '{MARK}') = 0 ORDER BY c.rowid"
        ).fetchall()
        out = cls(articles, chunks)
        out._load_vectors(index.collection)
        out._load_sentences(db)
        return out

    def _load_vectors(self, collection: Any) -> None:
        ids = [c[1] for c in self.chunks]
        vectors = []
        for i in range(0, len(ids), 1000):
            got = collection.get(ids=ids[i : i + 1000], include=["embeddings"])
            order = {cid: j for j, cid in enumerate(got["ids"])}
            for cid in ids[i : i + 1000]:
                j = order[cid]  # Chroma does not promise the order of `ids`
                vectors.append(got["embeddings"][j])
        self.vectors = np.asarray(vectors, dtype=np.float32)

    def _load_sentences(self, db: sqlite3.Connection) -> None:
        rows = db.execute(
            'SELECT s.chunk, s.start, s."end", s.vector FROM sentence_vectors s '
            "JOIN chunks c ON c.rowid = s.chunk "
            f"WHERE instr(c.article_id, '{MARK}') = 0 ORDER BY s.rowid"
        ).fetchall()
        self.sentences = [(r[0], r[1], r[2]) for r in rows]
        decoded = sentence_codec.decode([r[3] for r in rows])
        self.sentence_vectors = decoded if rows else np.empty((0, 384), np.float32)

    def add_copy(self, index: Any, k: int) -> None:
        """Copy k of every original: Chroma first, then the catalog in one transaction."""
        rng = np.random.default_rng(k)
        articles = {a[0]: _copy_article(a, k) for a in self.articles}
        chunk_ids = [_copy_chunk_id(c[1], k) for c in self.chunks]
        metadatas = [chroma_meta(_as_article(articles[c[2]])) for c in self.chunks]
        vectors = _jitter(self.vectors, rng)
        collection = index.collection
        step = collection._client.get_max_batch_size()
        for i in range(0, len(chunk_ids), step):
            collection.add(
                ids=chunk_ids[i : i + step],
                embeddings=vectors[i : i + step],
                metadatas=metadatas[i : i + step],
            )
        self._write_keywords(index, articles, chunk_ids, rng)
        self._write_catalog(index.db, articles, chunk_ids, rng)

    def _write_keywords(
        self,
        index: Any,
        articles: dict[str, tuple[Any, ...]],
        chunk_ids: list[str],
        rng: np.random.Generator,
    ) -> None:
        from assistant.index import KeywordDoc

        docs = []
        for c, cid in zip(self.chunks, chunk_ids, strict=True):
            article = articles[c[2]]
            published = date.fromisoformat(article[4]) if article[4] else None
            docs.append(KeywordDoc(cid, c[7], _drop_words(c[6], rng), published, article[5]))
        index.keyword.write(docs)

    def _write_catalog(
        self,
        db: sqlite3.Connection,
        articles: dict[str, tuple[Any, ...]],
        chunk_ids: list[str],
        rng: np.random.Generator,
    ) -> None:
        first = int(db.execute("SELECT coalesce(max(rowid), 0) FROM chunks").fetchone()[0]) + 1
        rowid = {c[0]: first + i for i, c in enumerate(self.chunks)}
        new_article = {c[0]: articles[c[2]][0] for c in self.chunks}
        sentence_vectors = _jitter(self.sentence_vectors, rng)
        with db:
            db.executemany(
                "INSERT INTO articles (id, version, title, url, published, source, authors, "
                "path, n_chunks, url_key) VALUES (?,?,?,?,?,?,?,?,?,?)",
                articles.values(),
            )
            db.executemany(
                'INSERT INTO chunks (rowid, id, article_id, idx, start, "end", text) '
                "VALUES (?,?,?,?,?,?,?)",
                [
                    (rowid[c[0]], cid, new_article[c[0]], *c[3:7])
                    for c, cid in zip(self.chunks, chunk_ids, strict=True)
                ],
            )
            db.executemany(
                'INSERT INTO sentence_vectors (chunk, start, "end", vector) VALUES (?,?,?,?)',
                [
                    (rowid[s[0]], s[1], s[2], sentence_codec.encode(v))
                    for s, v in zip(self.sentences, sentence_vectors, strict=True)
                ],
            )


def _copy_article(row: tuple[Any, ...], k: int) -> tuple[Any, ...]:
    """An articles row for copy k: id, version, title, url, published, source, authors,
    path (none: it came from no file, so no `--sync` of the corpus touches it), n, url_key."""
    from assistant.sources import canonical_url

    article_id, version, title, url, published, source, authors, n_chunks = row
    if url:
        parts = urlsplit(url)
        query = urlencode([*parse_qsl(parts.query, True), ("synthetic_copy", str(k))])
        url = urlunsplit(parts._replace(query=query))
    if published:
        published = (date.fromisoformat(published) - timedelta(SHIFT_DAYS * k)).isoformat()
    new_id = f"{article_id}{MARK}{k}"
    return (new_id, version, title, url, published, source, authors, None, n_chunks,
            canonical_url(url))  # fmt: skip


def _copy_chunk_id(chunk_id: str, k: int) -> str:
    """`key:version:position` -> `key~copyk:version:position` (Index.successors reads it)."""
    key, version, position = chunk_id.rsplit(":", 2)
    return f"{key}{MARK}{k}:{version}:{position}"


def _as_article(row: tuple[Any, ...]) -> Any:
    """A copied articles row as the Article whose Chroma metadata it gets (source, day)."""
    from assistant.schema import Article

    published = date.fromisoformat(row[4]) if row[4] else None
    return Article(id=row[0], title=row[2], text="", source=row[5], published=published)


def _jitter(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noisy = vectors + rng.normal(0.0, SIGMA, vectors.shape).astype(np.float32)
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def _drop_words(text: str, rng: np.random.Generator) -> str:
    words = text.split()
    keep = rng.random(len(words)) >= DROP
    return " ".join(w for w, kept in zip(words, keep, strict=True) if kept)


# -- measuring (in this process) -------------------------------------------------------


def rss_mb() -> float:
    """This process's resident memory now (VmRSS, KiB in /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Scale:
    """One variant, opened as the assistant opens an index, with its timings."""

    def __init__(
        self, scale: int, folder: Path, backend: str, embedder: Any, catalog_url: str | None = None
    ) -> None:
        from assistant import Assistant
        from assistant.text.words import content_words

        self.scale, self.folder = scale, folder
        self.catalog = "PostgreSQL" if catalog_url else "embedded"
        # One model for every scale (when given): the same vectors, less memory.
        self.assistant = Assistant(
            index_dir=folder,
            auto_ingest=False,
            embedding_backend=backend,
            embedder=embedder,
            catalog_url=catalog_url,
        )
        self.embedder = self.assistant.embedder
        index = self.assistant.index
        self.measures = {
            "ask()": self.assistant.ask,
            "retrieval": self.assistant.retriever.search,
            "keyword": lambda q: index.keyword_search(" ".join(content_words(q)), 40),
            "bare Chroma": self.bare,
            "Chroma query": self.query_only,
        }
        self._vector: list[float] = []
        self.ms: dict[str, list[float]] = {name: [] for name in self.measures}

    def bare(self, question: str) -> object:
        vector = self.embedder.embed_query(question).tolist()
        return self.assistant.index.collection.query(query_embeddings=[vector], n_results=5)

    def query_only(self, question: str) -> object:
        """collection.query alone, the question's vector made before the clock started."""
        return self.assistant.index.collection.query(query_embeddings=[self._vector], n_results=5)

    def warm(self) -> float:
        """Load the vectors and pages, once; return the RSS that added."""
        before = rss_mb()
        self._vector = self.embedder.embed_query("warm up").tolist()
        for q in ("warm up: who founded Mistral?", "What did the Federal Reserve decide?"):
            for fn in self.measures.values():
                fn(q)
        return rss_mb() - before

    def time(self, question: str) -> None:
        self._vector = self.embedder.embed_query(question).tolist()
        for name, fn in self.measures.items():
            self.embedder._queries.clear()  # no timing reuses another's question vector
            start = time.perf_counter()
            fn(question)
            self.ms[name].append((time.perf_counter() - start) * 1000)


def measure(
    folders: dict[int, Path], backend: str, n: int, catalogs: dict[int, str] | None = None
) -> tuple[list[Scale], dict]:
    """Every scale on the embedded catalog, then on its PostgreSQL copy in `catalogs` (if
    any), questions interleaved across all of them; and the RSS each embedded scale adds."""
    with DEV_QUESTIONS.open(encoding="utf-8") as f:
        questions = [json.loads(line)["question"] for line in f][:n]
    scales: list[Scale] = []
    added: dict[int, float] = {}
    for scale, folder in folders.items():
        scales.append(Scale(scale, folder, backend, scales[0].embedder if scales else None))
        if len(scales) == 1:  # the model and the libraries, so that scale 1 counts its index only
            scales[0].embedder.embed(["load the model first"])
            import chromadb  # noqa: F401
        added[scale] = scales[-1].warm()
    for scale, url in (catalogs or {}).items():
        scales.append(Scale(scale, folders[scale], backend, scales[0].embedder, url))
        scales[-1].warm()
    for q in questions:  # interleaved: a burst of load elsewhere hits every scale alike
        for s in scales:
            s.time(q)
    return scales, added


# -- the report ------------------------------------------------------------------------


def latency_table(scales: list[Scale]) -> str:
    """p50 / p95 of every measure, and (in brackets) p50 against the smallest scale on the
    same catalog."""
    names = list(scales[0].ms)
    rows = [["scale", "catalog", "chunks"] + [f"{n} p50 / p95 ms" for n in names]]
    first = {s.catalog: s for s in reversed(scales)}
    for s in scales:
        cells = []
        for n in names:
            p50, p95 = percentile(s.ms[n], 50), percentile(s.ms[n], 95)
            base = percentile(first[s.catalog].ms[n], 50)
            cells.append(f"{p50:.0f} / {p95:.0f} ({p50 / base:.2f}x)")
        chunks = f"{s.assistant.index.chunk_count():,}"
        rows.append([f"{s.scale}x", s.catalog, chunks, *cells])
    return table(rows)


def postgres_table(copies: dict[int, dict[str, float]], infos: dict[int, dict[str, Any]]) -> str:
    rows = [["scale", "catalog MB in PostgreSQL", "MB / 1,000 articles", "copy s"]]
    for scale, c in copies.items():
        per = c["mb"] / infos[scale]["articles"] * 1000
        rows.append([f"{scale}x", f"{c['mb']:,.0f}", f"{per:.0f}", f"{c['seconds']:.0f}"])
    return table(rows)


@contextmanager
def postgres_copies(
    folders: dict[int, Path], wanted: list[int], url: str | None
) -> Iterator[tuple[dict[int, str], dict[int, dict[str, float]]]]:
    """Each wanted scale's catalog copied into a new PostgreSQL database (as
    benchmarks/postgres.py copies it): their URLs, and each copy's size and seconds."""
    import psycopg
    from postgres import TABLES, catalog_server, copy_catalog

    if not wanted:
        yield {}, {}
        return
    with catalog_server(url) as first:
        server = first.rsplit("/", 1)[0]
        urls, copies = {}, {}
        for scale in wanted:
            target = first if not urls else new_database(server)
            print(f"copying the {scale}x catalog into PostgreSQL", file=sys.stderr, flush=True)
            seconds = copy_catalog(folders[scale], target)
            with psycopg.connect(target) as conn:
                size = conn.execute(
                    "SELECT sum(pg_total_relation_size(t)) FROM unnest(%s::regclass[]) t",
                    ([*TABLES, "pending_vectors"],),
                ).fetchone()[0]
            urls[scale] = target
            copies[scale] = {"mb": int(size) / 2**20, "seconds": seconds}
        yield urls, copies


def new_database(server: str) -> str:
    sys.path.insert(0, str(ROOT))
    from tests.postgres import new_database as make

    return make(server)


def size_table(infos: dict[int, dict[str, Any]], added: dict[int, float]) -> str:
    rows = [["scale", "articles", "disk MB", "MB / 1,000 articles", "Chroma MB", "catalog MB",
             "RSS added MB", "build s (from)", "sweep s"]]  # fmt: skip
    base = infos[min(infos)]
    for scale, i in infos.items():
        folder = Path(i["folder"])
        mb = folder_mb(folder)
        per = mb / i["articles"] * 1000
        ratio = per / (folder_mb(Path(base["folder"])) / base["articles"] * 1000)
        rows.append(
            [
                f"{scale}x",
                f"{i['articles']:,}",
                f"{mb:,.0f}",
                f"{per:.0f} ({ratio:.2f}x)",
                f"{folder_mb(folder / 'chroma'):,.0f}",
                f"{(folder / 'catalog.sqlite3').stat().st_size / 2**20:,.0f}",
                f"{added[scale]:,.0f}",
                f"{i['build_seconds']:.0f} ({i['built_from']})",
                f"{i['sweep_seconds']:.1f}",
            ]
        )
    return table(rows)


# -- the run ---------------------------------------------------------------------------


def prepare(source: Path, scales: list[int], backend: str) -> dict[int, dict[str, Any]]:
    """Every scale built (or reused), each from the largest smaller one already there."""
    infos: dict[int, dict[str, Any]] = {}
    for scale in sorted(scales):
        folder = variant_dir(source, scale)
        info = built(folder, source)
        if info is None:
            base_scale = max((s for s in infos if s <= scale), default=0)
            base = variant_dir(source, base_scale) if base_scale else source
            print(f"building {scale}x from {base_scale or 1}x", file=sys.stderr, flush=True)
            info = child("scaling.py", "--build", str(scale), "--source", str(source),
                         "--base", str(base), "--base-scale", str(base_scale or 1))  # fmt: skip
            info["reused"] = False
        else:
            info["reused"] = True
        infos[scale] = {**info, "folder": str(folder)}
    return infos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="the 1x index folder")
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--n", type=int, default=50, help="how many dev questions")
    parser.add_argument("--backend", default=DEFAULT_BACKEND, choices=BACKENDS)
    parser.add_argument("--keep", action="store_true", help="keep the built variants")
    parser.add_argument(
        "--postgres",
        type=int,
        nargs="*",
        default=[],
        metavar="SCALE",
        help="these scales also with the catalog copied into PostgreSQL",
    )
    parser.add_argument("--catalog-url", help="a PostgreSQL server (default: a temporary one)")
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--base", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--base-scale", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    source = args.source.expanduser().resolve()
    if args.build:
        return build(source, args.build, args.base, args.base_scale)
    if not (source / "catalog.sqlite3").exists():
        raise SystemExit(f"no index at {source}: build one with benchmarks/ingest.py")
    scales = sorted(set(args.scales))
    try:
        infos = prepare(source, scales, args.backend)
        folders = {s: Path(infos[s]["folder"]) for s in scales}
        wanted = sorted(set(args.postgres) & set(scales))
        with postgres_copies(folders, wanted, args.catalog_url) as (urls, copies):
            runs, added = measure(folders, args.backend, args.n, urls)
            report(source, infos, runs, added, args.n)
            if copies:
                print()
                print(postgres_table(copies, infos))
    finally:
        for scale in scales:  # a build cut short by Ctrl-C leaves a .partial: remove it
            folder = variant_dir(source, scale)
            shutil.rmtree(folder.with_name(folder.name + ".partial"), ignore_errors=True)
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)


def report(source: Path, infos: dict, runs: list[Scale], added: dict, n: int) -> None:
    print(f"source: {source}; {n} dev questions; synthetic copies (see the docstring)\n")
    print(latency_table(runs))
    print()
    print(size_table(infos, added))
    print("\nbuild s: copying stored vectors into a scale, NOT ingest cost; (from) the scale")
    print("it was copied from; sweep s: Index.sweep() listing every vector (the build's check)")
    reused = [f"{s}x" for s, i in infos.items() if i["reused"]]
    if reused:
        print(f"reused from an earlier --keep run: {', '.join(reused)}")
    print(f"peak RSS of this process: {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
