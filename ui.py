"""The Gradio chat: glue between a browser and an `Assistant`, nothing more.

`build_app(assistant)` makes the Blocks app from an injected Assistant, so tests can call
`ChatHandler` directly or serve the app on a free port. The page has the chat (answers
appear progressively, with [n] markers that scroll to their source cards and a timeline
when the sources span several dates), a settings panel (answerer, filters, k), an upload
panel and an index panel.

Safety: every piece of article text (titles, outlets, passages) is escaped before it is
put in a message, and the Chatbot sanitizes HTML on top of that, so an article cannot
inject markup. Gradio is imported lazily, its analytics switched off before the import,
and the page loads nothing from beyond the server (local fonts, no CDN).

What it does not do: answer by itself (the Assistant does), keep chats on the server, or
stream tokens from an LLM itself (it shows what `Assistant.ask_stream` yields).

Run it: `python ui.py [--index DIR] [--host H] [--port P]`, or `assistant serve`. Set
`ASSISTANT_UI_AUTH=user:password` to require a login.
"""

from __future__ import annotations

import argparse
import html
import logging
import os
import re
import shutil
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from assistant import Answer, Assistant, AssistantError, Citation, Filters, Settings
from assistant.citations import escape_markdown, escape_markdown_keep_markers
from assistant.errors import IndexError_, SettingsError
from assistant.offline import go_offline

log = logging.getLogger("assistant.ui")

TITLE = "News Assistant"
UPLOAD_TYPES = [".txt", ".md", ".html", ".json", ".jsonl"]
# Each one is answered, with citations, from the bundled corpus (tests/test_ui.py checks).
EXAMPLES = [
    "Who founded Mistral?",
    "When was Mistral 7B released?",
    "What did Mistral launch with Microsoft?",
    "How much did Mistral raise in June 2024?",
]


# -- rendering: everything from an article goes through `_text` ----------------------------

# Markdown punctuation as HTML entities: even if a renderer treated our HTML as Markdown,
# escaped article text could not form a link or emphasis.
_MD_ENTITIES = str.maketrans({"[": "&#91;", "]": "&#93;", "*": "&#42;", "_": "&#95;", "`": "&#96;"})


def _text(value: str | None) -> str:
    """Article text as inert HTML on one line (a blank line would end the HTML block)."""
    return html.escape(" ".join((value or "").split())).translate(_MD_ENTITIES)


def _safe_url(url: str | None) -> str | None:
    if url and url.startswith(("http://", "https://")) and not re.search(r"[\s<>\"']", url):
        return url
    return None


def card_id(turn: int, n: int) -> str:
    return f"src-{turn}-{n}"


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
    url = _safe_url(c.url)
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


CONTEXT_CHARS = 110  # of the passage shown around the cited sentence, each side


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


def _marker(turn: int, n: int) -> str:
    return f'<a class="cite" href="#{card_id(turn, n)}">[{n}]</a>'


def answer_text(answer: Answer, turn: int) -> str:
    """The answer as Markdown, escaped, with each [n] a link to its card."""
    numbers = {c.n for c in answer.citations}
    text = escape_markdown_keep_markers(answer.text)

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return _marker(turn, n) if n in numbers else m.group(0)

    return re.sub(r"\[(\d+)\]", link, text)


def render_reply(answer: Answer, turn: int) -> str:
    """The whole chat message: answer text, then the timeline and the source cards."""
    extras = timeline(answer.citations, turn) + source_cards(answer, turn)
    if not answer.citations and answer.related:
        extras = '<div class="related-head">Closest articles</div>' + extras
    return answer_text(answer, turn) + ("\n\n" + extras if extras else "")


def index_summary(assistant: Assistant) -> str:
    """The index panel: how much is indexed, from which outlets, over which dates."""
    try:
        s = assistant.stats()
    except AssistantError as exc:
        return f"The index can't be read: {escape_markdown(str(exc))}"
    if not s.articles:
        return "The index is empty: upload articles or re-sync `corpus/`."
    span = f"{s.oldest} → {s.newest}" if s.oldest and s.newest else "no dates"
    outlets = ", ".join(escape_markdown(x) for x in s.sources) or "none named"
    return (
        f"**{s.articles}** articles · **{s.chunks}** passages · **{len(s.sources)}** outlets  \n"
        f"Published {span}  \nOutlets: {outlets}"
    )


