"""The served chat through its HTTP API: what uploads may read, and questions at start-up.

The upload tests serve the app in this process, on its own index; the start-up tests run
`assistant serve` and a fresh `Assistant` on an index that a separate `assistant ingest`
built, so nothing in this process has opened it before the questions arrive together.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant
from assistant.config import BUNDLED_CORPUS
from tests.conftest import write
from tests.serving import (
    Served,
    assistant_command,
    call_api,
    free_port,
    python_env,
    served_command,
    served_in_process,
)

QUESTIONS = [
    "Who founded Mistral?",
    "When was Mistral 7B released?",
    "What did Mistral launch with Microsoft?",
    "How much did Mistral raise in June 2024?",
]
SECRET = "# Vault\n\nThe vault code of the Quillfeather bank is 4411-ZEBRA.\n"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, shared_embedder: Any) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("serve")
    assistant = Assistant(index_dir=root / "index", auto_ingest=False, embedder=shared_embedder)
    assistant.ingest([write(root / "a" / "bridge.md", "# Bridge\n\nThe bridge reopened.\n")])
    with served_in_process(assistant) as served:
        yield served


def _client(url: str) -> Any:
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False, download_files=False)


def _file(path: Path | str) -> dict[str, Any]:
    return {"path": str(path), "meta": {"_type": "gradio.FileData"}}


def test_a_file_the_client_uploads_is_indexed(served: Served, tmp_path: Path) -> None:
    mine = write(tmp_path / "ferry.md", "# Ferry\n\nThe Kestrel ferry stopped for winter.\n")
    report, *_ = _client(served.url).predict([_file(mine)], api_name="/upload")
    assert report.startswith("1 added"), report
    reply = _client(served.url).predict("Which ferry stopped for winter?", [], api_name="/chat")
    assert "Kestrel" in json.dumps(reply[0][-1]["content"])


def _planted_in_gradios_folder() -> Path:
    """A file in Gradio's upload folder that no client uploaded (another app's, say)."""
    from gradio.utils import get_upload_folder

    return write(Path(get_upload_folder()) / f"planted-{uuid.uuid4().hex}" / "vault.md", SECRET)


@pytest.mark.parametrize("where", ["elsewhere on the server", "in Gradio's upload folder"])
def test_a_path_on_the_server_is_not_read(served: Served, tmp_path: Path, where: str) -> None:
    if where == "in Gradio's upload folder":
        secret = _planted_in_gradios_folder()
    else:
        secret = write(tmp_path / "server-only" / "vault.md", SECRET)
    before = served.assistant.stats().articles
    try:
        # A raw request, as any HTTP client can send: gradio_client would upload the file.
        outputs = call_api(served.url, "upload", [[_file(secret)]])
    finally:
        if where == "in Gradio's upload folder":
            shutil.rmtree(secret.parent)
    if outputs is not None:  # Gradio let it through to the app, which refuses it by name
        assert outputs[0].startswith("Nothing was added.") and "vault.md" in outputs[0]
    assert served.assistant.stats().articles == before
    reply = _client(served.url).predict("What is the vault code?", [], api_name="/chat")
    assert "4411" not in json.dumps(reply)


# -- questions that arrive together at start-up --------------------------------------------


@pytest.fixture(scope="module")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus, indexed by `assistant ingest` in its own process."""
    index = tmp_path_factory.mktemp("built") / "index"
    subprocess.run(
        assistant_command("ingest", str(BUNDLED_CORPUS), "--index", str(index)),
        env=python_env(),
        check=True,
        timeout=600,
    )
    return index


def _copy(index: Path, tmp_path: Path) -> Path:
    """A copy no process has opened (the ingest that wrote it has ended)."""
    return Path(shutil.copytree(index, tmp_path / "index"))


def test_threads_asking_one_fresh_assistant_at_once(built_index: Path, tmp_path: Path) -> None:
    assistant = Assistant(index_dir=_copy(built_index, tmp_path), auto_ingest=False)
    start = threading.Barrier(len(QUESTIONS))

    def ask(question: str) -> Any:
        start.wait()  # all at once, before any part is built
        return assistant.ask(question)

    with ThreadPoolExecutor(len(QUESTIONS)) as pool:
        answers = list(pool.map(ask, QUESTIONS))
    for question, answer in zip(QUESTIONS, answers, strict=True):
        assert answer.answered and answer.citations, question


def test_ten_chats_the_moment_serve_is_up(built_index: Path, tmp_path: Path) -> None:
    port = free_port()
    command = assistant_command(
        "serve", "--index", str(_copy(built_index, tmp_path)), "--port", str(port)
    )
    with served_command(command, port) as url:
        clients = [_client(url) for _ in range(10)]
        start = threading.Barrier(len(clients))

        def chat(i: int) -> str:
            start.wait()
            history, box = clients[i].predict(QUESTIONS[i % len(QUESTIONS)], [], api_name="/chat")
            assert box == ""
            return json.dumps(history[-1]["content"])

        with ThreadPoolExecutor(len(clients)) as pool:
            replies = list(pool.map(chat, range(len(clients))))
    for reply in replies:
        assert "source-card" in reply and "Sorry" not in reply, reply[:300]
