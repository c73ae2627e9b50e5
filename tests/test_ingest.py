"""Incremental ingest: unchanged is free, changed replaces, --sync removes, bad input kept apart."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import IndexError_
from assistant.index import KEYWORD_DIR, Scope, vector_store
from assistant.index.catalog import CATALOG_FILE
from assistant.sources import path_text
from tests.conftest import write, write_jsonl

ARTICLE = """---
title: Harbour bridge reopens
source: Test Gazette
published: 2024-03-01
---
The harbour bridge in Exampleton reopened on Friday after eight months of repairs.
The city council said the repairs cost 12 million euros. Traffic returned to normal by noon.
"""


def test_reingest_of_unchanged_files_embeds_nothing(make_assistant, tmp_path: Path):
    write(tmp_path / "news" / "bridge.md", ARTICLE)
    assistant = make_assistant()
    first = assistant.ingest([tmp_path / "news"])
    assert len(first.added) == 1 and first.chunks_embedded > 0
    again = assistant.ingest([tmp_path / "news"])
    assert again.chunks_embedded == 0
    assert len(again.unchanged) == 1 and not again.added and not again.updated


UNDATED = "---\ntitle: Ferry returns\npublished: sometime soon-ish\n---\nThe ferry returned.\n"


def test_an_unchanged_files_warnings_are_reported_again(
    make_assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A file skipped as unchanged still has no date: every ingest says so, naming the file
    as it was given that time; once the file is fixed, it no longer does."""
    folder = tmp_path / "news"
    undated = write(folder / "undated.md", UNDATED)
    write_jsonl(
        folder / "lines.jsonl",
        [
            {"id": "dated", "text": "The dam was drained.", "date": "2024-03-01"},
            {"id": "undated", "text": "The mill closed.", "date": "31/02/2024"},
        ],
    )
    assistant = make_assistant()
    first = assistant.ingest([folder])
    assert len(first.added) == 3 and [w for w, _ in first.warnings] == [
        f"{folder}/lines.jsonl:2",
        f"{folder}/undated.md",
    ]
    again = assistant.ingest([folder])
    assert len(again.unchanged) == 3 and again.chunks_embedded == 0
    assert again.warnings == first.warnings
    monkeypatch.chdir(tmp_path)
    named = assistant.ingest(["news"])
    assert len(named.unchanged) == 3
    assert named.warnings == [
        ("news/lines.jsonl:2", first.warnings[0][1]),
        ("news/undated.md", first.warnings[1][1]),
    ]
    write(undated, UNDATED.replace("sometime soon-ish", "2024-03-05"))
    fixed = assistant.ingest([folder])
    assert len(fixed.updated) == 1 and fixed.warnings == first.warnings[:1]
    assert assistant.ingest([folder]).warnings == fixed.warnings


def test_an_older_catalog_learns_its_files_warnings_by_reading_them_once_more(
    make_assistant, tmp_path: Path
):
    """Older catalogs kept no warnings with their files: opening one adds the column, and
    the next ingest reads each such file again (embedding nothing) to learn them."""
    write(tmp_path / "news" / "undated.md", UNDATED)
    assistant = make_assistant()
    first = assistant.ingest([tmp_path / "news"])
    assert len(first.added) == 1 and len(first.warnings) == 1
    with assistant.index.db:  # as an older version made it
        assistant.index.db.execute("ALTER TABLE files DROP COLUMN warnings")
    assistant.index.close()

    reopened = make_assistant()
    again = reopened.ingest([tmp_path / "news"])
    assert again.unchanged == first.added and again.chunks_embedded == 0
    assert again.warnings == first.warnings
    (stored,) = reopened.index.db.execute("SELECT warnings FROM files").fetchone()
    assert stored is not None and "sometime soon-ish" in stored
    assert reopened.ingest([tmp_path / "news"]).warnings == first.warnings


