"""What the chat box does with a message: the settings panel's options, then the reply.

`ChatHandler(assistant).stream(message, history, options, turns)` yields the assistant's
message as it grows (LLM text as it is written, then the rendered Answer with its source
cards); the earlier `turns` (each question as understood, with its answer) tell the
assistant what a follow-up refers to. `parse_options` turns the settings panel's raw
values into `ChatOptions`. Errors become
friendly replies: a setting the user mistyped (a date) is named with what is wrong with it,
an AssistantError says what went wrong and how to fix it, a bug says only that the server
log has the details.

What it does not do: import Gradio, render HTML (`render.py` does), answer by itself (the
Assistant does), or keep chats on the server (the page sends the history with each message,
and the browser keeps it: `saved_chat.py`).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..answer.registry import ANSWERERS
from ..core import Assistant
from ..errors import AssistantError, IndexError_, SettingsError
from ..schema import Answer, Filters, HistoryItem, Turn
from ..text.markdown import escape_markdown, escape_markdown_keep_markers, unescape_markdown
from .index_panel import how_to_fill
from .render import render_reply
from .saved_chat import message_text

log = logging.getLogger("assistant.ui")


@dataclass(frozen=True)
class ChatOptions:
    """What the settings panel chose for one question."""

    llm: str | None = None
    llm_model: str | None = None
    k: int | None = None
    filters: Filters | None = None


def parse_options(
    llm: str | None = None,
    llm_model: str | None = None,
    as_of: Any = None,
    since: Any = None,
    until: Any = None,
    outlets: Sequence[str] | None = None,
    k: float | None = None,
) -> ChatOptions:
    """The settings panel's raw values as ChatOptions; a malformed date is a SettingsError."""
    dates = {
        name: _date(name, v) for name, v in (("as of", as_of), ("since", since), ("until", until))
    }
    filters = Filters(dates["as of"], dates["since"], dates["until"], tuple(outlets or ()))
    return ChatOptions(
        llm=llm or None,
        llm_model=(llm_model or "").strip() or None,
        k=int(k) if k else None,
        filters=None if filters == Filters() else filters,
    )


def _date(name: str, value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):  # a DateTime component in timestamp mode
        return date.fromtimestamp(value)
    text = str(value).strip()
    if not text:
        return None
    try:
        # A bare day, or a DateTime component's "2024-02-26 00:00:00"; anything after the
        # day that is not a time is refused rather than cut off.
        return date.fromisoformat(text) if len(text) <= 10 else datetime.fromisoformat(text).date()
    except ValueError as exc:
        shaped = re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)
        why = f"there is no such day ({exc})" if shaped else "it is not a date"
        raise SettingsError(
            f'The "{name}" date {text!r} cannot be used: {why}. '
            "Write it as YYYY-MM-DD, for example 2024-02-26."
        ) from None


