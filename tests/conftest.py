"""Shared fixtures: the real embedding model, real Chroma stores in temporary folders, a
real `chroma run` server and a real PostgreSQL server on loopback."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant
from assistant.config import BUNDLED_CORPUS
from tests.chroma import chroma_server as run_chroma
from tests.postgres import new_database, postgres_server

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARED = Path(__file__).resolve().parents[2] / "shared"
EVAL_DIR = SHARED / "eval" / "realtimeqa-dev"


@pytest.fixture(scope="session")
def corpus_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """An Assistant over the bundled corpus, ingested once per test session."""
    assistant = Assistant(index_dir=tmp_path_factory.mktemp("corpus-index"), auto_ingest=False)
    report = assistant.ingest([BUNDLED_CORPUS])
    assert report.ok, report.failed
    return assistant


@pytest.fixture(scope="session")
def shared_embedder(corpus_assistant: Assistant):  # type: ignore[no-untyped-def]
    """The loaded model, reused so each test does not pay for loading it again."""
    return corpus_assistant.embedder


@pytest.fixture(scope="session")
def linguist(corpus_assistant: Assistant):  # type: ignore[no-untyped-def]
    """spaCy's pipeline, loaded once for the session."""
    return corpus_assistant.linguist


@pytest.fixture
def make_assistant(tmp_path: Path, shared_embedder, linguist):  # type: ignore[no-untyped-def]
    """A factory of Assistants on a fresh, empty index in this test's temp folder."""

    def make(name: str = "index", **overrides) -> Assistant:  # type: ignore[no-untyped-def]
        overrides.setdefault("embedder", shared_embedder)
        overrides.setdefault("linguist", linguist)
        return Assistant(index_dir=tmp_path / name, auto_ingest=False, **overrides)

    return make


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    """`records` as a JSON Lines file, one per line."""
    return write(path, "".join(json.dumps(r) + "\n" for r in records))


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server, started from the `chroma` next to this Python, telemetry off."""
    try:
        with run_chroma(tmp_path_factory.mktemp("chroma-server")) as (url, _):
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A real PostgreSQL 15 server for the session (tests/postgres.py); its base URL."""
    with postgres_server() as url:
        yield url


@pytest.fixture
def catalog_url(postgres: str) -> str:
    """The URL of a new, empty database on the session's PostgreSQL server."""
    return new_database(postgres)
