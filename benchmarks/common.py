"""What the benchmark scripts share: the dev corpus, a cache folder, child processes.

Each measured pipeline runs in a fresh child process, so its peak memory (ru_maxrss) is its
own and one run's warm caches do not flatter the next. Children print one JSON line.
Nothing here copies corpus text into the repository: subsets go to the cache folder.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "eval" / "realtimeqa-dev"
DEV_CORPUS = DEV / "corpus.jsonl"
DEV_QUESTIONS = DEV / "questions.jsonl"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base) / "news-assistant" / "bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def subset(limit: int | None, corpus: Path = DEV_CORPUS) -> Path:
    """The first `limit` articles of the corpus as a file in the cache (all: the corpus)."""
    if not limit:
        return corpus
    target = cache_dir() / f"{corpus.stem}-first{limit}.jsonl"
    if not target.exists():
        with corpus.open(encoding="utf-8") as f:
            lines = [line for _, line in zip(range(limit), f, strict=False)]
        target.write_text("".join(lines), encoding="utf-8")
    return target


def our_texts(
    corpus: Path, backend: str, batch_size: int | None = None
) -> tuple[Any, int, list[str]]:
    """An Embedder, the number of articles in `corpus`, and the exact texts our ingest
    embeds for them (title and chunk), chunked with our chunker (not timed)."""
    from assistant.embedding import Embedder
    from assistant.ingest import Chunker
    from assistant.sources import read_file

    embedder = Embedder(backend=backend)
    if batch_size is not None:
        embedder.batch_size = batch_size
    chunker = Chunker(embedder.tokenizer, embedder.max_tokens)
    articles = [a for a in read_file(corpus) if not isinstance(a, Exception)]
    texts = [
        chunker.policy.embed_text(chunker.title_for_embedding(a.title), c.text)
        for a in articles
        for c in chunker.split(a)
    ]
    return embedder, len(articles), texts


def peak_mb() -> float:
    """This process's peak resident memory (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(**figures: Any) -> None:
    print(json.dumps({**figures, "peak_mb": round(peak_mb(), 1)}), flush=True)


def child(script: str, *args: str) -> dict[str, Any]:
    """Run `python benchmarks/<script> args...` and return the JSON its last line prints."""
    cmd = [sys.executable, str(ROOT / "benchmarks" / script), *args]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def table(rows: list[list[str]]) -> str:
    """A Markdown table; the first row is the header."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    lines.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    return "\n".join(lines)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    i = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[i]
