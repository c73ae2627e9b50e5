"""The catalog and keyword search on a real PostgreSQL 15 (tests/postgres.py), beside a real
`chroma run` server: the same answers as the embedded store, answerers that need nothing
from their index folder, ingest workers side by side, and recovery from a killed one.

These tests fail, not skip, on a machine without PostgreSQL: scripts/setup --test
installs it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant import Assistant
from assistant.cli import main
from assistant.config import BUNDLED_CORPUS
from assistant.index import Index
from assistant.index.catalog_write import swap
from assistant.index.postgres import PostgresBackend
from assistant.schema import Article, Chunk
from tests.chroma import free_port
from tests.conftest import write

# Collected again here, with `make_assistant` below pointing them at PostgreSQL and the
# Chroma server: the behaviour both backends share.
from tests.test_ingest import (  # noqa: F401
    test_a_file_gives_one_id_however_its_path_is_written,
    test_an_index_made_before_ids_were_resolved_keeps_its_ids,
    test_an_index_with_float16_sentence_vectors_still_answers,
    test_an_older_catalog_learns_its_files_warnings_by_reading_them_once_more,
    test_an_older_catalog_loses_the_article_ids_of_its_sentences,
    test_an_unchanged_files_warnings_are_reported_again,
    test_changed_file_replaces_its_chunks,
    test_chroma_keeps_vectors_and_only_the_metadata_its_filters_read,
    test_file_names_that_are_not_utf8_are_read_kept_apart_and_synced,
    test_one_bad_file_never_stops_the_others,
    test_reingest_of_unchanged_files_embeds_nothing,
    test_sync_removes_articles_whose_files_are_gone,
)
from tests.test_ingest_robust import (  # noqa: F401
    test_canonical_url_is_the_identity,
    test_questions_are_answered_while_an_article_is_replaced,
)

EXE = str(Path(sys.executable).with_name("assistant"))
QUESTIONS = [
    "Who founded Mistral AI?",
    "When did the EU AI Act enter into force?",
    "How much did Microsoft invest in OpenAI?",
    "What did Anthropic launch?",
    "What is the best recipe for banana bread?",
    # A digest of a month (the window's ledes), and of an empty day (the closest ledes).
    "What happened in May 2024?",
    "What happened yesterday?",
]


@pytest.fixture
def make_assistant(make_assistant, catalog_url: str, chroma_server: str):  # type: ignore[no-untyped-def]
    """Assistants whose catalog is in PostgreSQL and whose vectors are on the server."""

    def make(name: str = "index", **overrides):  # type: ignore[no-untyped-def]
        overrides.setdefault("catalog_url", catalog_url)
        return make_assistant(name, chroma_url=chroma_server, **overrides)

    return make


def _env(catalog_url: str, chroma_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "ASSISTANT_CATALOG_URL": catalog_url,
        "ASSISTANT_CHROMA_URL": chroma_url,
        **extra,
    }


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXE, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [EXE, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def make_news(
    folder: Path, prefix: str, n: int, shared_url: str | None = None, edition: int = 1
) -> Path:
    """`n` articles; with `shared_url`, the first one is a story another folder has too."""
    for i in range(n):
        words = " ".join(f"{prefix}word{i}x{j}" for j in range(60))
        url = shared_url if (i == 0 and shared_url) else f"https://news.example/{prefix}/{i}"
        text = f"The council of {prefix} town {i} met on Monday. {words}. Budget {edition}."
        write(folder / f"{prefix}{i:02}.md", f"---\ntitle: {prefix} {i}\nurl: {url}\n---\n{text}\n")
    return folder


def check_store(catalog_url: str, chroma_url: str, folder: Path) -> dict[str, Any]:
    """What the catalog holds, after checking it has no duplicate article and that Chroma
    holds exactly its chunks' vectors."""
    index = Index(folder, chroma_url, catalog_url=catalog_url)
    db = index.db
    urls = [r[0] for r in db.execute("SELECT url_key FROM articles WHERE url_key IS NOT NULL")]
    assert len(urls) == len(set(urls)), "no story is in the catalog twice"
    chunk_ids = sorted(r[0] for r in db.execute("SELECT id FROM chunks"))
    vector_ids = sorted(index.collection.get(include=[])["ids"])
    assert vector_ids == chunk_ids, "Chroma holds exactly the catalog's chunks"
    (unmatched,) = db.execute(
        "SELECT count(*) FROM chunks c LEFT JOIN articles a ON a.id = c.article_id "
        "WHERE a.id IS NULL OR c.words IS NULL"
    ).fetchone()
    assert unmatched == 0, "every chunk has its article and its words"
    state = {
        "articles": sorted(r[0] for r in db.execute("SELECT url_key FROM articles")),
        "chunks": len(chunk_ids),
        "pending": db.execute("SELECT count(*) FROM pending_vectors").fetchone()[0],
    }
    index.close()
    return state


