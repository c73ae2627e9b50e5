"""Peak memory of our ingest against corpus size, with the vectors on a Chroma server.

    .venv/bin/chroma run --path /tmp/chroma-bench --port 8765 &     # ANONYMIZED_TELEMETRY=False
    .venv/bin/python benchmarks/ingest_memory.py --limit 300 --chroma-url http://127.0.0.1:8765
    .venv/bin/python benchmarks/ingest_memory.py --chroma-url http://127.0.0.1:8765   # all 2,095

One ingest into a fresh temporary index per run; prints the process's peak RSS after loading
the model and after the ingest, and its current and peak RSS at every tenth of the corpus:
memory bounded by the batch size levels off after the first batches, memory that grows with
the corpus climbs all the way. Without --chroma-url the vectors go to the embedded store,
whose in-memory HNSW graph then counts too (benchmarks/ingest.py reports that case).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from common import peak_mb, subset, table


def rss_mb() -> float:
    """This process's resident memory now (not its peak)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N dev articles")
    parser.add_argument("--chroma-url", help="a running Chroma server (else the embedded store)")
    args = parser.parse_args()
    from assistant import Assistant

    corpus = subset(args.limit)
    folder = Path(tempfile.mkdtemp(prefix="ingest-memory-"))
    try:
        assistant = Assistant(index_dir=folder, auto_ingest=False, chroma_url=args.chroma_url)
        assistant.embedder.embed(["load the model first"])
        loaded = peak_mb()
        trace: list[list[str]] = [["articles read", "RSS MB", "peak RSS MB"]]
        step = [0.0]

        def progress(done: int, total: int) -> None:
            if total and done / total >= step[0]:
                trace.append([f"{done:,}", f"{rss_mb():,.0f}", f"{peak_mb():,.0f}"])
                step[0] += 0.1

        start = time.perf_counter()
        report = assistant.ingest([corpus], progress=progress)
        seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"{len(report.added)} articles, {report.chunks_embedded} chunks in {seconds:.0f} s; "
        f"peak RSS {loaded:.0f} MB with the model loaded, {peak_mb():.0f} MB after the ingest\n"
    )
    print(table(trace))


if __name__ == "__main__":
    main()