def test_file_names_that_are_not_utf8_are_read_kept_apart_and_synced(
    make_assistant, tmp_path: Path
):
    """On Linux a file name is bytes. A Latin-1 name (in a Latin-1 folder) is read like any
    other: recorded, named in messages and made an id with its odd bytes written \\xNN,
    titled with U+FFFD, known again while unchanged, and removed by --sync once gone. Two
    names that differ only in such bytes are two articles."""
    folder = tmp_path / os.fsdecode(b"caf\xe9s")
    folder.mkdir()
    cafe = folder / os.fsdecode(b"caf\xe9.json")
    cafe.write_text(json.dumps({"text": "The new cafe on the square opened on Monday."}))
    bakery = folder / os.fsdecode(b"caf\xe8.json")
    bakery.write_text(json.dumps({"title": "Bakery", "text": "The bakery closed on Friday."}))
    (folder / os.fsdecode(b"empty\xff.txt")).write_bytes(b"")
    assistant = make_assistant()
    report = assistant.ingest([folder])
    assert sorted(report.added) == sorted(path_text(p) for p in (cafe, bakery))
    assert report.failed == [(f"{path_text(folder)}/empty\\xff.txt", "file is empty")]
    rows = assistant.index.db.execute("SELECT id, title, path FROM articles ORDER BY title")
    assert [(title, path) for _, title, path in rows] == [
        ("Bakery", path_text(bakery.resolve())),
        ("Caf\ufffd", path_text(cafe.resolve())),
    ]
    answer = assistant.ask("When did the new cafe open?")
    assert "Monday" in answer.text and answer.citations[0].article_id == path_text(cafe)

    again = assistant.ingest([folder])
    assert len(again.unchanged) == 2 and again.chunks_embedded == 0 and not again.added
    bakery.unlink()
    synced = assistant.ingest([folder], sync=True)
    assert synced.removed == [path_text(bakery)] and assistant.stats().articles == 1


def test_changed_file_replaces_its_chunks(make_assistant, tmp_path: Path):
    path = write(tmp_path / "news" / "bridge.md", ARTICLE)
    assistant = make_assistant()
    assistant.ingest([path])
    before = assistant.index.chunk_count()
    write(path, ARTICLE.replace("12 million", "15 million"))
    report = assistant.ingest([path])
    assert len(report.updated) == 1
    assert assistant.index.chunk_count() == before
    assert assistant.index.collection.count() == before, "old vectors are deleted"
    answer = assistant.ask("How much did the bridge repairs cost?")
    assert "15 million" in answer.text and "12 million" not in answer.text


NAMELESS = "The ferry to Exampleton resumed on Monday after the storm. Tickets cost 4 euros.\n"
LINES = [
    {"title": "Dam drained", "text": "The dam above the valley was drained in March."},
    {"title": "Mill closed", "text": "The old mill on the river closed after 90 years."},
]


def _nameless_news(folder: Path) -> Path:
    """Articles with neither an id nor a URL: named after their files."""
    write(folder / "ferry.txt", NAMELESS)
    write_jsonl(folder / "lines.jsonl", LINES)
    return folder


