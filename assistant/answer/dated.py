"""Saying when an answer is from: "As of 6 September 2022: …" for a current state, and
"From 31 August 2022, before this week (…): …" for an answer older than the window the
question names.

A question about a current state ("who is the new …", "is it still …") is answered from
the newest article that answers it (the answerer's choice); the reader must still know how
old that state is, since the index is an archive. The date is the one of the article that
backs the answer's first sentence.

The note is read before the sources, so it counts in the answer's 80 words: the window's
own dates are left out of it where they would not fit, and then the answer's last
sentences give way to it.

Not here: reading the window or the current-state cue from the question (text/dates.py).
"""

from __future__ import annotations

import dataclasses

from ..schema import ANSWER_WORDS, Answer, Citation, told, words
from ..text.dates import Window, day_text


def dated(answer: Answer, window: Window | None, current: bool) -> Answer:
    """The answer with its date said where the question needs it (else unchanged)."""
    lead = _lead(answer)
    if lead is None or lead.published is None:
        return answer
    day = lead.published
    before = window is not None and day < window.since
    if current:
        said = f"As of {day_text(day)}"
    elif before:
        said = f"From {day_text(day)}"
    else:
        return answer
    if before and window is not None:
        # The window's own dates are said only where the answer leaves room for them.
        full = f"{said}, before {window.describe().removeprefix('in ')}"
        short = f"{said}, before {window.phrase.removeprefix('in ')}"
        said = full if words(answer.sentences) + len(full.split()) <= ANSWER_WORDS else short
    answer = _within(answer, ANSWER_WORDS - len(said.split()))
    return dataclasses.replace(answer, text=f"{said}: {answer.text}")


def _within(answer: Answer, budget: int) -> Answer:
    """The answer without its last sentences while it holds more than `budget` words, so
    that with the note it stays within the answer's word budget. Only an answer whose text
    is its sentences told in order (the extractive one's) is cut; its first sentence always
    stays, and so do the sources it and the other kept sentences cite (citations are
    numbered in order of first use, so those are the first ones)."""
    sentences = list(answer.sentences)
    if not sentences or told(sentences) != answer.text:
        return answer
    while len(sentences) > 1 and words(sentences) > budget:
        sentences.pop()
    if len(sentences) == len(answer.sentences):
        return answer
    last = max((n for s in sentences for n in s.citations), default=0)
    short = answer.short_answer
    text = told(sentences)
    return dataclasses.replace(
        answer,
        text=text,
        sentences=tuple(sentences),
        citations=tuple(c for c in answer.citations if c.n <= last),
        short_answer=short if short and short in text else None,
    )


def _lead(answer: Answer) -> Citation | None:
    """The citation behind the answer's first sentence (or its first), if it answered."""
    if not answer.answered or not answer.citations:
        return None
    by_number = {c.n: c for c in answer.citations}
    for sentence in answer.sentences:
        for n in sentence.citations:
            if n in by_number:
                return by_number[n]
    return answer.citations[0]
