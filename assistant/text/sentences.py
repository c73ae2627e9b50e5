"""Sentence boundaries as character spans, so that a citation can point at exact characters.

Used by the chunker (chunks end between sentences), by ingest (one stored vector per
sentence), by the extractive answerer (it quotes sentences) and by the verifier (the spans
that may back a generated sentence). Not here: splitting generated answer text, whose
citation markers need their own rules (answer/verify.py).
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before white
# space, or at a line break. Abbreviations occasionally split a sentence early; harmless
# here, since chunks hold several sentences.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+|\n\s*")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences in `text[start:end]`, stripped."""
    end = len(text) if end is None else end
    spans = []
    pos = start
    for match in _SENTENCE_END.finditer(text, start, end):
        spans.append((pos, match.start() + len(match.group(0).rstrip())))
        pos = match.end()
    spans.append((pos, end))
    return [strip_span(text, a, b) for a, b in spans if text[a:b].strip()]


def strip_span(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b
