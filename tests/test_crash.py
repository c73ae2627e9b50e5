"""SIGKILL the real `assistant ingest` process mid-run; the next run converges to a clean index.

Converged means: the same articles and chunks as an uninterrupted run, no duplicates,
Chroma's vectors and the keyword index's documents exactly the catalog's chunks.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant
from assistant.index import KEYWORD_DIR, Index
from tests.conftest import write

# Small write batches make many flushes, so there are many points to crash at.
ENV = {**os.environ, "ASSISTANT_WRITE_BATCH": "4", "HF_HUB_OFFLINE": "1"}
EXE = str(Path(sys.executable).with_name("assistant"))


def make_news(folder: Path, edition: int, n: int = 14) -> Path:
    for i in range(n):
        words = " ".join(f"word{i}x{j}" for j in range(80))
        text = (
            f"Story {i} of edition {edition}: the council of town {i} met on Monday. {words}. "
            f"It decided that project {i} gets {i + edition} million euros."
        )
        url = f"url: https://news.example/{i}\n" if i % 2 else ""
        write(folder / f"s{i:02}.md", f"---\ntitle: Town {i} budget\n{url}---\n{text}\n")
    return folder


def ingest(folder: Path, index: Path, crash_at: str | None = None) -> subprocess.CompletedProcess:
    env = {**ENV, "NEWS_ASSISTANT_CRASH_AT": crash_at} if crash_at else ENV
    cmd = [EXE, "ingest", str(folder), "--index", str(index)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)


def resume(news: Path, index: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    """The re-run, in this process (first open of `index` here, so no stale Chroma cache)."""
    assistant = Assistant(index_dir=index, auto_ingest=False, embedder=embedder)
    report = assistant.ingest([news])
    assert report.ok, report.failed
    assistant.index.close()


def snapshot(index_dir: Path, news: Path) -> dict[str, Any]:
    """Everything that must match between a crashed-and-resumed index and a clean one.

    Ids made from file paths are compared relative to the news folder.
    """
    index = Index(index_dir)
    db = index.db
    chunk_ids = [r[0] for r in db.execute("SELECT id FROM chunks")]
    vector_ids = index.collection.get(include=[])["ids"]
    assert len(set(vector_ids)) == len(vector_ids), "no duplicate vectors"
    assert sorted(vector_ids) == sorted(chunk_ids), "Chroma holds exactly the catalog's chunks"
    assert (index_dir / KEYWORD_DIR / "meta.json").exists(), "the ingest wrote a keyword index"
    keyword_ids = index.keyword.ids()
    assert keyword_ids == set(chunk_ids), "the keyword index holds exactly the catalog's chunks"
    assert index.keyword.count() == len(chunk_ids), "one keyword document per chunk"
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def rel(article_id: str) -> str:
        return article_id.removeprefix(str(news.resolve()))

    articles = db.execute("SELECT id, version, n_chunks FROM articles")
    chunks = db.execute('SELECT id, article_id, idx, start, "end", text FROM chunks')
    state = {
        "articles": sorted((rel(a), v, n) for a, v, n in articles),
        "chunks": sorted((c.split(":")[1], rel(a), *rest) for c, a, *rest in chunks),
    }
    index.close()
    return state


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, shared_embedder) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Uninterrupted runs: edition 1, then edition 2 over it."""
    root = tmp_path_factory.mktemp("reference")
    news, index = root / "news", root / "index"
    resume(make_news(news, 1), index, shared_embedder)
    first = snapshot(index, news)
    resume(make_news(news, 2), index, shared_embedder)
    return {"first": first, "second": snapshot(index, news)}


@pytest.mark.slow
@pytest.mark.parametrize("point", ["upserted:1", "swapped:4"])
def test_killed_during_first_ingest_converges(point, reference, shared_embedder, tmp_path: Path):
    news, index = make_news(tmp_path / "news", 1), tmp_path / "index"
    crashed = ingest(news, index, crash_at=point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    resume(news, index, shared_embedder)
    assert snapshot(index, news) == reference["first"]


@pytest.mark.slow
@pytest.mark.parametrize("point", ["upserted:2", "swapped:2"])
def test_killed_while_replacing_articles_converges(
    point, reference, shared_embedder, tmp_path: Path
):
    news, index = make_news(tmp_path / "news", 1), tmp_path / "index"
    assert ingest(news, index).returncode == 0
    make_news(news, 2)
    crashed = ingest(news, index, crash_at=point)
    assert crashed.returncode == -signal.SIGKILL
    resume(news, index, shared_embedder)
    assert snapshot(index, news) == reference["second"]


@pytest.mark.slow
def test_killed_from_outside_at_an_arbitrary_moment_converges(
    reference, shared_embedder, tmp_path: Path
):
    """A plain external SIGKILL once some articles are in, wherever the process is."""
    news, index = make_news(tmp_path / "news", 1), tmp_path / "index"
    cmd = [EXE, "ingest", str(news), "--index", str(index)]
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while _articles(index) < 4 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.kill()
    assert proc.wait() == -signal.SIGKILL, "killed mid-run, not after it finished"
    assert 4 <= _articles(index) < 14
    resume(news, index, shared_embedder)
    assert snapshot(index, news) == reference["first"]


def _articles(index: Path) -> int:
    path = index / "catalog.sqlite3"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is not created yet
        return 0
