"""Helpers for the tests that serve the chat: free ports, waiting, and the commands themselves.

`served_command` starts `assistant serve` (or any command) in its own process group, waits
until it answers HTTP, and stops it with Ctrl-C; `call_api` sends one request to a Gradio
endpoint as a raw HTTP client would, without gradio_client's help (which uploads any local
file it is given).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ui
from assistant import Assistant
from tests.chroma import free_port

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Served:
    """A chat being served: where, and the Assistant behind it."""

    url: str
    assistant: Assistant


def wait_for_http(
    url: str, timeout: float = 60.0, process: subprocess.Popen[Any] | None = None
) -> None:
    """Poll `url` until it answers 200; give up after `timeout` s or when `process` ends."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline or (process and process.poll() is not None):
                raise
        time.sleep(0.1)  # polling a condition, not a fixed wait


@contextmanager
def served_in_process(assistant: Assistant) -> Iterator[Served]:
    """The chat app for `assistant`, launched in this process on a free port until the
    block ends."""
    app = ui.build_app(assistant)
    port = free_port()
    ui.launch(app, port=port, block=False)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url)
        yield Served(url, assistant)
    finally:
        app.close()


def python_env(**extra: str) -> dict[str, str]:
    """The environment for a child `python`: this checkout first on its path."""
    env = {**os.environ, **extra}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def assistant_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "assistant", *args]


@contextmanager
def served_command(
    command: Sequence[str], port: int, env: dict[str, str] | None = None, timeout: float = 180.0
) -> Iterator[str]:
    """Run a server command until the block ends; yields its URL once it answers."""
    process = subprocess.Popen(
        list(command),
        cwd=ROOT,
        env=env or python_env(),
        start_new_session=True,  # its own process group, so Ctrl-C reaches it alone
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url, timeout, process)
        yield url
    finally:
        stop(process)


def stop(process: subprocess.Popen[Any], grace: float = 60.0) -> None:
    """Ctrl-C the process group we started; kill it if it does not end within `grace` s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def call_api(url: str, api_name: str, data: list[Any]) -> Any:
    """The outputs of one call to a Gradio endpoint, or None if Gradio answered an error."""
    body = json.dumps({"data": data}).encode()
    request = urllib.request.Request(
        f"{url}gradio_api/call/{api_name}", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        event_id = json.load(response)["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call/{api_name}/{event_id}", timeout=300) as r:
        stream = r.read().decode()
    event = None
    for line in stream.splitlines():
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event in ("complete", "error"):
            return json.loads(line.removeprefix("data: ")) if event == "complete" else None
    raise AssertionError(f"no result in {stream[:500]!r}")
