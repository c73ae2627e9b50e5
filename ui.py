"""The Gradio chat: the page's layout and its event wiring, around an injected `Assistant`.

`build_app(assistant)` makes the Blocks app, so tests can serve it on a free port (and call
`ChatHandler` directly, without a server). The page has the chat (answers appear
progressively, with [n] markers that scroll to their source cards, a timeline when the
sources span several dates, and "Understood as" above the answer to a follow-up; the
browser keeps the chat across reloads until "New chat"), a settings panel (answerer,
filters, k), an upload panel and an index panel. What each event does lives in
`assistant/`:

    ui/chat.py         a message and the settings -> the reply, errors as friendly replies
    ui/render.py       an Answer -> the message's HTML, every piece of article text escaped
    ui/saved_chat.py   the chat as the browser keeps it, read back without trusting it
    ui/index_panel.py  the upload and index panels: add files, re-sync the corpus, summarize;
                       the newest headlines as example questions
    ui/style.py        the CSS and the script for [n] clicks

Safety: article text and the user's own question are escaped before they are put in a
message, and the Chatbot sanitizes HTML on top of that, so neither can inject markup. The
upload endpoint reads only files that a client uploaded, whatever paths a request names.
Gradio is imported lazily, its analytics switched off before the import, and the page
loads nothing from beyond the server (local fonts, no CDN).

What it does not do: answer by itself (the Assistant does), keep chats on the server (the
browser keeps them; a page's session holds its turns only while it is open), or stream
tokens from an LLM itself (it shows what `Assistant.ask_stream` yields).

Run it: `python ui.py [--index DIR] [--host H] [--port P] [--llm NAME]`, or `assistant
serve` (the same options). Set
`ASSISTANT_UI_AUTH=user:password` to require a login.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from assistant import Assistant, AssistantError
from assistant.cli.main import add_serve_arguments, make_assistant
from assistant.errors import SettingsError
from assistant.offline import go_offline
from assistant.ui.chat import ChatHandler, answerer_names
from assistant.ui.index_panel import (
    add_files,
    example_questions,
    index_summary,
    outlet_names,
    resync_corpus,
    synced_corpus,
)
from assistant.ui.saved_chat import restored_chat, saved_chat
from assistant.ui.style import CSS, HEAD

TITLE = "News Assistant"
UPLOAD_TYPES = [".txt", ".md", ".html", ".json", ".jsonl"]


# -- the page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Page:
    """The components that events read or write (Gradio objects, hence Any)."""

    chatbot: Any
    box: Any
    turns: Any
    saved: Any
    new_chat: Any
    examples: Any
    backend: Any
    model: Any
    as_of: Any
    since: Any
    until: Any
    outlets: Any
    k: Any
    files: Any
    add: Any
    upload_report: Any
    summary: Any
    sync: Any
    sync_report: Any


def build_app(assistant: Assistant) -> Any:
    """The Blocks app: the chat on the left; settings, upload and index panels on the right."""
    go_offline()
    import gradio as gr

    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        gr.Markdown(
            f"## {TITLE}\nAsk about the articles in the index. Every answer cites them: "
            "click a [n] to see its source."
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300):
                chat = _chat_panel(gr, assistant)
            with gr.Column(scale=2, min_width=280):
                settings = _settings_panel(gr, assistant)
                upload = _upload_panel(gr)
                index = _index_panel(gr, assistant)
        _wire(gr, app, _Page(**chat, **settings, **upload, **index), assistant)
    return app


def _chat_panel(gr: Any, assistant: Assistant) -> dict[str, Any]:
    chatbot = gr.Chatbot(
        label="Chat",
        show_label=False,
        height=620,
        sanitize_html=True,
        elem_id="chat",
        feedback_options=None,
        buttons=["copy"],
        placeholder="Ask a question about the articles in the index.",
    )
    box = gr.Textbox(
        label="Question",
        show_label=False,
        placeholder="Ask about the news in the index",
        elem_id="question",
        submit_btn=True,
        autofocus=True,
    )
    # The index's newest headlines, refreshed as it changes (a fixed list would ask about
    # articles a user's own index does not hold).
    titles = example_questions(assistant)
    examples = gr.Dataset(
        components=[box],
        samples=[[t] for t in titles],
        label="Newest articles",
        elem_id="examples",
        visible=bool(titles),
    )
    new_chat = gr.Button("New chat", size="sm", variant="secondary", elem_id="new-chat")
    # One Turn per exchange shown (the question as understood, with its answer): what the
    # assistant is told of the conversation, on the server for this page's session.
    turns = gr.State([])
    return {
        "chatbot": chatbot,
        "box": box,
        "turns": turns,
        "saved": _saved_chat(gr, assistant),
        "new_chat": new_chat,
        "examples": examples,
    }


def _saved_chat(gr: Any, assistant: Assistant) -> Any:
    """Where the browser keeps the chat across reloads (its localStorage, no server account)."""
    # Gradio encrypts the stored value with a secret that it sends to the page, so the secret
    # hides nothing from the page's user. It is fixed per index rather than random at each
    # start, so that a chat survives a server restart; a chat kept for another index (another
    # server once at this address) cannot be read, and the page starts empty.
    index = str(assistant.settings.index_dir.resolve())
    secret = hashlib.sha256(f"news-assistant-chat:{index}".encode()).hexdigest()[:32]
    return gr.BrowserState(saved_chat([], []), storage_key="news-assistant-chat", secret=secret)


def _settings_panel(gr: Any, assistant: Assistant) -> dict[str, Any]:
    settings = assistant.settings
    with gr.Accordion("Settings", open=False, elem_id="settings"):
        backend = gr.Dropdown(
            answerer_names(settings.llm),
            value=settings.llm,
            label="Answerer",
            allow_custom_value=True,
        )
        model = gr.Textbox(
            value=settings.llm_model or "", label="Model", placeholder="the backend's default"
        )
        as_of = gr.Textbox(value="", label='"As of" date', placeholder="YYYY-MM-DD")
        with gr.Row():
            since = gr.Textbox(value="", label="Published since", placeholder="YYYY-MM-DD")
            until = gr.Textbox(value="", label="until", placeholder="YYYY-MM-DD")
        outlets = gr.Dropdown(
            outlet_names(assistant), multiselect=True, label="Outlets (all if empty)"
        )
        k = gr.Slider(1, 20, value=settings.k, step=1, label="Passages per question")
    return dict(
        backend=backend, model=model, as_of=as_of, since=since, until=until, outlets=outlets, k=k
    )


def _upload_panel(gr: Any) -> dict[str, Any]:
    with gr.Accordion("Add articles", open=False, elem_id="upload"):
        files = gr.File(
            file_count="multiple",
            file_types=UPLOAD_TYPES,
            label=" ".join(UPLOAD_TYPES),
            elem_id="upload-files",
        )
        add = gr.Button("Add to the index", variant="primary", elem_id="upload-btn")
        upload_report = gr.Markdown(label="report", elem_id="upload-report")
    return {"files": files, "add": add, "upload_report": upload_report}


def _index_panel(gr: Any, assistant: Assistant) -> dict[str, Any]:
    with gr.Accordion("Index", open=True, elem_id="index"):
        summary = gr.Markdown(index_summary(assistant), label="index", elem_id="index-summary")
        corpus = synced_corpus(assistant)
        sync = gr.Button(
            f"Re-sync {corpus.name}/" if corpus else "Re-sync",
            size="sm",
            visible=corpus is not None,
            elem_id="resync",
        )
        sync_report = gr.Markdown(label="report")
    return {"summary": summary, "sync": sync, "sync_report": sync_report}


# -- the events ----------------------------------------------------------------------------


def _wire(gr: Any, app: Any, page: _Page, assistant: Assistant) -> None:
    """Connect the components to what they do; adding articles runs one at a time."""
    handler = ChatHandler(assistant)
    bar = gr.Progress()  # Gradio finds the progress bar by this default value

    def refresh() -> tuple[str, Any, Any]:
        titles = example_questions(assistant)
        return (
            index_summary(assistant),
            gr.Dropdown(choices=outlet_names(assistant)),
            gr.Dataset(samples=[[t] for t in titles], visible=bool(titles)),
        )

    def uploaded(path: str) -> bool:
        # Gradio records each file that arrives through its upload route; a request may
        # name any path instead, and Gradio lets through those under its temp folder.
        return path in app.upload_file_set

    def upload(files: list[str] | None, progress: Any = bar) -> tuple[str, str, Any, Any]:
        ticker = _ticker(progress, "Indexing")
        return (add_files(assistant, files or [], ticker, uploaded), *refresh())

    def resync(progress: Any = bar) -> tuple[str, str, Any, Any]:
        return (resync_corpus(assistant, _ticker(progress, "Re-syncing")), *refresh())

    p = page
    settings = [p.backend, p.model, p.as_of, p.since, p.until, p.outlets, p.k]
    chat = [p.box, p.chatbot, p.turns, *settings]
    asked = p.box.submit(handler.respond, chat, [p.chatbot, p.box, p.turns], api_name="chat")
    # Stored once the reply is complete: a reload while an answer streams loses only it.
    asked.then(saved_chat, [p.chatbot, p.turns], p.saved, api_name=False)
    app.load(restored_chat, p.saved, [p.chatbot, p.turns], api_name=False)
    p.new_chat.click(
        lambda: ([], [], saved_chat([], [])),
        None,
        [p.chatbot, p.turns, p.saved],
        api_name=False,
        cancels=[asked],
    )
    ingest = dict(concurrency_id="ingest", concurrency_limit=1)
    after_ingest = [p.summary, p.outlets, p.examples]
    p.add.click(upload, p.files, [p.upload_report, *after_ingest], api_name="upload", **ingest)
    p.sync.click(resync, None, [p.sync_report, *after_ingest], api_name="resync", **ingest)
    p.examples.click(lambda sample: sample[0], p.examples, p.box, api_name=False)
    app.load(refresh, None, after_ingest, api_name=False)


def _ticker(progress: Any, desc: str) -> Callable[[int, int], None]:
    """Ingest's progress(done, total), drawn on Gradio's progress bar."""

    def tick(done: int, total: int) -> None:
        progress((done, total), desc=desc, unit="articles")

    return tick


# -- serving -------------------------------------------------------------------------------


def auth_from_env(environ: dict[str, str] | None = None) -> tuple[str, str] | None:
    """`ASSISTANT_UI_AUTH=user:password` as Gradio's login pair, or None for no login."""
    raw = (os.environ if environ is None else environ).get("ASSISTANT_UI_AUTH", "")
    if not raw:
        return None
    user, sep, password = raw.partition(":")
    if not sep or not user or not password:
        raise SettingsError("ASSISTANT_UI_AUTH must look like user:password")
    return user, password


def launch(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    block: bool = True,
) -> Any:
    """Queue and serve the app; `block=False` returns at once (tests, notebooks)."""
    go_offline()
    import gradio as gr

    # A queue lets several people chat at once; 4 answers at a time suits a laptop CPU.
    app.queue(default_concurrency_limit=4, max_size=64)
    theme = gr.themes.Soft(
        font=["ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=["ui-monospace", "Consolas", "monospace"],
    )
    return app.launch(
        server_name=host,
        server_port=port,
        share=False,
        auth=auth,
        prevent_thread_lock=not block,
        quiet=not block,
        css=CSS,
        head=HEAD,
        theme=theme,
        footer_links=[],
        show_error=False,
        ssr_mode=False,
    )


def serve(assistant: Assistant, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Index the corpus if needed, then serve the chat until interrupted."""
    auth = auth_from_env()
    try:
        assistant.ready()
    except AssistantError as exc:
        print(f"Warning: {exc}", file=sys.stderr)
    launch(build_app(assistant), host, port, auth)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The News Assistant chat in the browser.")
    add_serve_arguments(parser)
    args = parser.parse_args(argv)
    try:
        serve(make_assistant(args), args.host, args.port)
    except AssistantError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
