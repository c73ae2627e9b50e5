"""The `assistant` command: ingest, ask, chat, serve, stats, eval.

This is one of the two places that print (ui.py is the other): every AssistantError is
caught in `main()` and shown as `Error: message`, exit status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from ..config import VERSION, Settings
from ..core import Assistant
from ..errors import AssistantError
from ..evaluation import METRICS, eval_assistant, evaluate, load_questions, write_report
from ..schema import Filters
from .terminal import ProgressBar, line_editing, print_streamed

Command = Callable[[argparse.Namespace], int]
# What a shell reports for a process that SIGPIPE ended: 128 + 13.
SIGPIPE_STATUS = 141


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    for noisy in ("sentence_transformers", "httpx", "chromadb", "transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        command: Command = args.command
        status = command(args)
        sys.stdout.flush()  # a reader that left shows here, where it can still be caught
        return status
    except BrokenPipeError:
        return _reader_gone()
    except AssistantError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _reader_gone() -> int:
    """The reader of our output closed it (`assistant ask ... | head`): stop quietly.

    Standard output is pointed at /dev/null so that Python's last flush at exit does not
    fail again; the status is a shell's for a process ended by SIGPIPE, as `yes | head`
    gives `yes`. Python ignores SIGPIPE, so without this the pipe ends in a traceback.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return SIGPIPE_STATUS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Ask questions about a folder of news articles; get cited answers.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    ingest = _command(sub, "ingest", cmd_ingest, "add or update articles in the index")
    ingest.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="files, folders, globs ('news/**/*.jsonl'), feeds, http(s) URLs, or - for stdin",
    )
    ingest.add_argument(
        "--sync", action="store_true", help="also remove indexed articles whose files are gone"
    )
    ingest.add_argument(
        "--strict", action="store_true", help="stop at the first file or record that fails"
    )

    ask = _command(sub, "ask", cmd_ask, "answer one question")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--k", type=_positive, default=None, help="passages to retrieve (default 5)")
    ask.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    _add_llm(ask)
    _add_filters(ask)

    ev = sub.add_parser("eval", help=EVAL_HELP, description=EVAL_HELP)
    ev.set_defaults(command=cmd_eval)
    ev.add_argument("questions", metavar="QUESTIONS.jsonl", help="one question per line")
    ev.add_argument("--corpus", required=True, metavar="CORPUS.jsonl", help="the articles")
    ev.add_argument("--k", type=_positive, default=5, help="passages per question (default 5)")
    ev.add_argument(
        "--as-of-question-date", action="store_true", help="answer each question as of its date"
    )
    ev.add_argument(
        "--gold-only", action="store_true", help="ask only the questions that have gold articles"
    )
    ev.add_argument("--json", metavar="OUT", help="write the metrics as JSON to this file")
    ev.add_argument("--report", metavar="OUT.html", help="write a readable HTML report")
    ev.add_argument(
        "--cache", metavar="DIR", help="where eval indexes live (~/.cache/news-assistant/eval)"
    )

    _add_llm(_command(sub, "chat", cmd_chat, "a conversation in the terminal"))
    _command(sub, "stats", cmd_stats, "what the index holds").add_argument(
        "--json", action="store_true", help="print the figures as JSON"
    )

    serve = sub.add_parser("serve", help=SERVE_HELP, description=SERVE_HELP)
    serve.set_defaults(command=cmd_serve)
    add_serve_arguments(serve)
    return parser


SERVE_HELP = "the chat in the browser (same as python ui.py)"


def add_serve_arguments(cmd: argparse.ArgumentParser) -> None:
    """The options of `assistant serve`, which `python ui.py` offers too."""
    _add_store(cmd)
    cmd.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    cmd.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    _add_llm(cmd)


