"""The evaluation harness: metrics on a tiny hand-made corpus whose answers we know."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.evaluation import (
    METRICS,
    Outcome,
    Question,
    compute_metrics,
    contains_answer,
    eval_assistant,
    evaluate,
    load_questions,
    normalise,
)
from tests.conftest import write, write_jsonl

ARTICLES = [
    {
        "id": "lighthouse",
        "title": "Lighthouse sold",
        "published": "2023-04-05",
        "source": "Coast News",
        "text": "The old lighthouse at Cape Sample was sold at auction for 2.4 million dollars "
        "to a marine research charity, which plans to study seals from the tower.",
    },
    {
        "id": "orchard",
        "title": "Orchard harvest",
        "published": "2023-09-12",
        "source": "Farm Weekly",
        "text": "Growers in the Vale of Tandry picked a record apple harvest this autumn; the "
        "Bramley crop alone weighed 900 tonnes.",
    },
    {
        "id": "tram",
        "title": "Tram line opens",
        "published": "2023-06-20",
        "source": "City Desk",
        "text": "The new tram line between Northgate and the university opened on Monday, "
        "carrying 12,000 passengers on its first day.",
    },
]
QUESTIONS = [
    # gold retrieved, answer in context
    {
        "id": "q1",
        "date": "2023-04-07",
        "question": "Who bought the lighthouse at Cape Sample?",
        "answer": "a marine research charity / the charity",
        "gold_ids": ["lighthouse"],
    },
    # gold is not in the corpus: a recall miss, and the answer appears nowhere
    {
        "id": "q2",
        "date": "2023-10-01",
        "question": "Which team won the county cricket final?",
        "answer": "Tandry Tigers",
        "gold_ids": ["cricket"],
    },
    # no gold: counts for the answer metrics only
    {
        "id": "q3",
        "date": "2023-09-15",
        "question": "How much did the Bramley crop weigh?",
        "answer": "900 tonnes",
        "gold_ids": [],
    },
    # asked before the tram opened: found without --as-of-question-date, not with it
    {
        "id": "q4",
        "date": "2023-05-01",
        "question": "How many passengers did the Northgate tram carry on its first day?",
        "answer": "12,000",
        "gold_ids": ["tram"],
    },
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("eval")
    corpus = write_jsonl(root / "corpus.jsonl", ARTICLES)
    questions = write_jsonl(root / "q.jsonl", QUESTIONS)
    return corpus, questions, root / "cache"


def test_normalised_answer_matching():
    assert normalise("“Squid Game”!") == "squid game"
    assert contains_answer("He said: 'SQUID game' is back.", ["“Squid Game”"])
    assert contains_answer("It cost 2.4 million", ["two million", "2 4 million"])
    assert not contains_answer("Europeans agreed", ["Europe"]), "whole words only"


def _outcome(gold: tuple[str, ...], ids: tuple[str, ...], cited=(), context=True, answer=False):
    q = Question(id="x", question="?", answers=("a",), gold_ids=gold)
    return Outcome(q, ids, tuple("t" for _ in ids), context, answer, cited, "", 0.01)


def test_metric_arithmetic():
    outcomes = [
        _outcome(("g",), ("x", "g"), cited=("g", "x"), answer=True),  # rank 2
        _outcome(("g",), ("g",), cited=("g",)),  # rank 1
        _outcome(("g",), ("x", "y"), context=False),  # miss
        _outcome((), ("x",)),  # no gold
    ]
    m = compute_metrics(outcomes)
    assert m["recall_at_k"] == round(2 / 3, 4)
    assert m["mrr"] == round((0.5 + 1) / 3, 4)
    assert m["citation_precision"] == round((0.5 + 1) / 2, 4)
    assert m["answer_in_context"] == 0.75 and m["answer_in_answer"] == 0.25
    assert (m["questions"], m["questions_with_gold"]) == (4, 3)
    assert m["latency_p50_ms"] == 10.0


def test_evaluate_on_a_tiny_corpus(files, shared_embedder):
    corpus, questions, cache = files
    assistant = eval_assistant(corpus, cache, embedder=shared_embedder)
    result = evaluate(assistant, load_questions(questions), k=2)
    m = result.metrics
    assert (m["questions"], m["questions_with_gold"]) == (4, 3)
    assert m["recall_at_k"] == round(2 / 3, 4), "q1 and q4 find their gold, q2 cannot"
    assert m["answer_in_context"] == 0.75, "all but the cricket question"
    assert m["citation_precision"] > 0 and m["latency_p95_ms"] >= m["latency_p50_ms"] > 0
    missed = {x["id"] for x in result.misses()}
    assert missed == {"q2"}
    as_of = evaluate(assistant, load_questions(questions), k=2, as_of_question_date=True)
    assert "q4" in {x["id"] for x in as_of.misses()}, "the tram opened after q4 was asked"


def test_cli_writes_exactly_the_metrics_and_a_report(files, tmp_path: Path, capsys):
    corpus, questions, cache = files
    out, report = tmp_path / "m.json", tmp_path / "r.html"
    args = [str(questions), "--corpus", str(corpus), "--cache", str(cache), "--k", "3"]
    assert main(["eval", *args, "--json", str(out), "--report", str(report)]) == 0
    data = json.loads(out.read_text())
    assert set(data) == {*METRICS, "misses", "per_question"}
    records = data["per_question"]
    assert len(records) == data["questions"]
    keys = {"id", "question", "answer", "short_answer", "answered"}
    keys |= {"cited_article_ids", "retrieved_article_ids"}
    assert all(set(r) == keys for r in records)
    for r in records:
        assert len(r["retrieved_article_ids"]) <= 3
        assert set(r["cited_article_ids"]) <= set(r["retrieved_article_ids"])
        assert "Sources" not in r["answer"], "the answer text comes without its sources"
    assert any(r["answered"] and r["cited_article_ids"] for r in records)
    assert "recall_at_k" in capsys.readouterr().out
    page = report.read_text()
    assert "<svg" in page and "Which team won the county cricket final?" in page
    folders = list(cache.iterdir())
    assert len(folders) == 1, "the corpus was indexed once and reused"
    marker = folders[0] / "complete"
    before = marker.stat().st_mtime_ns
    assert main(["eval", *args]) == 0
    assert marker.stat().st_mtime_ns == before, "the second run did not ingest again"


def test_a_bad_question_line_is_named(tmp_path: Path):
    path = write(tmp_path / "q.jsonl", '{"question": "ok?", "answer": "x"}\n{"answer": "y"}\n')
    with pytest.raises(Exception, match="line 2"):
        load_questions(path)


def test_cli_eval_shows_its_progress_in_a_log(files, tmp_path: Path, capsys, caplog):
    """Not a terminal, yet the build of the index and the questions show how far they are."""
    corpus, questions, _ = files
    args = [str(questions), "--corpus", str(corpus), "--cache", str(tmp_path / "cache")]
    with caplog.at_level(logging.INFO, logger="assistant"):
        assert main(["eval", *args]) == 0
    assert "building the evaluation index of" in caplog.text
    err = capsys.readouterr().err.splitlines()
    n, m = len(ARTICLES), len(QUESTIONS)
    assert err[0].startswith("Indexing: ") and err[-1] == f"Asking: {m}/{m}"
    assert f"Indexing: {n}/{n}" in err and "Asking: 1/4" in err
    caplog.clear()
    assert main(["eval", *args]) == 0, "the second run reuses the index"
    assert "building" not in caplog.text
    assert not any(line.startswith("Indexing") for line in capsys.readouterr().err.splitlines())
