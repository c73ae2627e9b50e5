"""Nothing leaves loopback: ingest, ask and serve, traced at the system-call level.

Each command runs under `strace -f`, which records every connect, sendto and sendmsg of the
process and its threads, native code included (onnxruntime's telemetry is C++, out of
reach of any patch to Python's socket module). A connection or datagram to an address
beyond loopback, or to port 53 anywhere (a DNS query, even to a local resolver), fails the
test. The commands run without the offline switches in their environment, so it is the
assistant that must set them.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from assistant.config import BUNDLED_CORPUS
from tests.serving import assistant_command, free_port, python_env, served_command

# What assistant/offline.py sets; the commands must manage without them being set for them.
SWITCHES = (
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_HUB_DISABLE_TELEMETRY",
    "ANONYMIZED_TELEMETRY",
    "GRADIO_ANALYTICS_ENABLED",
    "ORT_DISABLE_TELEMETRY",
)
_IPV4 = re.compile(r'sa_family=AF_INET, sin_port=htons\((\d+)\), sin_addr=inet_addr\("([^"]+)"\)')
_IPV6 = re.compile(
    r'sa_family=AF_INET6, sin6_port=htons\((\d+)\),.*?inet_pton\(AF_INET6, "([^"]+)"'
)


def _strace() -> str:
    found = shutil.which("strace")
    if not found:
        pytest.fail("strace is missing: `apt-get install strace` (the no-network tests need it)")
    return found


def traced(command: Sequence[str], log: Path) -> list[str]:
    """`command` under strace, writing the network calls of every thread to `log`."""
    calls = "trace=connect,sendto,sendmsg,sendmmsg"
    return [_strace(), "-f", "-qq", "-s", "64", "-e", calls, "-o", str(log), *command]


def beyond_loopback(log: Path) -> list[str]:
    """The traced calls that reach beyond loopback or look up a name (port 53)."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        for port, address in _IPV4.findall(line) + _IPV6.findall(line):
            ip = ipaddress.ip_address(address)
            mapped = getattr(ip, "ipv4_mapped", None)
            if int(port) == 53 or not (ip.is_loopback or (mapped and mapped.is_loopback)):
                found.append(line)
    return found


def assert_on_loopback(log: Path) -> None:
    found = beyond_loopback(log)
    assert not found, f"{log.stem} reached beyond loopback:\n" + "\n".join(found)


def offline_env() -> dict[str, str]:
    env = python_env()
    for name in SWITCHES:
        env.pop(name, None)
    return env


def run_traced(command: Sequence[str], log: Path) -> str:
    done = subprocess.run(
        traced(command, log), env=offline_env(), capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_ingest_ask_and_serve_stay_on_loopback(tmp_path: Path) -> None:
    from gradio_client import Client

    index = str(tmp_path / "index")
    out = run_traced(
        assistant_command("ingest", str(BUNDLED_CORPUS), "--index", index), tmp_path / "ingest.log"
    )
    assert "13 added" in out
    assert_on_loopback(tmp_path / "ingest.log")

    out = run_traced(
        assistant_command("ask", "Who founded Mistral?", "--index", index), tmp_path / "ask.log"
    )
    assert "Mensch" in out
    assert_on_loopback(tmp_path / "ask.log")

    port = free_port()
    serve = assistant_command("serve", "--index", index, "--port", str(port))
    with served_command(traced(serve, tmp_path / "serve.log"), port, offline_env()) as url:
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        history, _ = client.predict("When was Mistral 7B released?", [], api_name="/chat")
        assert "source-card" in str(history[-1]["content"])
    assert_on_loopback(tmp_path / "serve.log")


# -- the watcher itself: it must see what it is there to see ------------------------------

_PROBE = """
import socket, sys
kind = sys.argv[1]
if kind == "connect":  # a UDP connect sends nothing, but it is the step before sending
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).connect(("192.0.2.1", 9))
elif kind == "dns":  # a DNS-shaped datagram to a local resolver's port (nothing listens)
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"\\0" * 12, ("127.0.0.1", 53))
elif kind == "loopback":
    socket.create_connection(("127.0.0.1", int(sys.argv[2]))).close()
"""


@pytest.mark.parametrize("kind", ["connect", "dns", "loopback"])
def test_the_trace_catches_what_leaves_loopback(tmp_path: Path, kind: str) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = str(listener.getsockname()[1])
        run_traced([sys.executable, "-c", _PROBE, kind, port], tmp_path / "probe.log")
    found = beyond_loopback(tmp_path / "probe.log")
    if kind == "loopback":
        assert found == []
    else:
        assert len(found) == 1, (tmp_path / "probe.log").read_text()
