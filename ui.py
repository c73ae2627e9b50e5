"""The Gradio chat: glue between a browser and an `Assistant`, nothing more.

`build_app(assistant)` makes the Blocks app from an injected Assistant, so tests can call
`ChatHandler` directly or serve the app on a free port. Gradio is imported lazily and its
analytics are switched off before that import. Article text and titles are always
escaped: the page shows them, it never interprets them.

Run it: `python ui.py [--index DIR] [--host H] [--port P]`, or `assistant serve`.
"""

from __future__ import annotations

import argparse
import html
import sys
from collections.abc import Sequence
from typing import Any

from assistant import Answer, Assistant, AssistantError, Citation, Settings
from assistant.offline import go_offline

TITLE = "News Assistant"
EXAMPLES = [
    "Who founded Mistral?",
    "When was Mistral 7B released?",
    "What did Mistral launch with Microsoft?",
    "How much did Mistral raise in June 2024?",
]


def source_cards(answer: Answer) -> str:
    """HTML cards for the cited passages (or the closest articles), every field escaped."""
    if not answer.citations:
        items = [
            f"<li>{html.escape(p.title)} — {html.escape(p.source or '')}"
            f"{', ' + p.published.isoformat() if p.published else ''}</li>"
            for p in answer.related
        ]
        return f'<ul class="related">{"".join(items)}</ul>' if items else ""
    cards = []
    for c in answer.citations:
        title = html.escape(c.title)
        if c.url and c.url.startswith(("http://", "https://")):
            title = f'<a href="{html.escape(c.url)}" target="_blank" rel="noopener">{title}</a>'
        meta = " · ".join(
            html.escape(x)
            for x in (c.source or "", c.published.isoformat() if c.published else "")
            if x
        )
        cards.append(
            f'<div class="source-card" id="source-{c.n}"><div class="card-head">[{c.n}] {title}'
            f'</div><div class="card-meta">{meta}</div>'
            f"<blockquote>{_highlight(c)}</blockquote></div>"
        )
    return "".join(cards)


def _highlight(c: Citation) -> str:
    """The retrieved passage with the cited sentence marked; everything escaped."""
    context, passage = c.context, c.passage
    start, end = c.start - c.context_start, c.end - c.context_start
    if not context or not 0 <= start < end <= len(context):
        return f"<mark>{html.escape(passage)}</mark>"
    return (
        html.escape(context[:start])
        + "<mark>"
        + html.escape(context[start:end])
        + "</mark>"
        + html.escape(context[end:])
    )


class ChatHandler:
    """Turns a chat message into (assistant reply, source cards); errors become replies."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def __call__(self, message: str, history: list[dict[str, Any]]) -> tuple[str, str]:
        if not message or not message.strip():
            return "Please type a question about the news.", ""
        try:
            answer = self.assistant.ask(message)
        except AssistantError as exc:
            return f"Sorry, I can't answer that right now: {exc}", ""
        return str(answer), source_cards(answer)


CSS = """
.source-card { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 8px 12px; margin: 6px 0; }
.card-meta { color: var(--body-text-color-subdued); font-size: 0.9em; }
.source-card blockquote { margin: 6px 0 0 0; }
"""


def build_app(assistant: Assistant) -> Any:
    go_offline()
    import gradio as gr

    handler = ChatHandler(assistant)

    def respond(message: str, history: list[dict[str, Any]]) -> tuple[Any, str, str]:
        reply, cards = handler(message, history)
        history = [
            *history,
            {"role": "user", "content": message},
            {"role": "assistant", "content": reply},
        ]
        return history, cards, ""

    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        gr.Markdown(f"# {TITLE}\nAsk about the articles in the index; every answer cites them.")
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Chat", height=480, sanitize_html=True, elem_id="chat")
                box = gr.Textbox(
                    label="Question",
                    placeholder="Who founded Mistral?",
                    elem_id="question",
                    submit_btn=True,
                )
                gr.Examples(EXAMPLES, inputs=box)
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                cards = gr.HTML(elem_id="sources")
        box.submit(respond, [box, chatbot], [chatbot, cards, box], api_name="chat")
    return app


def serve(assistant: Assistant, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Index the corpus if needed, then serve the chat until interrupted."""
    try:
        assistant.ready()
    except AssistantError as exc:
        print(f"Warning: {exc}", file=sys.stderr)
    app = build_app(assistant)
    app.queue(default_concurrency_limit=4).launch(
        server_name=host, server_port=port, share=False, css=CSS, footer_links=[]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The News Assistant chat in the browser.")
    parser.add_argument("--index", metavar="DIR", help="index folder")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("--port", type=int, default=7860, help="port")
    args = parser.parse_args(argv)
    try:
        assistant = Assistant(Settings.from_env(index_dir=args.index))
    except AssistantError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    serve(assistant, args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
