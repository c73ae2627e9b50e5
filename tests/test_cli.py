"""The `assistant` command, in process and as a real console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main
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
