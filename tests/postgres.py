"""A real PostgreSQL 15 server for the tests: initdb and pg_ctl in a temporary folder, on a
free loopback port, torn down after.

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user
(Debian's package makes it) in a folder that user owns. A machine without PostgreSQL
fails the tests that need it, naming the fix: skipping would let CI pass without them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.chroma import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_server_user(cmd: list[str]) -> list[str]:
    """`cmd`, run as `postgres` when we are root."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a fresh cluster; yields the URL of its `postgres` superuser (trust auth on
    loopback only), and stops it and deletes its folder after."""
    if not (BIN / "initdb").exists() or not (BIN / "pg_ctl").exists():
        pytest.fail(
            f"PostgreSQL 15 is not installed ({BIN} has no initdb/pg_ctl): "
            "scripts/setup --test installs Debian's postgresql package"
        )
    root = Path(tempfile.mkdtemp(prefix="news-assistant-pg-"))
    data, log = root / "data", root / "server.log"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()

    def run(*args: str) -> None:
        done = subprocess.run(
            _as_server_user([str(a) for a in args]), capture_output=True, text=True, check=False
        )
        if done.returncode:
            tail = log.read_text()[-2000:] if log.exists() else ""
            pytest.fail(f"{args[0]} failed: {done.stdout}{done.stderr}{tail}")

    try:
        run(str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "--locale=C.UTF-8", "-E", "UTF8")  # fmt: skip
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(str(BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start")
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}"
        finally:
            run(str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def new_database(server: str) -> str:
    """A new, empty database on `server`; returns its URL."""
    import psycopg

    name = f"news_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{server}/{name}"
