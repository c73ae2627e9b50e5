"""The `assistant` command, in process and as a real console script."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.cli import main
from assistant.cli.terminal import print_streamed
from tests.conftest import write


def test_help_everywhere(capsys):
    for args in ([], ["ingest"], ["ask"], ["chat"], ["serve"], ["stats"]):
        with pytest.raises(SystemExit) as exit_:
            main([*args, "--help"])
        assert exit_.value.code == 0
        assert "usage: assistant" in capsys.readouterr().out


def test_ingest_ask_json_and_stats(tmp_path: Path, capsys):
    folder = tmp_path / "news"
    write(
        folder / "a.md",
        "---\ntitle: Lighthouse sold\nsource: Coast News\npublished: "
        "2023-04-05\n---\nThe old lighthouse at Cape Sample was sold at auction for "
        "2.4 million dollars to a marine research charity.\n",
    )
    write(folder / "bad.json", "{not json")
    index = str(tmp_path / "idx")
    assert main(["ingest", str(folder), "--index", index]) == 1, "a failed file sets the status"
    out = capsys.readouterr()
    assert "1 added" in out.out and "1 failed" in out.out and "bad.json" in out.err
    assert main(["ask", "Who bought the lighthouse?", "--index", index, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["answered"] and "marine research charity" in data["answer"]
    assert data["citations"][0]["title"] == "Lighthouse sold"
    assert main(["stats", "--index", index, "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["articles"] == 1 and stats["sources"] == ["Coast News"]


def test_errors_are_messages_not_tracebacks(tmp_path: Path, capsys):
    assert main(["ask", "anything?", "--index", str(tmp_path / "empty")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and "assistant ingest" in err and "Traceback" not in err


def test_unknown_setting_is_named(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("ASSISTANT_INDX_DIR", str(tmp_path))
    assert main(["stats"]) == 1
    assert "ASSISTANT_INDX_DIR" in capsys.readouterr().err


def test_console_script_answers_the_headline_question(corpus_assistant, tmp_path: Path):
    """The installed `assistant` command, in a new process, on the corpus index."""
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(corpus_assistant.settings.index_dir)}
    exe = Path(sys.executable).with_name("assistant")
    result = subprocess.run(
        [str(exe), "ask", "Who founded Mistral?", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    for name in ("Arthur Mensch", "Guillaume Lample", "Lacroix"):
        assert name in data["answer"]
    assert any(c["published"] == "2024-02-26" for c in data["citations"])


def test_chat_rewrites_a_follow_up(corpus_assistant, monkeypatch, capsys):
    from assistant.core import Conversation

    conversation = Conversation(corpus_assistant)
    conversation.ask("When was Mistral 7B released?")
    answer = conversation.ask("under which licence was it released?")
    assert "Mistral 7B" in conversation.questions[-1]
    assert "Apache" in answer.text


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["ask", "q", "--k", "0"], "argument --k: '0'"),
        (["ask", "q", "--k", "-3"], "argument --k: '-3'"),
        (["ask", "q", "--k", "five"], "argument --k: 'five'"),
        (["eval", "q.jsonl", "--corpus", "c.jsonl", "--k", "0"], "argument --k: '0'"),
        (["ask", "q", "--as-of", "2024-02-31"], "argument --as-of: '2024-02-31'"),
        (["ask", "q", "--as-of", "next tuesday"], "argument --as-of: 'next tuesday'"),
        (["ask", "q", "--since", "31/02/2024"], "argument --since: '31/02/2024'"),
        (["ask", "q", "--until", "2024-1-5"], "argument --until: '2024-1-5'"),
    ],
)
def test_bad_option_values_are_usage_errors(args: list[str], named: str, tmp_path: Path, capsys):
    """Exit status 2 and a usage line naming the option and the value, before anything
    loads or any index is made."""
    index = tmp_path / "idx"
    with pytest.raises(SystemExit) as exit_:
        main([*args, "--index", str(index)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "usage: assistant" in err and named in err and "Sorry" not in err
    assert not index.exists()


def test_k_below_one_is_refused_by_the_library(corpus_assistant):
    from assistant.errors import SettingsError

    for k in (0, -3):
        with pytest.raises(SettingsError, match=f"k must be .* at least 1, got {k}"):
            corpus_assistant.ask("Who founded Mistral?", k=k)
        with pytest.raises(SettingsError, match="at least 1"):
            corpus_assistant.as_retriever(k=k)
    assert len(corpus_assistant.ask("Who founded Mistral?", k=1).passages) == 1


def test_an_unknown_outlet_is_an_error_listing_the_known_ones(corpus_assistant, capsys):
    index = str(corpus_assistant.settings.index_dir)
    question = ["ask", "Who founded Mistral?", "--index", index]
    assert main([*question, "--source", "sample news"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: no outlet 'sample news' in the index")
    assert "did you mean Sample News Desk?" in err
    assert "its outlets are: Sample News Desk, Seed article" in err
    assert main([*question, "--source", "Sample News Desk", "--source", "CNN"]) == 1
    assert "no outlet 'CNN'" in capsys.readouterr().err
    assert main([*question, "--source", "Sample News Desk", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["citations"] and {c["source"] for c in data["citations"]} == {"Sample News Desk"}


def test_only_ingest_makes_an_index(tmp_path: Path, capsys, monkeypatch):
    """ask, chat and stats on a folder that holds no index say so and create nothing;
    ingest then makes it, and an index left empty says how to fill it."""
    missing = tmp_path / "no such index"
    monkeypatch.setattr("sys.stdin", io.StringIO("Who founded Mistral?\n"))
    for command in (["ask", "Who founded Mistral?"], ["chat"], ["stats"], ["stats", "--json"]):
        assert main([*command, "--index", str(missing)]) == 1, command
        captured = capsys.readouterr()
        assert captured.err == (
            f"Error: there is no index at {missing}: make one with "
            f"`assistant ingest PATH --index '{missing}'`\n"
        ), command
        assert not captured.out and not missing.exists(), command
    assert Assistant(index_dir=missing).stats().articles == 0 and not missing.exists()

    article = write(tmp_path / "news" / "a.md", "# Lighthouse sold\n\nThe lighthouse was sold.\n")
    assert main(["ingest", str(tmp_path / "news"), "--index", str(missing)]) == 0
    article.unlink()
    assert main(["ingest", str(tmp_path / "news"), "--sync", "--index", str(missing)]) == 0
    assert "1 removed" in capsys.readouterr().out
    assert main(["stats", "--index", str(missing), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["articles"] == 0
    assert main(["ask", "Who founded Mistral?", "--index", str(missing)]) == 1
    assert f"Error: the index at {missing} is empty: add articles" in capsys.readouterr().err


def _into_a_closed_pipe(args: list[str], index: Path) -> tuple[int, str]:
    """Run the installed `assistant` with its output piped to a reader that has already
    left (as `| head` does once it has its lines): its exit status and standard error."""
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index)}
    exe = Path(sys.executable).with_name("assistant")
    proc = subprocess.Popen(
        [str(exe), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the command writes a word: every write meets a closed pipe
    err = proc.stderr.read()
    return proc.wait(timeout=300), err


@pytest.mark.parametrize(
    "args",
    [["ask", "Who founded Mistral?"], ["ask", "Who founded Mistral?", "--json"], ["stats"]],
    ids=["ask", "ask-json", "stats"],
)
def test_a_reader_that_leaves_early_gets_no_traceback(corpus_assistant, args: list[str]):
    status, err = _into_a_closed_pipe(args, corpus_assistant.settings.index_dir)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert "Exception ignored" not in err, err
    assert status == 141, err


def test_chat_shows_how_a_follow_up_was_understood_and_keeps_its_lines(
    corpus_assistant, tmp_path: Path
):
    """`assistant chat` in a new process: the follow-up's standalone form is printed, and
    the questions are kept for line editing in the next chat (readline's history file)."""
    env = {
        **os.environ,
        "ASSISTANT_INDEX_DIR": str(corpus_assistant.settings.index_dir),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    exe = Path(sys.executable).with_name("assistant")
    typed = "When was Mistral 7B released?\nunder which licence was it released?\n\n"
    result = subprocess.run(
        [str(exe), "chat"], input=typed, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "Understood as: under which licence was Mistral 7B released?" in result.stdout
    assert "Apache" in result.stdout
    kept = (tmp_path / "state" / "news-assistant" / "chat_history").read_text(encoding="utf-8")
    assert "under which licence was it released?" in kept


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_answers_are_rendered_for_a_terminal_and_left_as_markdown_for_a_pipe(
    corpus_assistant,
):
    answer = corpus_assistant.ask("When was Mistral 7B released?")
    terminal, pipe = _Terminal(), io.StringIO()
    print_streamed([answer.text, answer], stream=terminal)
    print_streamed([answer.text, answer], stream=pipe)
    assert "**Sources**" in pipe.getvalue()
    assert "Sources" in terminal.getvalue() and "**Sources**" not in terminal.getvalue()
    assert "27 September 2023" in terminal.getvalue()


def test_a_date_range_that_ends_before_it_starts_is_refused(corpus_assistant, capsys):
    index = str(corpus_assistant.settings.index_dir)
    args = ["ask", "Who founded Mistral?", "--index", index, "--since", "2024-03-01"]
    assert main([*args, "--until", "2024-02-01"]) == 1
    err = capsys.readouterr().err
    assert "since (2024-03-01) is after until (2024-02-01)" in err
    assert main([*args, "--as-of", "2024-02-01"]) == 1
    assert "is after as of (2024-02-01)" in capsys.readouterr().err
