"""Where a question's retrieval time goes: each stage alone, against the bare Chroma search.

    .venv/bin/python benchmarks/retrieval_stages.py [--corpus CORPUS.jsonl] [--as-of-question-date]

On the evaluation index of the corpus (default: the dev corpus-small, built and cached by
`assistant eval`), every dev question is put through each stage of `Retriever.search` on
its own, one after the other in one process, with the inputs the search would give it:

  embed          the question through the model (no cache);
  dense          Chroma's nearest chunks, as deep as the search asks for (and the scope);
  keyword        Tantivy BM25 over the question's content words;
  names          Tantivy BM25 over the question's names alone;
  best sentence  the candidates' stored sentence vectors read and scored;
  whole search   Retriever.search as shipped;
  bare Chroma    embed, the 5 nearest chunks, their text: the floor the target compares to.

Each row prints its p50 and its ratio to the bare search's p50, measured in the same run.
The whole search less the stages' sum is what reading, ordering, de-duplicating and
widening the passages costs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from common import DEV, DEV_QUESTIONS, table

from assistant.evaluation import Question, eval_assistant, load_questions
from assistant.retrieval.queries import keyword_queries
from assistant.retrieval.search import _scope
from assistant.schema import Filters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(DEV / "corpus-small.jsonl"))
    parser.add_argument("--as-of-question-date", action="store_true")
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()
    questions = [q for q in load_questions(DEV_QUESTIONS) if q.gold_ids]
    assistant = eval_assistant(args.corpus)
    assistant.ready()
    retriever, index, embedder = assistant.retriever, assistant.index, assistant.embedder
    n = max(retriever.policy.candidates, 4 * args.k)

    def filters(q: Question) -> Filters:
        return Filters(as_of=q.date) if args.as_of_question_date and q.date else Filters()

    vectors = {q.id: embedder.embed([q.question])[0] for q in questions}

    def dense(q: Question) -> list[tuple[str, float]]:
        return index.dense_search(vectors[q.id], n, scope=_scope(filters(q)), spare=n)

    def keyword(q: Question) -> list[tuple[str, float]]:
        return index.keyword_search(keyword_queries(q.question)[0], n, _scope(filters(q)))

    def names(q: Question) -> list[tuple[str, float]]:
        return index.keyword_search(keyword_queries(q.question)[1], n, _scope(filters(q)))

    hits = {q.id: [dense(q), keyword(q), names(q)] for q in questions}  # best sentence's input

    def whole(q: Question) -> object:
        embedder._queries.clear()  # the search must embed, as a new question would
        return retriever.search(q.question, args.k, filters(q))

    def bare(q: Question) -> object:
        ids = [i for i, _ in index.dense_search(embedder.embed([q.question])[0], args.k)]
        return index.get_chunks(ids)

    stages: dict[str, Callable[[Question], object]] = {
        "embed": lambda q: embedder.embed([q.question]),
        "dense": dense,
        "keyword": keyword,
        "names": names,
        "best sentence": lambda q: retriever._by_best_sentence(vectors[q.id], hits[q.id]),
        "whole search": whole,
        "bare Chroma": bare,
    }
    for stage in stages.values():  # warm every path once
        stage(questions[0])
    times: dict[str, list[float]] = {name: [] for name in stages}
    for q in questions:  # stage by stage per question, so load on the machine hits all alike
        for name, stage in stages.items():
            start = time.perf_counter()
            stage(q)
            times[name].append((time.perf_counter() - start) * 1000)
    p50 = {name: statistics.median(ts) for name, ts in times.items()}
    floor = p50["bare Chroma"]
    parts = ["embed", "dense", "keyword", "names", "best sentence"]
    rows = [["stage", "p50 ms", "x bare"]]
    rows += [[name, f"{p50[name]:.2f}", f"{p50[name] / floor:.2f}"] for name in stages]
    total = sum(p50[name] for name in parts)
    rows.append(["sum of the stages above", f"{total:.2f}", f"{total / floor:.2f}"])
    print(f"{len(questions)} questions, {index.chunk_count()} chunks, k={args.k}, depth {n}")
    print(table(rows))


if __name__ == "__main__":
    main()
