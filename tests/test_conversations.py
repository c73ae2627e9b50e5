"""Scripted two- and three-turn conversations, asked as `assistant chat` asks them.

The set (tests/data/conversations/) runs over the bundled corpus, five short articles
written for these tests, and a slice of the realtimeqa-dev corpus cut from the shared eval
folder (its text is third-party and stays out of the repository). Each answer must hold
what the set says a right answer holds; the share of conversations right in every turn is
held to the target the conversations issue set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant
from assistant.evaluation.conversations import (
    DialogueResult,
    load_dialogues,
    run_dialogue,
    share_right,
    write_slice,
)
from tests.conftest import EVAL_DIR

DATA = Path(__file__).parent / "data" / "conversations"
TARGET = 0.85


@pytest.fixture(scope="module")
def corpora(tmp_path_factory, corpus_assistant, shared_embedder, linguist):  # type: ignore[no-untyped-def]
    def build(name: str, path: Path) -> Assistant:
        assistant = Assistant(
            index_dir=tmp_path_factory.mktemp(name),
            embedder=shared_embedder,
            linguist=linguist,
            auto_ingest=False,
        )
        assert assistant.ingest([path]).ok
        return assistant

    built = {"bundled": corpus_assistant, "stories": build("stories", DATA / "articles")}
    if EVAL_DIR.exists():
        ids = (DATA / "dev-slice.txt").read_text(encoding="utf-8").split()
        cut = write_slice(
            EVAL_DIR / "corpus-small.jsonl", ids, tmp_path_factory.mktemp("dev") / "s.jsonl"
        )
        built["dev"] = build("dev-index", cut)
    return built


@pytest.fixture(scope="module")
def results(corpora) -> list[DialogueResult]:  # type: ignore[no-untyped-def]
    dialogues = load_dialogues(DATA / "conversations.jsonl")
    return [run_dialogue(corpora[d.corpus], d) for d in dialogues if d.corpus in corpora]


def test_the_set_is_big_enough_and_multi_turn():
    dialogues = load_dialogues(DATA / "conversations.jsonl")
    assert len(dialogues) >= 40
    assert all(2 <= len(d.turns) <= 3 for d in dialogues)
    assert len({d.id for d in dialogues}) == len(dialogues)


def test_most_conversations_are_answered_right(results: list[DialogueResult]):
    wrong = [
        f"{r.id}: "
        + " | ".join(
            f"{t.ask!r} -> {t.understood_as!r}: {t.answer[:80]!r}" for t in r.turns if not t.right
        )
        for r in results
        if not r.right
    ]
    assert share_right(results) >= TARGET, "\n".join(wrong)


def test_a_follow_up_is_answered_from_the_story_the_last_answer_told(corpora):  # type: ignore[no-untyped-def]
    stories = corpora["stories"]
    conversation = stories.conversation()
    first = conversation.ask("Who won the women's race of the Kestrel Bay Marathon?")
    assert first.answered and conversation.turns[-1].articles == (first.citations[0].article_id,)
    # Asked alone, the question shares too little with its answer to pass the gates.
    alone = stories.ask("What was Oduya's time?")
    assert not alone.answered
    follow = conversation.ask("What was her time?")
    assert follow.answered and "2 hours 19 minutes" in follow.text
    assert follow.citations[0].article_id == first.citations[0].article_id


def test_a_follow_up_with_nothing_of_the_story_is_not_answered_from_it(corpora):  # type: ignore[no-untyped-def]
    conversation = corpora["stories"].conversation()
    assert conversation.ask("Who won the women's race of the Kestrel Bay Marathon?").answered
    assert not conversation.ask("What is the best recipe for banana bread?").answered


def test_no_fewer_conversations_are_right_than_when_the_rule_landed(results):  # type: ignore[no-untyped-def]
    # 41 of 48 (0.854) with follow-ups answered from the story the last answer told and
    # the question's predicate read better (docs/evaluation.md); 35 of 40 (0.875) without
    # the dev slice, where the shared eval folder is absent. The target is the test above.
    assert share_right(results) >= 0.80
