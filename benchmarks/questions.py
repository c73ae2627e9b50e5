"""Question latency on an index built by benchmarks/ingest.py: ask() against its parts.

    .venv/bin/python benchmarks/questions.py --limit 300 [--backend onnx] [--n 100]
    .venv/bin/python benchmarks/questions.py --index FOLDER [--n 100]

Measured in one process, one question at a time, after one warm-up question:
  ask()           Assistant.ask, the extractive answer with citations, end to end;
  retrieval       Retriever.search alone (embed the question, dense + keyword, fuse);
  bare Chroma     embed the question and collection.query(n_results=5): the floor.
The questions are the dev questions (their text only; answers are not needed here).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from common import DEV_QUESTIONS, percentile, subset, table
from ingest import index_dir

from assistant.config import BACKENDS, DEFAULT_BACKEND


def timed(
    fn: Callable[[str], object], questions: list[str], fresh: Callable[[], None]
) -> list[float]:
    out = []
    for q in questions:
        fresh()  # no run may reuse the question vector another run computed
        start = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="the index of the first N articles")
    parser.add_argument("--backend", default=DEFAULT_BACKEND, choices=BACKENDS)
    parser.add_argument("--n", type=int, default=100, help="how many questions")
    parser.add_argument(
        "--index", type=Path, help="an existing index folder instead (e.g. an eval's cached one)"
    )
    args = parser.parse_args()

    from assistant import Assistant

    folder = args.index or index_dir(subset(args.limit), args.backend)
    if not (folder / "catalog.sqlite3").exists():
        raise SystemExit(f"no index at {folder}: run benchmarks/ingest.py with the same flags")
    assistant = Assistant(index_dir=folder, auto_ingest=False, embedding_backend=args.backend)
    with DEV_QUESTIONS.open(encoding="utf-8") as f:
        questions = [json.loads(line)["question"] for line in f][: args.n]
    collection = assistant.index.collection
    embedder = assistant.embedder

    def bare(q: str) -> object:
        return collection.query(query_embeddings=[embedder.embed_query(q).tolist()], n_results=5)

    fresh = embedder._queries.clear
    assistant.ask("warm up: who founded Mistral?")  # model, Chroma, SQLite all loaded
    # Interleaved, so that a burst of load from elsewhere hits all three alike.
    runs: dict[str, list[float]] = {
        n: [] for n in ("ask() extractive", "retrieval alone", "bare Chroma")
    }
    for q in questions:
        runs["ask() extractive"] += timed(assistant.ask, [q], fresh)
        runs["retrieval alone"] += timed(assistant.retriever.search, [q], fresh)
        runs["bare Chroma"] += timed(bare, [q], fresh)
    rows = [["", "p50 ms", "p95 ms"]]
    for name, ms in runs.items():
        rows.append([name, f"{percentile(ms, 50):.0f}", f"{percentile(ms, 95):.0f}"])
    print(f"index: {folder} ({assistant.index.chunk_count()} chunks), {len(questions)} questions,")
    print(f"backend {args.backend}\n")
    print(table(rows))
    ask50 = percentile(runs["ask() extractive"], 50)
    ret50 = percentile(runs["retrieval alone"], 50)
    bare50 = percentile(runs["bare Chroma"], 50)
    print(f"\nask() p50 / retrieval p50: {ask50 / ret50:.2f}x")
    print(f"ask() p50 / bare Chroma p50: {ask50 / bare50:.2f}x")
    print(f"retrieval p50 / bare Chroma p50: {ret50 / bare50:.2f}x")


if __name__ == "__main__":
    main()
