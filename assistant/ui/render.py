"""HTML for one chat message: the answer with linked [n] markers, a timeline, source cards,
and above them how the question was understood when that is not what was typed.

Every piece of article text (titles, outlets, passages) goes through `_text`, which
escapes HTML and Markdown punctuation and keeps it on one line, so an article cannot inject
markup; only http(s) URLs become links. The Chatbot sanitizes the HTML on top of this.

What it does not do: talk to the Assistant or Gradio, or style the page (the CSS and the
script that scrolls to a card on a click are in `ui_style.py`). Functions here are pure:
an Answer in, a string out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import date

from ..schema import Answer, Citation
from ..text.markdown import escape_markdown, escape_markdown_keep_markers, safe_url

# Markdown punctuation as HTML entities: even if a renderer treated our HTML as Markdown,
# escaped article text could not form a link or emphasis.
_MD_ENTITIES = str.maketrans({"[": "&#91;", "]": "&#93;", "*": "&#42;", "_": "&#95;", "`": "&#96;"})

CONTEXT_CHARS = 110  # of the passage shown around the cited sentence, each side


def _text(value: str | None) -> str:
    """Article text as inert HTML on one line (a blank line would end the HTML block)."""
    return html.escape(" ".join((value or "").split())).translate(_MD_ENTITIES)


def card_id(turn: int, n: int) -> str:
    """The HTML id of source n's card in the turn-th answer: unique within one chat."""
    return f"src-{turn}-{n}"


def render_reply(answer: Answer, turn: int, asked: str | None = None) -> str:
    """The whole chat message: the question understood (if `asked`, the typed question, was
    read otherwise), the answer text, then the timeline and the source cards."""
    extras = timeline(answer.citations, turn) + source_cards(answer, turn)
    if not answer.citations and answer.related:
        extras = '<div class="related-head">Closest articles</div>' + extras
    head = understood_as(answer, asked) if asked is not None else ""
    return head + answer_text(answer, turn) + ("\n\n" + extras if extras else "")


def understood_as(answer: Answer, asked: str) -> str:
    """ "Understood as: <the standalone question>" when the assistant answered a question
    other than the one typed (a follow-up made standalone), else ""."""
    if _plain(answer.question) == _plain(asked):
        return ""
    # An HTML block of its own: the blank line after it ends the block, so the answer's
    # Markdown below is still read as Markdown.
    return f'<div class="understood">Understood as: {_text(answer.question)}</div>\n\n'


def _plain(question: str) -> str:
    """A question as compared for "Understood as": spacing, case and the closing mark aside
    (a model that only adds a "?" did not change what was asked)."""
    return " ".join(question.split()).casefold().rstrip("?!. ")


def answer_text(answer: Answer, turn: int) -> str:
    """The answer as Markdown, escaped, with each [n] a link to its card."""
    numbers = {c.n for c in answer.citations}
    text = escape_markdown_keep_markers(answer.text)

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return _marker(turn, n) if n in numbers else m.group(0)

    text = re.sub(r"\[(\d+)\]", link, text)
    if answer.short_answer:  # the span that answers, bold, before the sentences that say so
        text = f"**{escape_markdown(answer.short_answer)}**\n\n{text}"
    return text


def _marker(turn: int, n: int) -> str:
    return f'<a class="cite" href="#{card_id(turn, n)}">[{n}]</a>'


def source_cards(answer: Answer, turn: int = 1) -> str:
    """HTML cards for the cited passages (or the closest articles), every field escaped."""
    if not answer.citations:
        items = [
            f"<li>{_text(p.title)} — {_text(p.source)}"
            f"{', ' + p.published.isoformat() if p.published else ''}</li>"
            for p in answer.related
        ]
        return f'<ul class="related">{"".join(items)}</ul>' if items else ""
    return '<div class="sources">' + "".join(_card(c, turn) for c in answer.citations) + "</div>"


def _card(c: Citation, turn: int) -> str:
    title = _text(c.title)
    url = c.url if safe_url(c.url) else None
    if url:
        title = (
            f'<a href="{html.escape(url)}" target="_blank" rel="noopener noreferrer">{title}</a>'
        )
    meta = " · ".join(
        x for x in (_text(c.source), c.published.isoformat() if c.published else "") if x
    )
    return (
        f'<div class="source-card" id="{card_id(turn, c.n)}">'
        f'<div class="card-head"><span class="card-n">[{c.n}]</span> {title}</div>'
        f'<div class="card-meta">{meta}</div>'
        f"<blockquote>{_highlight(c)}</blockquote></div>"
    )


def _highlight(c: Citation) -> str:
    """The retrieved passage with the cited sentence marked; everything escaped."""
    context = c.context
    start, end = c.start - c.context_start, c.end - c.context_start
    if not context or not 0 <= start < end <= len(context):
        return f"<mark>{_text(c.passage)}</mark>"
    before, cited, after = _clip_start(context[:start]), context[start:end], context[end:]
    return f"{_text(before)} <mark>{_text(cited)}</mark> {_text(_clip_end(after))}".strip()


def _clip_start(text: str) -> str:
    if len(text) <= CONTEXT_CHARS:
        return text
    return "…" + text[-CONTEXT_CHARS:].split(" ", 1)[-1]


def _clip_end(text: str) -> str:
    if len(text) <= CONTEXT_CHARS:
        return text
    return text[:CONTEXT_CHARS].rsplit(" ", 1)[0] + "…"


def timeline(citations: Sequence[Citation], turn: int = 1) -> str:
    """When the cited articles span several dates: one stop per date, oldest first."""
    by_date: dict[date, list[int]] = {}
    for c in citations:
        if c.published:
            by_date.setdefault(c.published, []).append(c.n)
    if len(by_date) < 2:
        return ""
    stops = "".join(
        f'<li class="tl-stop"><span class="tl-date">{d.isoformat()}</span> '
        + " ".join(_marker(turn, n) for n in ns)
        + "</li>"
        for d, ns in sorted(by_date.items())
    )
    return f'<ol class="timeline" aria-label="When the sources were published">{stops}</ol>'