# -- chatting ------------------------------------------------------------------------------


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
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise SettingsError(f'the "{name}" date must look like 2024-02-26, got {value!r}') from None


class ChatHandler:
    """Turns a chat message into the assistant's reply; errors become friendly replies."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self._siblings: dict[tuple[str, str | None], Assistant] = {}
        self._lock = threading.Lock()

    def reply(
        self, message: str, history: list[dict[str, Any]], options: ChatOptions | None = None
    ) -> str:
        """The complete reply to one message, without streaming."""
        *_, last = self.stream(message, history, options)
        return last

    def stream(
        self, message: str, history: list[dict[str, Any]], options: ChatOptions | None = None
    ) -> Iterator[str]:
        """The assistant's message as it grows; the last one is complete."""
        options = options or ChatOptions()
        if not message or not message.strip():
            yield "Please type a question about the news."
            return
        turn = sum(1 for m in history if m.get("role") == "assistant") + 1
        try:
            assistant = self.for_backend(options.llm, options.llm_model)
            earlier = [_content_text(m) for m in history if m.get("role") == "user"]
            ask = dict(k=options.k, filters=options.filters, history=earlier)
            yield from self._answer(assistant, message, ask, turn)
        except IndexError_ as exc:
            yield _sorry(exc, "Upload articles in **Add articles**, or re-sync `corpus/`.")
        except AssistantError as exc:
            yield _sorry(exc)
        except Exception:  # a bug must not show the user a stack trace; the log has it
            log.exception("the chat failed on %r", message)
            yield "Sorry, something went wrong on our side. The details are in the server log."

    def _answer(
        self, assistant: Assistant, message: str, ask: dict[str, Any], turn: int
    ) -> Iterator[str]:
        # ask_stream yields text deltas, sentence checks (not shown: the final Answer keeps
        # only supported sentences), then the Answer. The extractive answerer writes nothing,
        # so its text arrives in one piece.
        text = ""
        for event in assistant.ask_stream(message, **ask):
            if isinstance(event, Answer):
                yield render_reply(event, turn)
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
                sibling = Assistant(base.settings.replace(llm=llm, llm_model=llm_model))
                sibling.auto_ingest = base.auto_ingest
                sibling.embedder = base.embedder
                sibling.index = base.index
                self._siblings[key] = sibling
            return self._siblings[key]


def _content_text(message: dict[str, Any]) -> str:
    """A chat message's text, whichever of Gradio's content shapes it arrives in."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _sorry(exc: Exception, hint: str = "") -> str:
    return f"Sorry, I can't answer that right now: {escape_markdown(str(exc))}" + (
        f"\n\n{hint}" if hint else ""
    )


# -- adding articles -----------------------------------------------------------------------


def uploads_dir(assistant: Assistant) -> Path:
    """Uploaded files are kept beside the index, so re-uploading a file updates it."""
    return assistant.settings.index_dir / "uploads"


def ingest_uploads(
    assistant: Assistant, files: Sequence[str], progress: Callable[[int, int], None] | None = None
) -> str:
    """Copy the uploaded files into the uploads folder, index them, report per file."""
    if not files:
        return "Choose one or more files first."
    target = uploads_dir(assistant)
    target.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in files:
        path = target / Path(f).name
        shutil.copyfile(f, path)
        paths.append(path)
    report = assistant.ingest(paths, progress=progress)
    return ingest_summary(report, strip=str(target) + os.sep)


def ingest_summary(report: Any, strip: str = "") -> str:
    lines = [escape_markdown(report.summary().capitalize()) + "."]
    if report.failed:
        lines += ["", "These could not be read (the other files were kept):"]
        lines += [
            f"- {escape_markdown(where.removeprefix(strip))}: {escape_markdown(reason)}"
            for where, reason in report.failed
        ]
    return "\n".join(lines)


# -- the page ------------------------------------------------------------------------------

# Gradio scopes this CSS to the app's content (it prefixes every selector).
CSS = """
.source-card { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 6px 10px; margin: 6px 0; background: var(--background-fill-secondary);
  transition: box-shadow .3s; }
