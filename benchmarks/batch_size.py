"""Embedding batch sizes side by side: chunks/s and peak memory of embedding dev chunks.

    .venv/bin/python benchmarks/batch_size.py                   # onnx-int8, sizes 1 2 4 8 16 64
    .venv/bin/python benchmarks/batch_size.py --backend torch --sizes 4 16 64

Each size runs in its own process (its peak memory is its own) on the same chunks: our
chunks of the first dev articles, embedded as ingest embeds them (token vectors and pooled
sentence vectors, `Embedder.embed_spans`), best of `--repeat` passes. Sizes are run in
rotating order, so a slow spell of a shared machine does not always land on the same one.
The default batch size (`assistant/config.py`) is the one this chose.
"""

from __future__ import annotations

import argparse
import sys
import time

from common import child, emit, our_texts, peak_mb, subset, table


def run_child(size: int, backend: str, chunks: int, repeat: int) -> None:
    from assistant.text.nlp import Linguist

    # ~17 chunks an article: the first chunks // 8 articles hold enough of them.
    embedder, _, texts = our_texts(subset(max(1, chunks // 8)), backend, size)
    texts = texts[:chunks]
    spans = [Linguist().sentences(t) for t in texts]
    embedder.embed(["load the model before the clock starts"])
    loaded = peak_mb()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        embedder.embed_spans(texts, spans)
        best = min(best, time.perf_counter() - start)
    emit(size=size, chunks=len(texts), seconds=best, loaded_mb=round(loaded, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="onnx-int8", choices=("torch", "onnx", "onnx-int8"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4, 8, 16, 64])
    parser.add_argument("--chunks", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        run_child(args.child, args.backend, args.chunks, args.repeat)
        return
    results: dict[int, list[dict[str, float]]] = {s: [] for s in args.sizes}
    for r in range(args.rounds):
        order = args.sizes[r % len(args.sizes) :] + args.sizes[: r % len(args.sizes)]
        for size in order:
            results[size].append(
                child(
                    "batch_size.py",
                    f"--child={size}",
                    f"--backend={args.backend}",
                    f"--chunks={args.chunks}",
                    f"--repeat={args.repeat}",
                )
            )
    rate = {s: max(r["chunks"] / r["seconds"] for r in runs) for s, runs in results.items()}
    base = rate[max(args.sizes)]
    rows = [["batch size", "chunks/s (best)", f"vs batch {max(args.sizes)}", "peak MB"]]
    for size, runs in results.items():
        rows.append(
            [
                str(size),
                f"{rate[size]:.1f}",
                f"{rate[size] / base:.2f}x",
                f"{max(r['peak_mb'] for r in runs):,.0f}",
            ]
        )
    loaded = min(r["loaded_mb"] for runs in results.values() for r in runs)
    print(f"{args.backend}, {int(results[args.sizes[0]][0]['chunks'])} dev chunks, ", end="")
    print(f"{args.rounds} rounds, best of {args.repeat} passes; model loaded: {loaded:,.0f} MB\n")
    print(table(rows))


if __name__ == "__main__":
    sys.exit(main())
