"""A real Chroma server for the tests and the benchmarks: `chroma run` on a free loopback
port, telemetry off, stopped when the block ends.

Beside tests/postgres.py, and like it a plain context manager, so that a benchmark starts
the same server the tests do (benchmarks/workers.py).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A loopback port nothing listens on now (for any server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _heartbeat(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextmanager
def chroma_server(folder: Path) -> Iterator[tuple[str, int]]:
    """`chroma run` (the one next to this Python) with its data and log in `folder`: its URL
    and pid. RuntimeError, with the end of its log, if it does not answer in 60 s."""
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists():
        raise RuntimeError(f"{exe} is missing: the chromadb package installs it (scripts/setup)")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    cmd = [str(exe), "run", "--path", str(folder / "db"), "--host", "127.0.0.1", "--port",
           str(port)]  # fmt: skip
    log_path = folder / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while not _heartbeat(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"chroma run did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.1)  # polling a condition
            yield url, proc.pid
        finally:
            proc.terminate()
            proc.wait(timeout=30)