@pytest.mark.slow
def test_same_answers_and_stats_as_the_embedded_store(
    make_assistant, corpus_assistant: Assistant
) -> None:
    """The same articles and questions on both backends give the same answers, to the
    letter, and the same stats: the keyword ranking in SQL is Tantivy's BM25."""
    pg = make_assistant("pg")
    assert pg.ingest([BUNDLED_CORPUS]).ok
    assert pg.stats().to_json() == corpus_assistant.stats().to_json()
    assert pg.index.newest_titles(20) == corpus_assistant.index.newest_titles(20)
    for question in QUESTIONS:
        got, expected = pg.ask(question), corpus_assistant.ask(question)
        assert (got.text, got.short_answer, got.answered) == (
            expected.text,
            expected.short_answer,
            expected.answered,
        ), question
        assert [c.title for c in got.citations] == [c.title for c in expected.citations]
        assert [p.chunk_id for p in got.passages] == [p.chunk_id for p in expected.passages]


@pytest.mark.slow
def test_an_answerer_needs_nothing_from_its_index_folder(
    catalog_url: str, chroma_server: str, tmp_path: Path
) -> None:
    """Ingested from one folder, asked from two processes with other, empty folders: the
    same answers and stats, and the folders stay empty."""
    env = _env(catalog_url, chroma_server)
    ingested = _run(["ingest", str(BUNDLED_CORPUS), "--index", str(tmp_path / "writer")], env)
    assert ingested.returncode == 0, ingested.stderr
    outputs = []
    for name in ("reader-1", "reader-2"):
        folder = tmp_path / name
        folder.mkdir()
        stats = _run(["stats", "--json", "--index", str(folder)], env)
        ask = _run(["ask", "--json", "--index", str(folder), QUESTIONS[0]], env)
        assert stats.returncode == 0 and ask.returncode == 0, stats.stderr + ask.stderr
        assert list(folder.iterdir()) == [], "nothing is written to an answerer's folder"
        outputs.append((json.loads(stats.stdout), json.loads(ask.stdout)))
    assert outputs[0] == outputs[1]
    assert outputs[0][0]["articles"] == 13 and "Mensch" in outputs[0][1]["answer"]


