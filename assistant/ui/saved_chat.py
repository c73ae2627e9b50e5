"""A conversation as the browser keeps it: the Chatbot's messages and the turns behind them.

After each answer the page stores one value, `saved_chat(messages, turns)`, in the
browser's localStorage (a `gr.BrowserState`, wired in ui.py), and hands it back when the
page loads, so a chat survives a reload with no account on the server; "New chat" stores
`saved_chat([], [])`. `restored_chat(value)` reads the value back and trusts nothing in it: it
comes from the browser, so whatever is not in the shape saved is dropped, and a value that
cannot be read at all (another version's, or none) is an empty chat.

What it does not do: import Gradio, keep anything on the server, or render a message (what
is stored is the message as it was shown, already escaped; the Chatbot sanitizes it again).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..schema import Turn

VERSION = 1  # of the stored shape; a value of another version is not read
_ROLES = ("user", "assistant")


def saved_chat(messages: Sequence[dict[str, Any]], turns: Sequence[Turn]) -> dict[str, Any]:
    """What the browser stores: each message's role and text, each turn's question and answer."""
    return {
        "version": VERSION,
        "messages": [
            {"role": m.get("role"), "content": message_text(m)}
            for m in messages
            if m.get("role") in _ROLES
        ],
        "turns": [
            {"question": t.question, "answer": t.answer, "articles": list(t.articles)}
            for t in turns
        ],
    }


def restored_chat(value: Any) -> tuple[list[dict[str, str]], list[Turn]]:
    """The messages to show and the turns to ask with, from a stored value; ([], []) if it
    is not one. Turns that do not match the questions shown are dropped (the chat then
    falls back to the questions as typed)."""
    if not isinstance(value, dict) or value.get("version") != VERSION:
        return [], []
    raw_messages, raw_turns = value.get("messages"), value.get("turns")
    if not isinstance(raw_messages, list) or not isinstance(raw_turns, list):
        return [], []
    messages = [
        {"role": m["role"], "content": m["content"]}
        for m in raw_messages
        if isinstance(m, dict) and m.get("role") in _ROLES and isinstance(m.get("content"), str)
    ]
    turns = [
        Turn(t["question"], t["answer"], _article_ids(t.get("articles")))
        for t in raw_turns
        if isinstance(t, dict)
        and isinstance(t.get("question"), str)
        and isinstance(t.get("answer"), str)
    ]
    asked = sum(1 for m in messages if m["role"] == "user")
    return messages, turns if len(turns) == asked else []


def _article_ids(value: Any) -> tuple[str, ...]:
    """A stored turn's cited article ids; () if absent or not a list of strings (a chat
    saved before turns kept them, or a value edited in the browser)."""
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        return ()
    return tuple(value)


def message_text(message: dict[str, Any]) -> str:
    """A chat message's text as shown, whichever of Gradio's content shapes it arrives in
    (a string, or a list of parts as the Chatbot sends them back)."""
    content = message.get("content")
    if isinstance(content, list):
        content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""