class ChatHandler:
    """Turns a chat message into the assistant's reply; errors become friendly replies."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self._siblings: dict[tuple[str, str | None], Assistant] = {}
        self._lock = threading.Lock()

    def respond(
        self,
        message: str,
        history: list[dict[str, Any]],
        turns: Sequence[Turn] = (),
        backend: str | None = None,
        model: str | None = None,
        as_of: str | None = None,
        since: str | None = None,
        until: str | None = None,
        outlets: list[str] | None = None,
        k: float | None = None,
    ) -> Iterator[tuple[list[dict[str, Any]], str, list[Turn]]]:
        """The chat box's event: the Chatbot's messages as the reply grows, an empty box, and
        the conversation's turns, this one's added when its reply is complete.

        `turns` holds one Turn per earlier exchange (an error's is the question as typed).
        The question is shown as the user typed it: escaped, since the Chatbot renders
        Markdown and HTML (`_content_text` reads it back).
        """
        shown = [*history, {"role": "user", "content": escape_markdown(message)}]
        before = list(turns)
        try:
            options = parse_options(backend, model, as_of, since, until, outlets, k)
        except SettingsError as exc:  # the user's typo, not the assistant's failure
            reply = {"role": "assistant", "content": escape_markdown(str(exc))}
            yield [*shown, reply], "", [*before, Turn(message)]
            return
        yield [*shown, {"role": "assistant", "content": "Searching the articles…"}], "", before
        for text, done in self._exchange(message, history, options, before):
            after = before if done is None else [*before, done]
            yield [*shown, {"role": "assistant", "content": text}], "", after

    def reply(
        self,
        message: str,
        history: list[dict[str, Any]],
        options: ChatOptions | None = None,
        turns: Sequence[Turn] = (),
    ) -> str:
        """The complete reply to one message, without streaming."""
        *_, last = self.stream(message, history, options, turns)
        return last

    def stream(
        self,
        message: str,
        history: list[dict[str, Any]],
        options: ChatOptions | None = None,
        turns: Sequence[Turn] = (),
    ) -> Iterator[str]:
        """The assistant's message as it grows; the last one is complete."""
        for text, _ in self._exchange(message, history, options, turns):
            yield text

    def _exchange(
        self,
        message: str,
        history: list[dict[str, Any]],
        options: ChatOptions | None,
        turns: Sequence[Turn],
    ) -> Iterator[tuple[str, Turn | None]]:
        """The reply as it grows, with None; the complete reply comes with its Turn."""
        options = options or ChatOptions()
        unanswered = Turn(message)  # what an exchange without an Answer tells a follow-up
        if not message or not message.strip():
            yield "Please type a question about the news.", unanswered
            return
        turn = sum(1 for m in history if m.get("role") == "assistant") + 1
        try:
            assistant = self.for_backend(options.llm, options.llm_model)
            earlier = earlier_turns(history, turns)
            ask = dict(k=options.k, filters=options.filters, history=earlier)
            for item in self._answer(assistant, message, ask):
                if isinstance(item, Answer):
                    yield render_reply(item, turn, asked=message), Turn.of(item)
                    return
                yield item, None
        except IndexError_ as exc:
            yield sorry(exc, how_to_fill(self.assistant)), unanswered
        except AssistantError as exc:
            yield sorry(exc), unanswered
        except Exception:  # a bug must not show the user a stack trace; the log has it
            log.exception("the chat failed on %r", message)
            yield (
                "Sorry, something went wrong on our side. The details are in the server log.",
                (unanswered),
            )

    def _answer(
        self, assistant: Assistant, message: str, ask: dict[str, Any]
    ) -> Iterator[str | Answer]:
        """The answer's text so far, escaped, as it is written; last the Answer itself."""
        # ask_stream yields text deltas, sentence checks (not shown: the final Answer keeps
        # only supported sentences), then the Answer. The extractive answerer writes nothing,
        # so its text arrives in one piece.
        text = ""
        for event in assistant.ask_stream(message, **ask):
            if isinstance(event, Answer):
                yield event
                return
            if isinstance(event, str) and event:
                text += event
                yield escape_markdown_keep_markers(text)

    def for_backend(self, llm: str | None, llm_model: str | None) -> Assistant:
        """The Assistant for this answerer: siblings share the index and the loaded model."""
        base = self.assistant
        if not llm or (llm, llm_model or base.settings.llm_model) == (
            base.settings.llm,
            base.settings.llm_model,
        ):
            return base
        key = (llm, llm_model)
        with self._lock:
            if key not in self._siblings:
                sibling = Assistant(
                    base.settings.replace(llm=llm, llm_model=llm_model),
                    embedder=base.embedder,
                    index=base.index,
                    auto_ingest=base.auto_ingest,
                )
                self._siblings[key] = sibling
            return self._siblings[key]


def earlier_turns(history: list[dict[str, Any]], turns: Sequence[Turn]) -> list[HistoryItem]:
    """What the assistant is told of the conversation so far: its turns (each question as
    understood, with its answer) when there is one for each question shown; else only the
    questions shown, as typed (a client of the API sends the messages alone)."""
    asked = [_content_text(m) for m in history if m.get("role") == "user"]
    if len(turns) == len(asked):
        return [t for t in turns if t.question.strip()]
    return [q for q in asked if q.strip()]


def _content_text(message: dict[str, Any]) -> str:
    """A chat message's text as the user typed it (the Chatbot shows it escaped)."""
    return unescape_markdown(message_text(message))


def sorry(exc: Exception, hint: str = "") -> str:
    """An error as a reply: its message, escaped, then what to do about it if we know."""
    return f"Sorry, I can't answer that right now: {escape_markdown(str(exc))}" + (
        f"\n\n{hint}" if hint else ""
    )


def answerer_names(current: str) -> list[str]:
    """The registered answerers (the LLM ones load their packages only when chosen)."""
    return sorted({current, *ANSWERERS})
