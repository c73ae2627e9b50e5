"""The LangChain tutorial pipeline against ours, side by side in one run, on the same questions.

    .venv/bin/python benchmarks/retrieval_compare.py QUESTIONS.jsonl --corpus CORPUS.jsonl \\
        [--k 5] [--as-of-question-date] [--gold-only]

Tutorial: RecursiveCharacterTextSplitter(1000, 200), all-MiniLM-L6-v2 through
HuggingFaceEmbeddings, langchain-chroma, `similarity_search(question, k)`. Ours: the
Assistant's retriever on its own eval index. "bare chroma" is one `collection.query` of k
nearest chunks on OUR index, with the question embedded the same way: the floor our
retrieval latency is compared to. With --as-of-question-date, "bare, dated" is the same
query with Chroma's own filter on the question's date, the bare search that honours it.
Both indexes are built once and cached (keyed by the corpus hash) under
~/.cache/news-assistant/eval/. Timings are from the same run and process, so their ratio
is meaningful even on a busy machine; absolute numbers are not.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.embedding.base import resolve_model_path
from assistant.evaluation import (
    Question,
    _file_hash,
    contains_answer,
    default_cache_dir,
    eval_assistant,
    load_questions,
    percentile,
)
from assistant.index import vector_store
from assistant.index.scope import Scope
from assistant.schema import Filters

# PyTorch's OpenMP threads spin after each call by default, stealing the cores from
# whichever pipeline runs next; the tutorial's threads must sleep instead.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

Hit = tuple[list[str], str]  # article ids of the k results, and their text joined


def tutorial_store(corpus: Path, cache: Path) -> Any:
    """The tutorial's Chroma store for `corpus`, built on first use."""
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    embeddings = HuggingFaceEmbeddings(model_name=resolve_model_path("all-MiniLM-L6-v2"))
    folder = cache / f"{_file_hash(corpus)}-tutorial"
    store = Chroma("tutorial", embeddings, persist_directory=str(folder))
    if (folder / "complete").exists():
        return store
    docs = []
    for line in corpus.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        meta = {"article_id": raw["id"], "published": raw.get("published") or ""}
        docs.append(Document(page_content=raw["text"], metadata=meta))
    splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(
        docs
    )
    for i in range(0, len(splits), 256):
        store.add_documents(splits[i : i + 256])
    (folder / "complete").write_text(f"{len(splits)} chunks\n")
    return store


def score(
    questions: Sequence[Question], pipelines: dict[str, Callable[[Question], Hit]]
) -> dict[str, dict[str, float]]:
    """Run every pipeline on each question in turn (so a burst of load on the machine hits
    them alike) and score each. The order rotates from one question to the next: PyTorch's
    threads spin for a while after a call, which slows whatever runs right after it."""
    hits: dict[str, list[tuple[Question, list[str], str, float]]] = {n: [] for n in pipelines}
    names = list(pipelines)
    for i, q in enumerate(questions):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            search = pipelines[name]
            start = time.perf_counter()
            ids, text = search(q)
            hits[name].append((q, ids, text, (time.perf_counter() - start) * 1000))
    return {name: _metrics(rows) for name, rows in hits.items()}


def _metrics(rows: list[tuple[Question, list[str], str, float]]) -> dict[str, float]:
    recall, rr, context, chars = [], [], [], []
    for q, ids, text, _ in rows:
        context.append(contains_answer(text, q.answers))
        chars.append(len(text))
        if q.gold_ids:
            rank = next((i for i, a in enumerate(ids, 1) if a in q.gold_ids), None)
            recall.append(rank is not None)
            rr.append(1 / rank if rank else 0.0)
    times = sorted(r[3] for r in rows)
    return {
        "recall_at_k": sum(recall) / max(1, len(recall)),
        "mrr": sum(rr) / max(1, len(rr)),
        "answer_in_context": sum(context) / max(1, len(context)),
        "context_chars": sum(chars) / max(1, len(chars)),
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("questions")
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--as-of-question-date", action="store_true")
    parser.add_argument("--gold-only", action="store_true")
    args = parser.parse_args()
    questions = load_questions(args.questions)
    if args.gold_only:
        questions = [q for q in questions if q.gold_ids]
    k, as_of = args.k, args.as_of_question_date
    ours = eval_assistant(args.corpus)
    ours.ready()
    store = tutorial_store(Path(args.corpus), default_cache_dir())

    def tutorial(q: Question) -> Hit:
        # The tutorial has no notion of dates; with --as-of-question-date it gets the same
        # "no later articles" rule, applied to 4k results, so the comparison stays fair.
        if as_of and q.date:
            day = q.date.isoformat()
            docs = store.similarity_search(q.question, k=4 * k)
            docs = [d for d in docs if d.metadata["published"] <= day][:k]
        else:
            docs = store.similarity_search(q.question, k=k)
        return [d.metadata["article_id"] for d in docs], "\n".join(d.page_content for d in docs)

    def hybrid(q: Question) -> Hit:
        filters = Filters(as_of=q.date) if as_of and q.date else None
        ps = ours.retriever.retrieve(q.question, k, filters)
        return [p.article_id for p in ps], "\n".join(f"{p.title}\n{p.text}" for p in ps)

    def bare_hit(ids: list[str]) -> Hit:
        chunks = [c for i in ids if (c := ours.index.get_chunks([i]).get(i))]
        return [c.article_id for c in chunks], "\n".join(f"{c.title}\n{c.text}" for c in chunks)

    def bare(q: Question) -> Hit:
        # embed(), not embed_query(): the latter would reuse the vector `ours` just made.
        vector = ours.embedder.embed([q.question])[0]
        return bare_hit([i for i, _ in ours.index.dense_search(vector, k)])

    def bare_dated(q: Question) -> Hit:
        # The bare search that honours the question's date: Chroma's own metadata filter.
        vector = ours.embedder.embed([q.question])[0]
        scope = Scope(until=q.date) if q.date else None
        return bare_hit(
            [i for i, _ in vector_store.nearest(ours.index.collection, vector, k, scope=scope)]
        )

    pipelines = {"tutorial": tutorial, "ours": hybrid, "bare chroma": bare}
    if as_of:
        pipelines["bare, dated"] = bare_dated
    for warm in pipelines.values():  # load models and caches outside the timing
        warm(questions[0])
    _print(score(questions, pipelines), len(questions), k)


def _print(results: dict[str, dict[str, float]], n: int, k: int) -> None:
    print(f"{n} questions, k={k}")
    print(
        f"{'pipeline':<14}{'recall@k':>10}{'mrr':>8}{'ans-in-ctx':>12}{'ctx chars':>11}"
        f"{'p50 ms':>9}{'p95 ms':>9}"
    )
    for name, r in results.items():
        print(
            f"{name:<14}{r['recall_at_k']:>10.3f}{r['mrr']:>8.3f}{r['answer_in_context']:>12.3f}"
            f"{r['context_chars']:>11.0f}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}"
        )
    ratio = results["ours"]["p50_ms"] / results["bare chroma"]["p50_ms"]
    print(f"ours p50 / bare chroma p50 = {ratio:.2f}x")
    if "bare, dated" in results:
        ratio = results["ours"]["p50_ms"] / results["bare, dated"]["p50_ms"]
        print(f"ours p50 / bare chroma with the date filter p50 = {ratio:.2f}x")


if __name__ == "__main__":
    main()