.source-card.flash { box-shadow: 0 0 0 3px var(--color-accent); }
.card-head { font-weight: 600; }
.card-n { color: var(--color-accent); }
.card-meta { color: var(--body-text-color-subdued); font-size: 0.85em; }
.source-card blockquote { margin: 4px 0 0 0; padding-left: 8px; font-size: 0.9em;
  border-left: 3px solid var(--border-color-primary); }
.source-card mark { background: #fde68a; color: #111; padding: 0 2px; }
#chat a.cite { color: var(--color-accent); text-decoration: none; font-weight: 600;
  cursor: pointer; }
ol.timeline { display: flex; flex-wrap: wrap; gap: 4px 0; list-style: none; padding: 0;
  margin: 8px 0; font-size: 0.85em; }
.tl-stop { display: flex; align-items: center; gap: 4px; }
.tl-stop + .tl-stop::before { content: ""; width: 24px; height: 2px; margin: 0 6px;
  background: var(--border-color-primary); }
.tl-date { color: var(--body-text-color-subdued); }
.tl-date::before { content: "●"; color: var(--color-accent); margin-right: 3px; }
.related-head { font-weight: 600; margin-top: 6px; }
@media (max-width: 640px) { #chat { height: 65vh !important; } }
"""

# Clicking [n] scrolls its card into view inside the chat, and flashes it.
HEAD = """
<style>
/* The page frame is outside the scope of CSS above: a narrow margin on phones. */
@media (max-width: 640px) {
  .main.app { padding-left: 6px !important; padding-right: 6px !important; }
}
</style>
<script>
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a.cite");
  if (!link) return;
  // The sanitizer keeps href and id (it drops data-* attributes).
  const id = (link.getAttribute("href") || "").slice(1);
  const card = document.getElementById(id);
  if (!card) return;
  event.preventDefault();
  event.stopPropagation();
  card.scrollIntoView({ behavior: "smooth", block: "nearest" });
  card.classList.add("flash");
  setTimeout(() => card.classList.remove("flash"), 1500);
}, true);
// Gradio scrolls a chat to its bottom; when an answer's sources arrive, show the answer's
// start instead, so the reader sees the answer first and the cards below it.
const shown = new WeakSet();
new MutationObserver(() => {
  for (const sources of document.querySelectorAll("#chat .message.bot .sources")) {
    if (shown.has(sources)) continue;
    shown.add(sources);
    const message = sources.closest(".message.bot");
    setTimeout(() => message.scrollIntoView({ behavior: "smooth", block: "start" }), 150);
  }
}).observe(document.documentElement, { childList: true, subtree: true });
</script>
"""


def build_app(assistant: Assistant) -> Any:
    go_offline()
    import gradio as gr

    handler = ChatHandler(assistant)
    settings = assistant.settings
    bar = gr.Progress()  # Gradio finds the progress bar by this default value

    def respond(
        message: str,
        history: list[dict[str, Any]],
        backend: str | None = None,
        model: str | None = None,
        as_of: str | None = None,
        since: str | None = None,
        until: str | None = None,
        outlets: list[str] | None = None,
        k: float | None = None,
    ) -> Iterator[tuple[list[dict[str, Any]], str]]:
        history = [*history, {"role": "user", "content": message}]
        try:
            options = parse_options(backend, model, as_of, since, until, outlets, k)
        except AssistantError as exc:
            yield [*history, {"role": "assistant", "content": _sorry(exc)}], ""
            return
        yield [*history, {"role": "assistant", "content": "Searching the articles…"}], ""
        for reply in handler.stream(message, history[:-1], options):
            yield [*history, {"role": "assistant", "content": reply}], ""

    def refresh() -> tuple[str, Any]:
        sources = _outlets(assistant)
        return index_summary(assistant), gr.Dropdown(choices=sources)

    def upload(files: list[str] | None, progress: Any = bar) -> tuple[str, str, Any]:
        def tick(done: int, total: int) -> None:
            progress((done, total), desc="Indexing", unit="articles")

        try:
            report = ingest_uploads(assistant, files or [], tick)
        except AssistantError as exc:
            report = f"Could not add the files: {escape_markdown(str(exc))}"
        return (report, *refresh())

    def resync(progress: Any = bar) -> tuple[str, str, Any]:
        def tick(done: int, total: int) -> None:
            progress((done, total), desc="Re-syncing corpus/", unit="articles")

        try:
            report = ingest_summary(
                assistant.ingest([settings.corpus_dir], sync=True, progress=tick)
            )
        except AssistantError as exc:
            report = f"Could not re-sync: {escape_markdown(str(exc))}"
        return (report, *refresh())

    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        gr.Markdown(
            f"## {TITLE}\nAsk about the articles in the index. Every answer cites them: "
            "click a [n] to see its source."
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300):
                chatbot = gr.Chatbot(
                    label="Chat",
                    show_label=False,
                    height=620,
                    sanitize_html=True,
                    elem_id="chat",
                    feedback_options=None,
                    buttons=["copy"],
                    placeholder="Ask a question, or pick an example below.",
                )
                box = gr.Textbox(
                    label="Question",
                    show_label=False,
                    placeholder="Who founded Mistral?",
                    elem_id="question",
                    submit_btn=True,
                    autofocus=True,
                )
                gr.Examples(EXAMPLES, inputs=box, label="Examples")
            with gr.Column(scale=2, min_width=280):
                with gr.Accordion("Settings", open=False, elem_id="settings"):
                    backend = gr.Dropdown(
                        answerer_names(settings.llm),
                        value=settings.llm,
                        label="Answerer",
                        allow_custom_value=True,
                    )
                    model = gr.Textbox(
                        value=settings.llm_model or "",
                        label="Model",
                        placeholder="the backend's default",
                    )
                    as_of = gr.Textbox(value="", label='"As of" date', placeholder="YYYY-MM-DD")
                    with gr.Row():
                        since = gr.Textbox(
                            value="", label="Published since", placeholder="YYYY-MM-DD"
                        )
                        until = gr.Textbox(value="", label="until", placeholder="YYYY-MM-DD")
                    outlets = gr.Dropdown(
                        _outlets(assistant), multiselect=True, label="Outlets (all if empty)"
                    )
                    k = gr.Slider(1, 20, value=settings.k, step=1, label="Passages per question")
                with gr.Accordion("Add articles", open=False, elem_id="upload"):
                    files = gr.File(
                        file_count="multiple",
                        file_types=UPLOAD_TYPES,
                        label=" ".join(UPLOAD_TYPES),
                        elem_id="upload-files",
                    )
                    add = gr.Button("Add to the index", variant="primary", elem_id="upload-btn")
                    upload_report = gr.Markdown(label="report", elem_id="upload-report")
                with gr.Accordion("Index", open=True, elem_id="index"):
                    summary = gr.Markdown(
                        index_summary(assistant), label="index", elem_id="index-summary"
                    )
                    sync = gr.Button("Re-sync corpus/", size="sm")
                    sync_report = gr.Markdown(label="report")
        inputs = [box, chatbot, backend, model, as_of, since, until, outlets, k]
        box.submit(respond, inputs, [chatbot, box], api_name="chat")
        add.click(
            upload,
            files,
            [upload_report, summary, outlets],
            api_name="upload",
            concurrency_id="ingest",
            concurrency_limit=1,
        )
        sync.click(
            resync,
            None,
            [sync_report, summary, outlets],
            api_name="resync",
            concurrency_id="ingest",
            concurrency_limit=1,
        )
        app.load(refresh, None, [summary, outlets], api_name=False)
    return app


def answerer_names(current: str) -> list[str]:
    """The registered answerers (the LLM ones load their packages only when chosen)."""
    from assistant.answering import ANSWERERS

    return sorted({current, *ANSWERERS})


def _outlets(assistant: Assistant) -> list[str]:
    try:
        return list(assistant.stats().sources)
    except AssistantError:
        return []


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
    parser.add_argument("--index", metavar="DIR", help="index folder")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("--port", type=int, default=7860, help="port")
    args = parser.parse_args(argv)
    try:
        serve(Assistant(Settings.from_env(index_dir=args.index)), args.host, args.port)
    except AssistantError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