@pytest.mark.slow
def test_two_ingest_workers_run_side_by_side(
    catalog_url: str, chroma_server: str, tmp_path: Path
) -> None:
    """Two workers at once, on different inputs (sharing one story) and then on the same
    input: both succeed, and no article is there twice."""
    env = _env(catalog_url, chroma_server, ASSISTANT_WRITE_BATCH="4")
    shared = "https://news.example/shared-story"
    first = make_news(tmp_path / "a", "alpha", 12, shared_url=shared)
    second = make_news(tmp_path / "b", "beta", 12, shared_url=shared)
    workers = [
        _start(["ingest", str(news), "--index", str(tmp_path / f"w{i}")], env)
        for i, news in enumerate((first, second))
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err
    state = check_store(catalog_url, chroma_server, tmp_path / "check")
    assert len(state["articles"]) == 12 + 12 - 1, "the shared story is one article"
    assert state["pending"] == 0

    same = make_news(tmp_path / "c", "gamma", 12)
    workers = [
        _start(["ingest", str(same), "--index", str(tmp_path / f"s{i}")], env) for i in range(2)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err
    state = check_store(catalog_url, chroma_server, tmp_path / "check")
    assert len(state["articles"]) == 23 + 12


@pytest.mark.slow
@pytest.mark.parametrize(
    ("point", "editions"), [("upserted:2", (1,)), ("swapped:2", (1, 2))], ids=["new", "changed"]
)
def test_a_killed_worker_is_recovered(
    point: str, editions: tuple[int, ...], catalog_url: str, chroma_server: str, tmp_path: Path
) -> None:
    """SIGKILLed mid-write, a worker leaves vectors the catalog does not list: new ones
    before its catalog transaction, replaced ones after it (a transaction is never
    half-done). The next ingest sweeps them."""
    news = make_news(tmp_path / "news", "delta", 10)
    env = _env(catalog_url, chroma_server, ASSISTANT_WRITE_BATCH="4")
    if len(editions) > 1:
        assert _run(["ingest", str(news), "--index", str(tmp_path / "first")], env).returncode == 0
        make_news(tmp_path / "news", "delta", 10, edition=editions[-1])
    killed = _run(["ingest", str(news), "--index", str(tmp_path / "killed")], {
        **env, "NEWS_ASSISTANT_CRASH_AT": point})  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    index = Index(tmp_path / "look", chroma_server, catalog_url=catalog_url)
    listed = {r[0] for r in index.db.execute("SELECT id FROM chunks")}
    held = set(index.collection.get(include=[])["ids"])
    assert held - listed, "the killed worker left orphan vectors behind"
    index.close()

    resumed = _run(["ingest", str(news), "--index", str(tmp_path / "resumed")], env)
    assert resumed.returncode == 0, resumed.stderr
    state = check_store(catalog_url, chroma_server, tmp_path / "check")
    assert len(state["articles"]) == 10 and state["pending"] == 0


def test_a_bad_catalog_url_is_a_clear_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Not PostgreSQL, or no server there: one line saying so, and no password shown."""
    index = ["--index", str(tmp_path / "index")]
    assert main(["stats", "--catalog-url", "mysql://db.example/news", *index]) == 1
    assert "catalog_url must be a PostgreSQL URL" in capsys.readouterr().err
    nowhere = f"postgresql://news:s3cret@127.0.0.1:{free_port()}/news"
    assert main(["stats", "--catalog-url", nowhere, *index]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the PostgreSQL catalog at postgresql://news:***@127.0.0.1" in err
    assert "s3cret" not in err and "--catalog-url" in err


def test_two_writers_in_one_process_are_two_writers(catalog_url: str) -> None:
    """Two ingests through one backend, on two threads (uploads in two chats): the first
    to finish neither clears the other's journal nor lets another worker sweep what the
    other is still writing; once the other ends unfinished, its journal is swept."""
    backend, elsewhere = PostgresBackend(catalog_url), PostgresBackend(catalog_url)
    journaled, finish = threading.Event(), threading.Event()

    def second() -> None:
        with backend.writer_lock():
            backend.will_write(["second:1:0"])
            journaled.set()
            finish.wait(timeout=60)
        backend.release()  # as Index.writer_lock does, without mark_clean: unfinished
        backend.close()

    thread = threading.Thread(target=second)
    thread.start()
    try:
        assert journaled.wait(timeout=60)
        with backend.writer_lock():
            backend.will_write(["first:1:0"])
            backend.mark_clean()
        backend.release()
        swept: list[frozenset[str] | None] = []

        def sweep(ids: frozenset[str] | None) -> int:
            swept.append(ids)
            return 0

        elsewhere.recover(sweep)
        journal = [r[0] for r in elsewhere.db.execute("SELECT chunk_id FROM pending_vectors")]
        assert (swept, journal) == ([], ["second:1:0"]), "the second writer is still alive"
    finally:
        finish.set()
        thread.join(timeout=60)
    # The server lets go of a closed connection's lock a moment after the close.
    deadline = time.monotonic() + 30
    while not swept and time.monotonic() < deadline:
        elsewhere.recover(sweep)
        time.sleep(0.05)  # polling a condition
    assert swept == [frozenset({"second:1:0"})]
    backend.close()
    elsewhere.close()


class CountingConnection:
    """A real catalog connection that counts the statements sent through it."""

    def __init__(self, db: Any) -> None:
        self.db, self.statements = db, 0

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        self.statements += 1
        return self.db.execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        self.statements += 1
        return self.db.executemany(sql, parameters)

    def __enter__(self) -> Any:
        self.db.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self.db.__exit__(*exc)


def _articles(prefix: str, n: int, chunks: int) -> list[tuple[Article, list[Chunk]]]:
    items = []
    for i in range(n):
        text = " ".join(f"Sentence {j} of {prefix} story {i}." for j in range(chunks))
        article = Article(
            f"{prefix}-{i}", f"{prefix} {i}", text, f"https://news.example/{prefix}/{i}"
        )
        step = len(text) // chunks
        items.append((article, [
            Chunk(f"{article.id}:{article.version}:{j}", article.id, j,
                  text[j * step : (j + 1) * step], j * step, (j + 1) * step)
            for j in range(chunks)
        ]))  # fmt: skip
    return items


@pytest.mark.parametrize("backend", ["embedded", "postgres"])
def test_a_catalog_write_takes_the_same_statements_for_few_articles_as_for_many(
    backend: str, catalog_url: str, tmp_path: Path
) -> None:
    """On PostgreSQL a statement is a round trip, held under the write's article locks:
    a write of 25 articles (added, then replaced) sends as many as a write of 2."""
    index = Index(tmp_path / "index", catalog_url=catalog_url if backend == "postgres" else None)
    counts = []
    for n in (2, 25):  # 100 chunks: one statement's worth (catalog_write.py)
        for edition in (1, 2):
            items = _articles(f"e{edition}-n{n}", n, chunks=4)
            if edition == 2:  # the same stories under new ids: each replaces one of edition 1
                items = [(Article(a.id + "-new", a.title, a.text + " More.", a.url), cs)
                         for a, cs in _articles(f"e1-n{n}", n, chunks=4)]  # fmt: skip
                items = [(a, [Chunk(c.id.replace(c.article_id, a.id), a.id, c.index, c.text,
                                    c.start, c.end) for c in cs]) for a, cs in items]  # fmt: skip
            sentences = [
                [((c.start, c.end), np.ones(8, np.float32))] for _, cs in items for c in cs
            ]
            db = CountingConnection(index.db)
            stale = swap(db, items, (), sentences, index.store)
            counts.append(db.statements)
            assert len(stale) == (4 * n if edition == 2 else 0)
    assert counts[0] == counts[2] and counts[1] == counts[3], counts
    assert index.stats().articles == 27 and index.chunk_count() == 108
    (stored,) = index.db.execute("SELECT count(*) FROM sentence_vectors").fetchone()
    assert stored == 108
    index.close()
