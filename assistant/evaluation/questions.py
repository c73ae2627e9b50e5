"""Questions with known answers, and how an answer is matched against them.

The question format (one JSON object per line): `id`, `date` (YYYY-MM-DD, the day it was
asked), `question`, `answer` (acceptable strings joined by " / ") and `gold_ids` (the
article ids that answer it; may be empty). Nothing here knows any particular question.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..errors import AssistantError
from ..text.dates import parse_date


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    gold_ids: tuple[str, ...] = ()
    date: date | None = None


def load_questions(path: str | Path) -> list[Question]:
    """Read the JSONL question file; a bad line is an error naming the line."""
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            out.append(
                Question(
                    id=str(raw.get("id", n)),
                    question=raw["question"],
                    answers=tuple(a.strip() for a in str(raw.get("answer", "")).split(" / ")),
                    gold_ids=tuple(raw.get("gold_ids") or ()),
                    date=parse_date(raw.get("date")),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise AssistantError(
                f"{path}, line {n}: not a question ({exc}); each line needs at least "
                '{"question": ..., "answer": ...}'
            ) from None
    return out


def normalise(text: str) -> str:
    """Case, punctuation, curly quotes and spacing folded away, for answer matching."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.translate(str.maketrans("‘’“”", "''\"\""))
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """Whether any acceptable answer occurs in `text`, as whole words, after normalising."""
    haystack = f" {normalise(text)} "
    return any(f" {a} " in haystack for a in map(normalise, answers) if a)


def short_answer_matches(short: str | None, answers: Sequence[str]) -> bool:
    """Whether a short answer is right: it contains an acceptable answer, or lies inside
    one and holds at least half of its words ("Truss" for "Liz Truss"). None is a miss."""
    if not short:
        return False
    mine = normalise(short)
    for gold in map(normalise, answers):
        if not gold or not mine:
            continue
        if contains_answer(mine, [gold]):
            return True
        if f" {mine} " in f" {gold} " and 2 * len(mine.split()) >= len(gold.split()):
            return True
    return False
