"""The same ingest and ask tests, with the vectors on a real `chroma run` server on loopback."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from assistant.cli import main
from tests.chroma import free_port
from tests.conftest import write

# Collected again here, with `make_assistant` below pointing them at the server.
from tests.test_ingest import (  # noqa: F401
    test_changed_file_replaces_its_chunks,
    test_one_bad_file_never_stops_the_others,
    test_reingest_of_unchanged_files_embeds_nothing,
    test_sync_removes_articles_whose_files_are_gone,
)
from tests.test_ingest_robust import (  # noqa: F401
    test_canonical_url_is_the_identity,
    test_questions_are_answered_while_an_article_is_replaced,
)


@pytest.fixture
def make_assistant(make_assistant, chroma_server: str):  # type: ignore[no-untyped-def]
    """Assistants whose vectors live on the server (each index gets its own collection)."""

    def make(name: str = "index", **overrides):  # type: ignore[no-untyped-def]
        return make_assistant(name, chroma_url=chroma_server, **overrides)

    return make


def test_nothing_is_stored_locally_but_the_catalog(make_assistant, tmp_path: Path):
    write(tmp_path / "n" / "a.md", "---\ntitle: Pier\n---\nThe pier reopened in May.\n")
    assistant = make_assistant()
    assert assistant.ingest([tmp_path / "n"]).ok
    assert not (tmp_path / "index" / "chroma").exists()
    assert assistant.index.collection.count() == assistant.index.chunk_count() > 0


def test_two_indexes_on_one_server_never_sweep_each_other(make_assistant, tmp_path: Path):
    write(tmp_path / "a" / "a.md", "---\ntitle: Pier\n---\nThe pier reopened in May.\n")
    write(tmp_path / "b" / "b.md", "---\ntitle: Mill\n---\nThe old mill was restored.\n")
    one, two = make_assistant("one"), make_assistant("two")
    one.ingest([tmp_path / "a"])
    two.ingest([tmp_path / "b"])
    assert one.index.sweep() == 0 and two.index.sweep() == 0
    assert one.index.collection_name != two.index.collection_name
    assert one.index.collection.count() == one.index.chunk_count()


def test_cli_ingest_and_ask_on_the_server(chroma_server: str, tmp_path: Path, capsys):
    write(
        tmp_path / "n" / "a.md",
        "---\ntitle: Lighthouse sold\nsource: Coast News\n---\nThe old lighthouse at Cape "
        "Sample was sold at auction to a marine research charity.\n",
    )
    index = str(tmp_path / "idx")
    flags = ["--index", index, "--chroma-url", chroma_server]
    assert main(["ingest", str(tmp_path / "n"), *flags]) == 0
    assert "1 added" in capsys.readouterr().out
    assert main(["ask", "Who bought the lighthouse?", "--json", *flags]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["answered"] and "marine research charity" in data["answer"]
    assert not (Path(index) / "chroma").exists()


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path, capsys):
    write(tmp_path / "n" / "a.md", "---\ntitle: Pier\n---\nThe pier reopened in May.\n")
    url = f"http://127.0.0.1:{free_port()}"
    assert (
        main(["ingest", str(tmp_path / "n"), "--index", str(tmp_path / "i"), "--chroma-url", url])
        == 1
    )
    err = capsys.readouterr().err
    assert "Error: cannot" in err and "chroma run" in err and "Traceback" not in err


def test_the_catalog_remembers_where_its_vectors_are(chroma_server: str, tmp_path: Path, capsys):
    """Opened without the server its vectors are on, an index refuses, naming that server,
    instead of making an empty embedded store and answering from keywords alone."""
    write(
        tmp_path / "n" / "a.md", "---\ntitle: Pier\n---\nThe pier at Sandmouth reopened in May.\n"
    )
    index = tmp_path / "idx"
    question = ["ask", "When did the pier reopen?", "--json", "--index", str(index)]
    assert (
        main(["ingest", str(tmp_path / "n"), "--index", str(index), "--chroma-url", chroma_server])
        == 0
    )
    capsys.readouterr()

    assert main(question) == 1
    assert capsys.readouterr().err == (
        f"Error: the vectors of the index at {index} are on the Chroma server at {chroma_server}: "
        f"open it with --chroma-url {chroma_server} (or ASSISTANT_CHROMA_URL={chroma_server})\n"
    )
    assert not (index / "chroma").exists(), "no empty embedded store was made"
    assert main(["stats", "--index", str(index)]) == 0, "the catalog alone still reads"
    capsys.readouterr()

    # The same server at another address holds the collection: the index follows it.
    moved = chroma_server + "/"
    assert main([*question, "--chroma-url", moved]) == 0
    assert "Sandmouth" in json.loads(capsys.readouterr().out)["answer"]
    assert main(question) == 1
    assert f"on the Chroma server at {moved}:" in capsys.readouterr().err

    # A catalog made before the address was recorded still knows its vectors are remote.
    with sqlite3.connect(index / "catalog.sqlite3") as db:
        db.execute("DELETE FROM meta WHERE key = 'vectors'")
    assert main(question) == 1
    assert "on a Chroma server whose address it did not record" in capsys.readouterr().err

    # And an index whose vectors are in its folder is not opened on a server.
    local = tmp_path / "local"
    assert main(["ingest", str(tmp_path / "n"), "--index", str(local)]) == 0
    capsys.readouterr()
    assert (
        main(
            [
                "ask",
                "When did the pier reopen?",
                "--index",
                str(local),
                "--chroma-url",
                chroma_server,
            ]
        )
        == 1
    )
    assert f"are inside that folder, not on the Chroma server at {chroma_server}" in (
        capsys.readouterr().err
    )
