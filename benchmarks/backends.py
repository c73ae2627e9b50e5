"""The embedding backends side by side: ingest speed and recall@5 on the dev questions.

    .venv/bin/python benchmarks/backends.py                       # corpus-small (329 articles)
    .venv/bin/python benchmarks/backends.py --corpus .../corpus.jsonl

For each backend the evaluation harness (assistant/evaluation.py) builds its own cached
index of the corpus (timed here when it is new) and asks the dev questions that have gold
articles; recall@5 is the share whose gold article is among the 5 passages retrieved.
A backend may become the default only if its recall@5 is at most 0.01 below torch's.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from common import DEV, DEV_QUESTIONS, cache_dir, table

BACKENDS = ("torch", "onnx", "onnx-int8")


def measure(corpus: Path, backend: str) -> dict[str, float]:
    from assistant.evaluation import eval_assistant, evaluate, load_questions

    start = time.perf_counter()
    assistant = eval_assistant(
        corpus, cache_dir=cache_dir() / f"eval-{backend}", embedding_backend=backend
    )
    assistant.ready()
    build = time.perf_counter() - start
    chunks = assistant.index.chunk_count()
    questions = [q for q in load_questions(DEV_QUESTIONS) if q.gold_ids]
    result = evaluate(assistant, questions, k=5)
    return {"build": build, "chunks": chunks, **result.metrics}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEV / "corpus-small.jsonl")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    args = parser.parse_args()
    results = {b: measure(args.corpus, b) for b in args.backends}
    base = results.get("torch")
    rows = [["backend", "index build s", "chunks/s", "recall@5", "Δ vs torch", "ask p50 ms"]]
    for b, r in results.items():
        delta = f"{r['recall_at_k'] - base['recall_at_k']:+.3f}" if base else "-"
        rows.append(
            [
                b,
                f"{r['build']:.0f}",
                f"{r['chunks'] / r['build']:.1f}",
                f"{r['recall_at_k']:.3f}",
                delta,
                f"{r['latency_p50_ms']:.0f}",
            ]
        )
    print(f"corpus: {args.corpus}; {int(next(iter(results.values()))['questions'])} questions")
    print("(index build: only meaningful on a first run; later runs reuse the cached index)\n")
    print(table(rows))


if __name__ == "__main__":
    main()