def test_a_file_gives_one_id_however_its_path_is_written(
    make_assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """`news`, `./news/../news` and the absolute path (and a link to the folder) name one
    file: its articles are known again, not added a second time, and a change to the file
    updates them whatever name the ingest is given."""
    folder = _nameless_news(tmp_path / "news")
    (tmp_path / "link").symlink_to(folder)
    monkeypatch.chdir(tmp_path)
    assistant = make_assistant()
    first = assistant.ingest(["news"])
    resolved = path_text(folder.resolve())
    assert sorted(first.added) == [
        f"{resolved}/ferry.txt",
        f"{resolved}/lines.jsonl:1",
        f"{resolved}/lines.jsonl:2",
    ]
    for name in ["news", str(folder.resolve()), "./news/../news", "link"]:
        again = assistant.ingest([name])
        assert len(again.unchanged) == 3 and not again.added and not again.updated, name
    write(folder / "ferry.txt", NAMELESS.replace("4 euros", "5 euros"))
    write_jsonl(folder / "lines.jsonl", [*LINES, {"text": "A third line, new."}])
    changed = assistant.ingest([str(folder)])
    assert changed.updated == [f"{resolved}/ferry.txt"]
    assert changed.added == [f"{resolved}/lines.jsonl:3"]
    assert len(assistant.index.versions()) == 4
    assert "5 euros" in assistant.ask("How much do ferry tickets cost?").text


def test_an_index_made_before_ids_were_resolved_keeps_its_ids(
    make_assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """An index built when a file's articles were named after the path as typed
    (`news/ferry.txt`, `news/lines.jsonl:2`) keeps those ids: a changed file's articles
    replace them instead of being added beside them, under any name of the folder."""
    folder = tmp_path / "news"
    monkeypatch.chdir(tmp_path)
    # What the earlier code stored for `assistant ingest news`: the same file path in the
    # catalog, the ids written as the path was typed.
    write(folder / "ferry.md", "---\nid: news/ferry.md\ntitle: Ferry\n---\n" + NAMELESS)
    write_jsonl(folder / "lines.jsonl", [{"id": f"news/lines.jsonl:{i}", **r} for i, r in
                                         enumerate(LINES, 1)])  # fmt: skip
    assistant = make_assistant()
    earlier = assistant.ingest(["news"])
    assert sorted(earlier.added) == ["news/ferry.md", "news/lines.jsonl:1", "news/lines.jsonl:2"]
    chunks = assistant.index.chunk_count()

    write(folder / "ferry.md", NAMELESS.replace("4 euros", "5 euros"))
    write_jsonl(folder / "lines.jsonl", [LINES[0], {**LINES[1], "text": "The mill reopened."}])
    report = assistant.ingest([str(folder)])
    assert not report.added
    assert sorted(report.updated + report.unchanged) == sorted(earlier.added)
    assert sorted(assistant.index.versions()) == sorted(earlier.added)
    assert assistant.index.chunk_count() == chunks
    assert assistant.index.collection.count() == chunks, "the earlier vectors are deleted"
    assert "5 euros" in assistant.ask("How much do ferry tickets cost?").text
    synced = assistant.ingest(["news"], sync=True)
    assert not synced.removed and len(synced.unchanged) == 3


def test_sync_removes_articles_whose_files_are_gone(make_assistant, tmp_path: Path):
    folder = tmp_path / "news"
    write(folder / "bridge.md", ARTICLE)
    gone = write(folder / "zoo.txt", "Zoo welcomes twin pandas\nThe city zoo welcomed twin pandas.")
    assistant = make_assistant()
    assistant.ingest([folder])
    assert assistant.stats().articles == 2
    gone.unlink()
    kept = assistant.ingest([folder])
    assert assistant.stats().articles == 2 and not kept.removed, "without --sync nothing goes"
    report = assistant.ingest([folder], sync=True)
    assert len(report.removed) == 1
    assert assistant.stats().articles == 1
    assert assistant.index.collection.count() == assistant.index.chunk_count()


def test_one_bad_file_never_stops_the_others(make_assistant, tmp_path: Path):
    folder = tmp_path / "news"
    write(folder / "bridge.md", ARTICLE)
    write(folder / "empty.txt", "")
    (folder / "binary.json").write_bytes(b"\x00\x01\x02garbage")
    write(folder / "lines.jsonl", '{"id": "a1", "title": "Ok", "text": "A fine article."}\n{oops\n')
    report = make_assistant().ingest([folder])
    assert sorted(report.added) == sorted(["a1", str((folder / "bridge.md").resolve())])
    failed = dict(report.failed)
    assert any(w.endswith("empty.txt") for w in failed)
    assert any(w.endswith("binary.json") for w in failed)
    assert f"{folder / 'lines.jsonl'}:2" in failed


def test_sync_keeps_articles_of_a_file_that_failed_to_read(make_assistant, tmp_path: Path):
    folder = tmp_path / "news"
    path = write(folder / "lines.jsonl", '{"id": "a1", "title": "Ok", "text": "A fine article."}\n')
    assistant = make_assistant()
    assistant.ingest([folder])
    write(path, '{"id": "a1", "title": "Ok", "text": "A fine article."}\n{broken\n')
    report = assistant.ingest([folder], sync=True)
    assert not report.removed and report.failed
    assert assistant.stats().articles == 1


def test_missing_path_is_reported(make_assistant, tmp_path: Path):
    report = make_assistant().ingest([tmp_path / "nowhere"])
    assert report.failed == [(str(tmp_path / "nowhere"), "no such file or directory")]


def test_a_name_no_file_can_have_is_reported(make_assistant, tmp_path: Path):
    """Only the Python API can be given one (argv holds no NUL, and decodes what is not
    UTF-8 to the surrogates a file system gives)."""
    names = [f"{tmp_path}/nul\x00.md", f"{tmp_path}/\ud800.txt"]
    report = make_assistant().ingest([*names, write(tmp_path / "fine.md", ARTICLE)])
    assert report.failed == [
        (f"{tmp_path}/nul\\x00.md", "no file can have this name"),
        (f"{tmp_path}/\\ud800.txt", "no file can have this name"),
    ]
    assert len(report.added) == 1


def test_empty_index_says_how_to_fill_it(make_assistant):
    with pytest.raises(IndexError_, match="assistant ingest"):
        make_assistant().ask("Who founded Mistral?")


def test_index_refuses_a_different_embedding_model(make_assistant, tmp_path: Path):
    write(tmp_path / "news" / "bridge.md", ARTICLE)
    make_assistant().ingest([tmp_path / "news"])
    other = make_assistant(embedding_model="some/other-model")
    with pytest.raises(IndexError_, match="embedding model"):
        other.index.versions()


def test_a_running_assistant_answers_from_another_process_ingest(make_assistant, tmp_path):
    """The embedded store's vectors written by another process are not visible here until a
    restart; the catalog (and so keyword search) is. The question must still be answered."""
    import os
    import subprocess
    import sys

    folder = tmp_path / "news"
    write(folder / "bridge.md", ARTICLE)
    write(folder / "rail.txt", "Rail strike ends\nThe national rail strike ended on Thursday.")
    assistant = make_assistant()
    assistant.ingest([folder])
    assert assistant.ask("How much did the bridge repairs cost?").answered
    write(
        folder / "zoo.md",
        "---\ntitle: Zoo welcomes Quokkaville twins\n---\n"
        "The Quokkaville zoo welcomed twin red pandas named Ember and Ash on Tuesday.\n",
    )
    exe = Path(sys.executable).with_name("assistant")
    done = subprocess.run(
        [str(exe), "ingest", str(folder), "--index", str(tmp_path / "index")],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer = assistant.ask("What are the Quokkaville red pandas called?")
    assert answer.answered and "Ember" in answer.text
    assert any(c.title == "Zoo welcomes Quokkaville twins" for c in answer.citations)


def test_an_index_made_before_the_keyword_index_gets_one_from_its_catalog(
    make_assistant, tmp_path: Path
):
    write(tmp_path / "news" / "bridge.md", ARTICLE)
    assert make_assistant().ingest([tmp_path / "news"]).ok
    folder = tmp_path / "index"
    # As an older version left it: no keyword index, keyword search in an FTS5 table.
    shutil.rmtree(folder / KEYWORD_DIR)
    with sqlite3.connect(folder / CATALOG_FILE) as db:
        db.execute("CREATE VIRTUAL TABLE chunks_fts USING fts5(title, text)")
    reopened = make_assistant().index
    hits = [cid for cid, _ in reopened.keyword_search("Exampleton repairs", 5)]
    assert [c.title for c in reopened.get_chunks(hits).values()] == ["Harbour bridge reopens"]
    assert (folder / KEYWORD_DIR / "meta.json").exists()
    tables = {r[0] for r in reopened.db.execute("SELECT name FROM sqlite_master")}
    assert "chunks_fts" not in tables


def test_the_sweep_gives_a_listed_chunk_its_missing_keyword_document(
    make_assistant, tmp_path: Path
):
    write(tmp_path / "news" / "bridge.md", ARTICLE)
    index = make_assistant().index
    assert make_assistant().ingest([tmp_path / "news"]).ok
    chunk_ids = sorted(r[0] for r in index.db.execute("SELECT id FROM chunks"))
    index.keyword.write((), delete=chunk_ids)
    assert index.keyword_search("Exampleton repairs", 5) == []
    assert index.sweep() == 0, "nothing to remove"
    assert sorted(cid for cid, _ in index.keyword_search("Exampleton repairs", 5)) == chunk_ids


def test_an_old_chunk_id_maps_to_its_successor(make_assistant, tmp_path: Path):
    """A vector search that read an article's old vectors just before the catalog switched
    gets the new version, not nothing."""
    path = write(tmp_path / "news" / "bridge.md", ARTICLE)
    assistant = make_assistant()
    assistant.ingest([path])
    (old,) = [row[0] for row in assistant.index.db.execute("SELECT id FROM chunks")]
    write(path, ARTICLE.replace("12 million", "15 million"))
    assistant.ingest([path])
    assert assistant.index.get_chunks([old]) == {}
    new = assistant.index.successors([old])[old]
    assert new.id != old and "15 million" in new.text
    assert assistant.index.successors(["not-a-chunk-id"]) == {}


def test_chroma_keeps_vectors_and_only_the_metadata_its_filters_read(
    make_assistant, tmp_path: Path
):
    """The chunks' texts are the catalog's: Chroma holds no documents, and of each chunk's
    article only the outlet and the day, which a search filtered inside Chroma reads."""
    write(tmp_path / "news" / "bridge.md", ARTICLE)
    write(tmp_path / "news" / "ferry.md", "# Ferry timetable\n\nThe ferry runs every hour.\n")
    assistant = make_assistant()
    assert assistant.ingest([tmp_path / "news"]).ok
    index = assistant.index
    held = index.collection.get(include=["documents", "metadatas"])
    assert len(held["ids"]) == index.chunk_count() == 2
    assert held["documents"] == [None, None]
    metadatas = [m or {} for m in held["metadatas"]]
    assert sorted(metadatas, key=len) == [{}, {"source": "Test Gazette", "published_int": 20240301}]
    vector = assistant.embedder.embed_query("When did the harbour bridge reopen?")
    for scope in (Scope(sources=("Test Gazette",)), Scope(since=date(2024, 3, 1))):
        (hit,) = vector_store.nearest(index.collection, vector, 2, scope=scope)
        assert index.get_chunks([hit[0]])[hit[0]].title == "Harbour bridge reopens"
    answer = assistant.ask("How much did the bridge repairs cost?")
    assert "12 million euros" in answer.text, "the text comes from the catalog"


def test_an_index_with_float16_sentence_vectors_still_answers(make_assistant, tmp_path: Path):
    """Catalogs written before int8 hold float16 sentence vectors (even-length rows): they
    are read as they are, beside the int8 rows written since (odd length)."""
    write(tmp_path / "news" / "bridge.md", ARTICLE)
    assistant = make_assistant()
    assert assistant.ingest([tmp_path / "news"]).ok
    index, question = assistant.index, "How much did the bridge repairs cost?"
    expected = assistant.ask(question).text
    (chunk_id,) = [r[0] for r in index.db.execute("SELECT id FROM chunks")]
    _, _, int8 = index.sentence_matrix([chunk_id])
    rows = index.db.execute("SELECT chunk, start, vector FROM sentence_vectors ORDER BY start")
    rows = [(chunk, start, bytes(blob)) for chunk, start, blob in rows.fetchall()]
    dim = int8.shape[1]
    assert len(rows) == 3 and {len(blob) for *_, blob in rows} == {dim + 5}
    with index.db:  # every other row as an older version wrote it
        for chunk, start, _ in rows[::2]:
            old = int8[[r[1] for r in rows].index(start)].astype(np.float16).tobytes()
            index.db.execute(
                "UPDATE sentence_vectors SET vector = ? WHERE chunk = ? AND start = ?",
                (old, chunk, start),
            )
    lengths = [len(bytes(r[0])) for r in index.db.execute("SELECT vector FROM sentence_vectors")]
    assert sorted(lengths) == [dim + 5, 2 * dim, 2 * dim]
    chunks, _, mixed = index.sentence_matrix([chunk_id])
    assert chunks == [chunk_id] and mixed.dtype == np.float32
    assert np.allclose(mixed, int8, atol=1e-3)
    assert np.allclose(np.linalg.norm(mixed, axis=1), 1, atol=1e-5)
    assert assistant.ask(question).text == expected


def test_an_older_catalog_loses_the_article_ids_of_its_sentences(make_assistant, tmp_path: Path):
    """Older catalogs kept each sentence's article id, and an index by it: opening one
    drops both (the sentence's chunk names the article), keeping every vector."""
    write(tmp_path / "news" / "bridge.md", ARTICLE)
    assistant = make_assistant()
    assert assistant.ingest([tmp_path / "news"]).ok
    index, question = assistant.index, "How much did the bridge repairs cost?"
    expected = assistant.ask(question).text
    ids = [r[0] for r in index.db.execute("SELECT id FROM chunks")]
    _, _, vectors = index.sentence_matrix(ids)
    with index.db:  # as an older version made it
        index.db.execute(
            "ALTER TABLE sentence_vectors ADD COLUMN article_id TEXT NOT NULL DEFAULT ''"
        )
        index.db.execute(
            "UPDATE sentence_vectors SET article_id = "
            "(SELECT c.article_id FROM chunks c WHERE c.rowid = sentence_vectors.chunk)"
        )
        index.db.execute(
            "CREATE INDEX sentence_vectors_span ON sentence_vectors(article_id, start)"
        )
    index.close()

    reopened = make_assistant()
    columns = [
        d[0]
        for d in reopened.index.db.execute("SELECT * FROM sentence_vectors LIMIT 0").description
    ]
    assert columns == ["chunk", "start", "end", "vector"]
    assert reopened.index.db.execute(
        "SELECT count(*) FROM sentence_vectors sv JOIN chunks c ON c.rowid = sv.chunk"
    ).fetchone()[0] == len(vectors)
    assert np.array_equal(reopened.index.sentence_matrix(ids)[2], vectors)
    assert reopened.ask(question).text == expected
    write(tmp_path / "news" / "bridge.md", ARTICLE.replace("12 million", "15 million"))
    assert len(reopened.ingest([tmp_path / "news"]).updated) == 1, "and it takes new writes"
    assert "15 million" in reopened.ask(question).text