def _command(sub: Any, name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
    cmd: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    _add_store(cmd)
    cmd.set_defaults(command=func)
    return cmd


def _add_store(cmd: argparse.ArgumentParser) -> None:
    """Where the index lives: its folder, the Chroma server holding its vectors, and the
    PostgreSQL database holding its catalog."""
    cmd.add_argument(
        "--index",
        metavar="DIR",
        default=None,
        help="index folder (default: $ASSISTANT_INDEX_DIR, else "
        "~/.local/share/news-assistant/index)",
    )
    cmd.add_argument(
        "--chroma-url",
        metavar="URL",
        default=None,
        help="keep the vectors on a Chroma server, e.g. http://127.0.0.1:8000 "
        "(default: $ASSISTANT_CHROMA_URL, else inside the index folder)",
    )
    cmd.add_argument(
        "--catalog-url",
        metavar="URL",
        default=None,
        help="keep the catalog and keyword search in PostgreSQL, e.g. "
        "postgresql://news@db.example/news (default: $ASSISTANT_CATALOG_URL, else inside "
        "the index folder)",
    )


def _add_llm(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--llm",
        metavar="BACKEND",
        help="who writes the answer: extractive (default), openai, ollama or llamacpp",
    )
    cmd.add_argument(
        "--model", metavar="NAME", help="the LLM's model name (a .gguf path for llamacpp)"
    )


def make_assistant(args: argparse.Namespace) -> Assistant:
    return Assistant(
        Settings.from_env(
            index_dir=args.index,
            chroma_url=args.chroma_url,
            catalog_url=args.catalog_url,
            llm=getattr(args, "llm", None),
            llm_model=getattr(args, "model", None),
        )
    )


def cmd_ingest(args: argparse.Namespace) -> int:
    assistant = make_assistant(args)
    with ProgressBar() as bar:
        report = assistant.ingest(args.paths, sync=args.sync, progress=bar, strict=args.strict)
    for where, reason in report.warnings:
        print(f"warning: {where}: {reason}", file=sys.stderr)
    for where, reason in report.failed:
        print(f"failed: {where}: {reason}", file=sys.stderr)
    print(report.summary())
    return 0 if report.ok else 1


EVAL_HELP = "measure retrieval and answers on questions with known answers"


def _add_filters(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--as-of",
        type=_day,
        metavar="DATE",
        help="answer as of this day: later articles are ignored, "
        "and 'this week', 'latest' count back from it",
    )
    cmd.add_argument(
        "--since", type=_day, metavar="DATE", help="only articles published on or after DATE"
    )
    cmd.add_argument(
        "--until", type=_day, metavar="DATE", help="only articles published on or before DATE"
    )
    cmd.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="OUTLET",
        help="only articles from this outlet (repeat for several)",
    )


def _filters(args: argparse.Namespace) -> Filters | None:
    if not (args.as_of or args.since or args.until or args.source):
        return None
    return Filters(args.as_of, args.since, args.until, tuple(args.source))


# Argument types: argparse turns their ArgumentTypeError into a usage error (exit status 2)
# that names the option and the value, before anything loads.


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        # A well-shaped impossible date (2024-02-31) gets Python's reason; any other
        # shape only the format.
        why = f" ({exc})" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else ""
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date{why}: write it as YYYY-MM-DD, e.g. 2024-02-26"
        ) from None


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of at least 1")
    return number


def cmd_ask(args: argparse.Namespace) -> int:
    assistant = make_assistant(args)
    if not args.json:
        print_streamed(assistant.ask_stream(args.question, k=args.k, filters=_filters(args)))
        return 0
    answer = assistant.ask(args.question, k=args.k, filters=_filters(args))
    print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    questions = load_questions(args.questions)
    if args.gold_only:
        questions = [q for q in questions if q.gold_ids]
    # Building the index can take minutes on a big corpus, and asking the questions too:
    # both show how far they are, in a terminal or a log.
    with ProgressBar("Indexing", lines=True) as bar:
        assistant = eval_assistant(args.corpus, args.cache, progress=bar)
    with ProgressBar("Asking", lines=True) as bar:
        result = evaluate(
            assistant,
            questions,
            args.k,
            args.as_of_question_date,
            curve=bool(args.report),
            progress=bar,
        )
    for name in METRICS:
        print(f"{name:>20}: {result.metrics[name]}")
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_json(), indent=2), encoding="utf-8")
    if args.report:
        write_report(
            result, args.report, f"{Path(args.questions).name} on {Path(args.corpus).name}"
        )
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    assistant = make_assistant(args)
    assistant.ready()  # no index, or an empty one: say so once, not at every question
    conversation = assistant.conversation()
    print("Ask about the news. An empty line or Ctrl-D ends the chat.")
    with line_editing() as remember:
        while True:
            try:
                question = input("\n> ").strip()
            except EOFError:
                return 0
            if not question:
                return 0
            remember(question)
            try:
                print_streamed(conversation.ask_stream(question))
            except AssistantError as exc:
                print(f"Error: {exc}")


def cmd_stats(args: argparse.Namespace) -> int:
    assistant = make_assistant(args)
    assistant.require_index()
    stats = assistant.stats()
    data = stats.to_json()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for key, value in data.items():
            shown = ", ".join(value) if isinstance(value, list) else value
            print(f"{key:>8}: {shown if shown not in (None, '') else '-'}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from ui import serve  # the web app, and gradio with it, load only for `serve`

    serve(make_assistant(args), host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
