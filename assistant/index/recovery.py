"""Crash safety for index writers: the writer lock, the pending-writes flag, crash points.

A write touches two stores (Chroma, then the SQLite catalog), so a crash between them can
leave vectors the catalog does not list. Before touching Chroma a writer sets a flag in the
catalog's `meta` table; it is cleared when the ingest finishes, so the next ingest knows
whether it must sweep for orphans (`Index.recover`). The writer lock keeps writers one at a
time, and crash points let tests SIGKILL a writer at an exact step.

Not here: the sweep itself or the order of writes (store.py), the stores (catalog.py,
vector_store.py).
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from ..errors import IndexError_
from .connection import Connection


def set_pending(db: Connection) -> None:
    """Note, before touching Chroma, that a crash from here on may leave orphan vectors."""
    with db:
        db.execute("INSERT INTO meta VALUES ('pending_writes', '1') ON CONFLICT (key) DO NOTHING")


def clear_pending(db: Connection) -> None:
    with db:
        db.execute("DELETE FROM meta WHERE key = 'pending_writes'")


def is_pending(db: Connection) -> bool:
    """Whether a write was left unfinished (one cheap read, unlike a sweep)."""
    return db.execute("SELECT 1 FROM meta WHERE key = 'pending_writes'").fetchone() is not None


@contextmanager
def writer_lock(folder: Path) -> Iterator[None]:
    """Hold the writer lock of the index in `folder`, or fail at once naming its holder.

    An flock, so the kernel releases it when its holder dies, even by SIGKILL: a crashed
    ingest never leaves a stale lock behind.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / "ingest.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "another process"
        os.close(fd)
        raise IndexError_(
            f"another ingest is writing to the index at {folder} ({holder}); "
            "wait for it to finish, or ingest into another --index"
        ) from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, _holder().encode(), 0)
        yield
    finally:
        os.ftruncate(fd, 0)
        os.close(fd)  # closing releases the flock


def _holder() -> str:
    started = datetime.now().isoformat(timespec="seconds")
    command = " ".join(sys.argv) if sys.argv and sys.argv[0] else "python"
    return f"pid {os.getpid()} on {socket.gethostname()}, started {started}: {command}"


# Tests kill the ingest at exact points of a write: NEWS_ASSISTANT_CRASH_AT=upserted:2 sends
# SIGKILL to this process the second time it reaches the point "upserted". Not an
# ASSISTANT_* variable because it is not a setting: it is for the crash tests only.
_crash_counts: dict[str, int] = {}


def crash_point(name: str) -> None:
    target = os.environ.get("NEWS_ASSISTANT_CRASH_AT", "")
    if not target.startswith(name + ":"):
        return
    _crash_counts[name] = _crash_counts.get(name, 0) + 1
    if _crash_counts[name] == int(target.split(":")[1]):
        os.kill(os.getpid(), signal.SIGKILL)
