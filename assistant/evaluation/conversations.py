"""Conversations: multi-turn question sets, asked turn by turn as a chat user would.

A conversation file is JSON lines, one conversation each:
`{"id", "corpus", "turns": [{"ask": question, "expect": [strings]}]}`. A turn is right
when its answer (the text, with the short answer) holds one of its `expect` strings,
normalised as `assistant eval` normalises answers; a conversation is right only when every
turn is. `corpus` names which corpus the conversation is asked of; building that corpus is
the caller's (the tests and benchmarks/conversations.py). Each conversation runs in a
`Conversation` of its own, the same path as `assistant chat`, so follow-ups are
understood exactly as a user's are.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..core import Assistant
from ..errors import AssistantError
from .questions import contains_answer


@dataclass(frozen=True)
class Turn:
    ask: str
    expect: tuple[str, ...]


@dataclass(frozen=True)
class Dialogue:
    """One scripted conversation and the corpus it is asked of."""

    id: str
    corpus: str
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class TurnResult:
    ask: str
    understood_as: str
    answer: str
    right: bool


@dataclass(frozen=True)
class DialogueResult:
    id: str
    turns: tuple[TurnResult, ...]

    @property
    def right(self) -> bool:
        return all(t.right for t in self.turns)


def load_dialogues(path: str | Path) -> list[Dialogue]:
    """The conversations in `path`; a malformed line is an error naming file and line."""
    dialogues = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            turns = tuple(Turn(t["ask"], tuple(t["expect"])) for t in record["turns"])
            dialogues.append(Dialogue(record["id"], record["corpus"], turns))
        except (ValueError, KeyError, TypeError) as exc:
            raise AssistantError(f"{path}, line {n}: not a conversation ({exc!r})") from None
    return dialogues


def run_dialogue(assistant: Assistant, dialogue: Dialogue) -> DialogueResult:
    """Ask `dialogue`'s turns in order, in one conversation, and judge each answer."""
    conversation = assistant.conversation()
    results = []
    for turn in dialogue.turns:
        answer = conversation.ask(turn.ask)
        said = f"{answer.short_answer or ''} {answer.text}"
        right = answer.answered and contains_answer(said, turn.expect)
        results.append(TurnResult(turn.ask, answer.question, answer.text, right))
    return DialogueResult(dialogue.id, tuple(results))


def share_right(results: Sequence[DialogueResult]) -> float:
    return sum(r.right for r in results) / len(results) if results else 0.0


def write_slice(corpus: str | Path, ids: Sequence[str], out: str | Path) -> Path:
    """The articles of `corpus` (JSON lines) whose id is in `ids`, written to `out`.

    Third-party corpora stay outside the repository: a test or benchmark keeps only the
    ids of its slice and cuts the slice into a temporary folder.
    """
    wanted = set(ids)
    lines = [
        line
        for line in Path(corpus).read_text(encoding="utf-8").splitlines()
        if line.strip() and json.loads(line).get("id") in wanted
    ]
    missing = len(wanted) - len(lines)
    if missing:
        raise AssistantError(f"{corpus}: {missing} of the slice's {len(wanted)} ids are not in it")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out
