"""Chunking policies side by side: recall@5 and answer in context on the dev questions.

    .venv/bin/python benchmarks/chunking.py                       # corpus-small (329 articles)
    .venv/bin/python benchmarks/chunking.py --policies 160/32/40 200/32/40
    .venv/bin/python benchmarks/chunking.py --corpus .../corpus.jsonl --policies 160/32/40

A policy is CHUNK/OVERLAP/TITLE in model tokens: the chunk's body budget, the overlap
repeated from the previous chunk, and the title budget prepended to what the model reads
(0: no title). Every chunk plus its title stays inside the model's 256-token window.

For each policy the evaluation harness (assistant/evaluation.py) builds its own cached
index of the corpus (timed when it is new) and asks the dev questions that have gold
articles, plain and as of each question's date. A passage is its matched chunk widened by
its neighbours, so a policy with bigger chunks also hands the answer more text; the
`context chars` column shows how much, so a gain bought only by a longer context is
visible as such. `--widen N` sets the neighbours on each side (default: the retriever's).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from common import DEV, DEV_QUESTIONS, cache_dir, table

DEFAULT_POLICIES = (
    "160/32/40",  # the shipped policy
    "96/16/40",
    "128/32/40",
    "200/32/40",
    "160/0/40",
    "160/64/40",
    "160/32/0",
)


def parse(spec: str) -> tuple[int, int, int]:
    try:
        chunk, overlap, title = (int(x) for x in spec.split("/"))
    except ValueError:
        raise SystemExit(f"policy {spec!r}: write CHUNK/OVERLAP/TITLE, e.g. 160/32/40") from None
    return chunk, overlap, title


def measure(corpus: Path, spec: str, widen: int | None) -> dict[str, object]:
    from assistant.evaluation import eval_assistant, evaluate, load_questions
    from assistant.ingest import ChunkingPolicy
    from assistant.schema import Filters

    chunk, overlap, title = parse(spec)
    policy = ChunkingPolicy(chunk_tokens=chunk, overlap_tokens=overlap, title_tokens=title)
    start = time.perf_counter()
    assistant = eval_assistant(corpus, cache_dir=cache_dir() / "eval-chunking", policy=policy)
    assistant.ready()
    build = time.perf_counter() - start
    if widen is not None:
        retriever = assistant.retriever
        retriever.policy = dataclasses.replace(
            retriever.policy, context_before=widen, context_after=widen
        )
    questions = [q for q in load_questions(DEV_QUESTIONS) if q.gold_ids]
    out: dict[str, object] = {"build": build, "chunks": assistant.index.chunk_count()}
    for as_of in (False, True):
        result = evaluate(assistant, questions, k=5, as_of_question_date=as_of)
        chars = [
            len(p.text)
            for q in questions
            for p in assistant.retriever.search(
                q.question, 5, Filters(as_of=q.date) if as_of else None
            ).passages
        ]
        out[as_of] = {**result.metrics, "context": sum(chars) / len(questions)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEV / "corpus-small.jsonl")
    parser.add_argument("--policies", nargs="+", default=list(DEFAULT_POLICIES))
    parser.add_argument("--widen", type=int, default=None)
    args = parser.parse_args()
    for spec in args.policies:
        parse(spec)
    rows = [
        [
            "policy",
            "chunks",
            "build s",
            "as of",
            "recall@5",
            "MRR",
            "answer in context",
            "context chars",
        ]
    ]
    for spec in args.policies:
        r = measure(args.corpus, spec, args.widen)
        for as_of in (False, True):
            m = r[as_of]
            assert isinstance(m, dict)
            rows.append(
                [
                    spec,
                    f"{r['chunks']:,}",
                    f"{r['build']:.0f}",
                    "yes" if as_of else "no",
                    f"{m['recall_at_k']:.3f}",
                    f"{m['mrr']:.3f}",
                    f"{m['answer_in_context']:.3f}",
                    f"{m['context']:,.0f}",
                ]
            )
        print(f"done {spec}", flush=True)
    print(f"\ncorpus: {args.corpus}; questions with gold articles, k = 5")
    print("(build s: only meaningful on a first run; later runs reuse the cached index)\n")
    print(table(rows))


if __name__ == "__main__":
    main()
