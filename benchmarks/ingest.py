"""Ingest throughput: ours against the model's own limit and the LangChain tutorial pipeline.

    .venv/bin/python benchmarks/ingest.py --limit 300          # first 300 dev articles
    .venv/bin/python benchmarks/ingest.py                      # all 2,095 (slow on 2 cores)
    .venv/bin/python benchmarks/ingest.py --backend onnx-int8

Three pipelines, each in a fresh process, model loading (the encoder's, and spaCy's
sentence splitter's for ours) excluded from every timing. Ours and bare run in turns,
`--rounds` times (ours first in odd rounds, bare first in even ones), and the ratio is the
median of the rounds': a machine's load drifts over minutes, and a ratio of two runs made
one after the other measures that drift as much as the pipelines.
  ours      Assistant.ingest of the corpus file (read, chunk, embed, Chroma + catalog),
            then the same call again on the unchanged corpus (re-ingest);
  bare      the model's encode() alone on exactly the texts ours embeds: the limit;
  tutorial  RecursiveCharacterTextSplitter(1000, 200) + HuggingFaceEmbeddings +
            Chroma.from_documents, as in the LangChain RAG tutorial.
Our index is kept in the cache folder, for benchmarks/questions.py to reuse.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from common import cache_dir, child, emit, our_texts, subset, table

from assistant.config import BACKENDS, DEFAULT_BACKEND


def index_dir(corpus: Path, backend: str) -> Path:
    return cache_dir() / f"index-{corpus.stem}-{backend}"


def run_ours(corpus: Path, backend: str) -> None:
    from assistant import Assistant

    folder = index_dir(corpus, backend)
    shutil.rmtree(folder, ignore_errors=True)
    assistant = Assistant(index_dir=folder, auto_ingest=False, embedding_backend=backend)
    assistant.embedder.embed(["load the model before the clock starts"])
    assistant.linguist.sentences("Load the sentence splitter. It is a model too.")
    start = time.perf_counter()
    first = assistant.ingest([corpus])
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    again = assistant.ingest([corpus])
    reingest = time.perf_counter() - start
    assert not again.added and not again.updated, again.summary()
    emit(
        seconds=seconds,
        articles=len(first.added),
        chunks=first.chunks_embedded,
        reingest_seconds=reingest,
        disk_mb=sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20,
    )


def run_bare(corpus: Path, backend: str) -> None:
    embedder, n_articles, texts = our_texts(corpus, backend)
    encoder = embedder.encoder  # type: ignore[attr-defined]
    batch = embedder.batch_size  # the same batch size as ours, its fastest (embeddings.py)
    encoder.encode(["load the model before the clock starts"], batch)
    start = time.perf_counter()
    if backend == "torch":  # SentenceTransformer.encode itself, as the model's users call it
        encoder.model.encode(texts, batch_size=batch, normalize_embeddings=True)
    else:
        encoder.encode(texts, batch)
    emit(seconds=time.perf_counter() - start, articles=n_articles, chunks=len(texts))


def run_tutorial(corpus: Path) -> None:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from assistant.embedding.base import resolve_model_path
    from assistant.sources import read_file

    docs = [
        Document(page_content=a.text, metadata={"title": a.title, "id": a.id})
        for a in read_file(corpus)
        if not isinstance(a, Exception)
    ]
    embeddings = HuggingFaceEmbeddings(
        model_name=resolve_model_path("all-MiniLM-L6-v2"), model_kwargs={"device": "cpu"}
    )
    embeddings.embed_query("load the model before the clock starts")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        splits = splitter.split_documents(docs)
        Chroma.from_documents(splits, embeddings, persist_directory=tmp)
        seconds = time.perf_counter() - start
    emit(seconds=seconds, articles=len(docs), chunks=len(splits))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N articles")
    parser.add_argument("--backend", default=DEFAULT_BACKEND, choices=BACKENDS)
    parser.add_argument("--skip-tutorial", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="turns of ours and bare")
    parser.add_argument("--run", choices=["ours", "bare", "tutorial"], help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run == "ours":
        return run_ours(args.corpus, args.backend)
    if args.run == "bare":
        return run_bare(args.corpus, args.backend)
    if args.run == "tutorial":
        return run_tutorial(args.corpus)
    report(subset(args.limit), args.backend, args.skip_tutorial, max(1, args.rounds))


def in_turns(common: list[str], rounds: int) -> tuple[dict[str, Any], dict[str, Any], list[float]]:
    """Ours and bare, `rounds` times in alternating order: the median round of each, and
    every round's ratio of chunks per second."""
    ours, bare, ratios = [], [], []
    for n in range(rounds):
        order = ("ours", "bare") if n % 2 == 0 else ("bare", "ours")
        got = {run: child("ingest.py", "--run", run, *common) for run in order}
        ours.append(got["ours"])
        bare.append(got["bare"])
        ratios.append(
            (got["ours"]["chunks"] / got["ours"]["seconds"])
            / (got["bare"]["chunks"] / got["bare"]["seconds"])
        )
    middle = sorted(range(rounds), key=lambda i: ratios[i])[rounds // 2]
    return ours[middle], bare[middle], ratios


def report(corpus: Path, backend: str, skip_tutorial: bool, rounds: int) -> None:
    common = ["--corpus", str(corpus), "--backend", backend]
    ours_run, bare_run, ratios = in_turns(common, rounds)
    runs = {f"ours ({backend})": ours_run, f"bare encode ({backend})": bare_run}
    if not skip_tutorial:
        runs["LangChain tutorial (torch)"] = child("ingest.py", "--run", "tutorial", *common)
    rows = [["pipeline", "articles", "chunks", "seconds", "articles/s", "chunks/s", "peak MB"]]
    for name, r in runs.items():
        rows.append(
            [
                name,
                str(r["articles"]),
                str(r["chunks"]),
                f"{r['seconds']:.1f}",
                f"{r['articles'] / r['seconds']:.2f}",
                f"{r['chunks'] / r['seconds']:.1f}",
                f"{r['peak_mb']:.0f}",
            ]
        )
    print(f"corpus: {corpus} ({runs[f'ours ({backend})']['articles']} articles)\n")
    print(table(rows))
    ours, bare = runs[f"ours ({backend})"], runs[f"bare encode ({backend})"]
    rate = lambda r, unit: r[unit] / r["seconds"]  # noqa: E731
    each = ", ".join(f"{r:.2f}x" for r in ratios)
    print(f"\nours / bare encode, chunks/s: {statistics.median(ratios):.2f}x (median; {each})")
    assert abs(rate(ours, "chunks") / rate(bare, "chunks") - statistics.median(ratios)) < 1e-9
    if "LangChain tutorial (torch)" in runs:
        tut = runs["LangChain tutorial (torch)"]
        print(f"ours / tutorial, articles/s: {rate(ours, 'articles') / rate(tut, 'articles'):.2f}x")
    share = ours["reingest_seconds"] / ours["seconds"]
    print(f"re-ingest of the unchanged corpus: {ours['reingest_seconds']:.2f} s = {share:.1%}")
    print(
        f"index on disk: {ours['disk_mb']:.1f} MB = "
        f"{ours['disk_mb'] / ours['articles'] * 1000:.0f} MB per 1,000 articles"
    )
    print(f"ingest cost: {ours['seconds'] / ours['articles'] * 1000:.0f} s per 1,000 articles")


if __name__ == "__main__":
    main()
