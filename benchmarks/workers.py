"""Ingest workers side by side: N worker processes writing into one PostgreSQL catalog and
one Chroma server, against one worker, with the CPU they use.

    .venv/bin/python benchmarks/workers.py --limit 300 [--workers 2] [--stand-in 1 2 4]
        [--backend onnx-int8] [--catalog-url URL] [--skip-model] [--skip-embedded]
        [--one-session]

The first --limit articles of the dev corpus are dealt into N shards (article i to shard
i mod N, so the shards are alike), kept in the cache folder. Every run gets a new database
on the PostgreSQL server (so a new collection on the Chroma server: one per catalog) and
N workers, each a process that ingests its shard through `Assistant.ingest` with the
settings `assistant ingest` reads (--catalog-url, --chroma-url, an index folder of its
own that stays empty). A worker imports what it needs and loads the model and spaCy,
says it is ready and waits: the clock starts for all of them at once, so model loading is
excluded, as in benchmarks/ingest.py; opening the catalog and the collection is not.

Each worker runs in a session of its own, as `assistant ingest` commands started from
their own shells, units or machines do. Linux's autogroup scheduling
(/proc/sys/kernel/sched_autogroup_enabled) shares the CPU between sessions first and
only then between a session's processes, so on a machine other sessions keep busy,
workers in one session share one session's CPU however many they are (--one-session
runs them so, to compare), and workers in sessions of their own take a larger share of
it from those other sessions as they grow in number: read the ratios with the column of
time spent waiting for a CPU, and the load.

Two series, both at default threading (ONNX Runtime uses every core in each worker):
  model     the real embedding model: 1 worker, then --workers;
  stand-in  the model replaced by a stand-in encoder (`StandInEncoder`: the real tokenizer,
            chunker and sentence pooling, token vectors drawn from a fixed random table
            by the text's hash, no model call), given to the worker's Assistant as its
            embedder, so that the stores are the limit: the --stand-in worker counts.
Then the embedded store (SQLite, Tantivy and Chroma in one index folder, no servers):
several workers started at once on one folder, whose writer lock lets one in and refuses
the others.

Printed for each run: articles, chunks, wall seconds (first start to last end), articles/s
and the ratio to one worker of the same series, the CPU the workers used (user + sys from
getrusage in each), PostgreSQL's (the server's processes) and Chroma's (`chroma run`),
from /proc, in cores (CPU seconds per wall second), all of it in CPU ms per article (it
stays put when coordination costs nothing), the share of the workers' time spent ready
to run but waiting for a CPU (/proc's schedstat: the machine's contention, not the
stores'), and the load average just before the run.
Each run's catalog is checked: every article once, no journal rows left, and Chroma
holding exactly its chunks' vectors. Without --catalog-url a temporary PostgreSQL 15 is
started (tests/postgres.py); a `chroma run` server is always started, on loopback.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from common import DEV_CORPUS, ROOT, cache_dir, table

from assistant.config import BACKENDS, DEFAULT_BACKEND

TICK = os.sysconf("SC_CLK_TCK")
CHARS_PER_TOKEN = 4  # the stand-in's token rate, about the model's on English news
TABLE_ROWS = 4096


# -- the stand-in for the model ----------------------------------------------------------


class StandInEncoder:
    """The `Encoder` seam without a model: the model's own tokenizer (so the chunker cuts
    exactly as it would) and, for each text, one token vector every `CHARS_PER_TOKEN`
    characters, drawn from a fixed random table by the text's hash. Sentence pooling runs
    over as many tokens as with the model, and every vector stored has the model's size."""

    def __init__(self, tokenizer: Any, max_tokens: int, dim: int = 384) -> None:
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens
        rows = np.random.default_rng(0).standard_normal((TABLE_ROWS, dim))
        self.table = rows.astype(np.float32)

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        rows = np.stack([t.vectors.mean(axis=0) for t in self.encode_tokens(texts, batch_size)])
        return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)

    def encode_tokens(self, texts: list[str], batch_size: int) -> list[Any]:
        from assistant.embedding.base import Tokens

        out = []
        for text in texts:
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big")
            n = max(1, math.ceil(len(text) / CHARS_PER_TOKEN))
            steps = np.arange(n)
            starts = steps * CHARS_PER_TOKEN
            offsets = np.stack([starts, np.minimum(starts + CHARS_PER_TOKEN, len(text))], axis=1)
            out.append(Tokens(self.table[(seed + steps * 7919) % TABLE_ROWS], offsets))
        return out


def stand_in_embedder(backend: str) -> Any:
    """An Embedder on the stand-in encoder, with the model's name (so the catalog accepts
    it) and the real tokenizer, taken from the model's encoder and then let go."""
    from assistant.embedding import Embedder

    real = Embedder(backend=backend).encoder
    return Embedder(backend=backend, encoder=StandInEncoder(real.tokenizer, real.max_tokens))


# -- one worker (a child process) --------------------------------------------------------


def work(args: argparse.Namespace) -> None:
    """Load everything, print "ready", wait for a line on stdin, ingest the shard, print
    one JSON line: when it started and ended, what it did and the CPU it used."""
    import chromadb  # noqa: F401  (imports are not what is measured)
    import psycopg  # noqa: F401

    from assistant import Assistant
    from assistant.config import Settings
    from assistant.errors import AssistantError

    settings = Settings.from_env(
        index_dir=args.index,
        catalog_url=args.catalog_url,
        chroma_url=args.chroma_url,
        embedding_backend=args.backend,
    )
    embedder = stand_in_embedder(args.backend) if args.stand_in else None
    assistant = Assistant(settings, embedder=embedder, auto_ingest=False)
    assistant.embedder.embed(["load the model before the clock starts"])
    assistant.linguist.sentences("Load spaCy. Before the clock starts.")
    print("ready", flush=True)
    sys.stdin.readline()
    before = resource.getrusage(resource.RUSAGE_SELF)
    waited = cpu_wait()
    start = time.time()
    result: dict[str, Any]
    try:
        report = assistant.ingest([args.shard])
        result = {"articles": len(report.added), "chunks": report.chunks_embedded,
                  "failed": len(report.failed)}  # fmt: skip
    except AssistantError as error:
        result = {"articles": 0, "chunks": 0, "failed": 0, "refused": str(error)}
    end = time.time()
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    waited = cpu_wait() - waited
    print(json.dumps({**result, "start": start, "end": end, "cpu": cpu, "waited": waited}),
          flush=True)  # fmt: skip


def cpu_wait() -> float:
    """Seconds this process's threads have spent ready to run, waiting for a CPU (the
    second field of /proc's schedstat, in nanoseconds); threads gone are not counted."""
    total = 0
    for task in Path("/proc/self/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError):
            continue  # gone meanwhile
    return total / 1e9


# -- the servers ------------------------------------------------------------------------


@contextmanager
def chroma_server() -> Iterator[tuple[str, int]]:
    """`chroma run` on a free loopback port in a temporary folder (tests/chroma.py): its
    URL and pid."""
    sys.path.insert(0, str(ROOT))
    from tests.chroma import chroma_server as run_chroma

    folder = Path(tempfile.mkdtemp(prefix="news-assistant-chroma-"))
    try:
        with ExitStack() as stack:
            try:
                server = stack.enter_context(run_chroma(folder))
            except RuntimeError as exc:  # it did not start; the benchmark's own errors pass
                raise SystemExit(str(exc)) from exc
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres(url: str | None) -> Iterator[str]:
    """The server at `url`, or a temporary one (tests/postgres.py)."""
    sys.path.insert(0, str(ROOT))
    from tests.postgres import postgres_server

    if url:
        yield url
        return
    with postgres_server() as server:
        yield server


def new_database(server: str) -> str:
    sys.path.insert(0, str(ROOT))
    from tests.postgres import new_database as make

    return make(server)


def postmaster_pid(server: str) -> int:
    """The PostgreSQL server's main process: the parent of a backend we connect to."""
    import psycopg

    with psycopg.connect(f"{server}/postgres") as conn:
        backend = int(conn.execute("SELECT pg_backend_pid()").fetchone()[0])
    return _stat(backend)[0]


def _stat(pid: int) -> tuple[int, float, float]:
    """(parent pid, own CPU seconds, reaped children's CPU seconds) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / TICK
    reaped = (int(fields[13]) + int(fields[14])) / TICK
    return int(fields[1]), own, reaped


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process, its live children and the children it reaped."""
    _, own, reaped = _stat(pid)
    total = own + reaped
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != pid:
            try:
                parent, child_own, _ = _stat(int(entry.name))
            except (OSError, IndexError):
                continue  # gone meanwhile
            if parent == pid:
                total += child_own
    return total


# -- one run (in the parent) -------------------------------------------------------------


@dataclass
class Run:
    series: str
    workers: int
    results: list[dict[str, Any]]
    server_cpu: list[float]  # CPU seconds: PostgreSQL's processes, then `chroma run`
    load: float
    check: str

    @property
    def wall(self) -> float:
        return max(r["end"] for r in self.results) - min(r["start"] for r in self.results)

    @property
    def articles(self) -> int:
        return sum(r["articles"] for r in self.results)

    @property
    def rate(self) -> float:
        return self.articles / self.wall

    def row(self, one: Run | None) -> list[str]:
        refused = sum("refused" in r for r in self.results)
        ratio = f"{self.rate / one.rate:.2f}x" if one else "1.00x"
        if refused:  # only the shards of those let in were ingested: not comparable
            ratio = "-"
        workers_cpu = sum(r["cpu"] for r in self.results)
        waited = sum(r.get("waited", 0.0) for r in self.results)
        worked = sum(r["end"] - r["start"] for r in self.results)
        servers = [f"{cpu / self.wall:.2f}" for cpu in self.server_cpu] or ["-", "-"]
        per_article = (workers_cpu + sum(self.server_cpu)) / self.articles * 1000
        return [
            self.series,
            str(self.workers) + (f" ({refused} refused)" if refused else ""),
            str(self.articles),
            str(sum(r["chunks"] for r in self.results)),
            f"{self.wall:.1f}",
            f"{self.rate:.2f}",
            ratio,
            f"{workers_cpu / self.wall:.2f}",
            *servers,
            f"{per_article:.0f}",
            f"{waited / worked:.0%}",
            f"{self.load:.2f}",
            self.check,
        ]


def shards(corpus: Path, limit: int, n: int) -> list[Path]:
    """The first `limit` articles dealt into `n` files in the cache (i to shard i mod n)."""
    folder = cache_dir() / f"workers-{corpus.stem}-{limit}"
    paths = [folder / f"shard-{k + 1}-of-{n}.jsonl" for k in range(n)]
    if not all(p.exists() for p in paths):
        folder.mkdir(parents=True, exist_ok=True)
        with corpus.open(encoding="utf-8") as f:
            lines = [line for _, line in zip(range(limit), f, strict=False)]
        for k, path in enumerate(paths):
            path.write_text("".join(lines[k::n]), encoding="utf-8")
    return paths


def start_workers(
    shard_paths: list[Path], options: list[str], folders: list[Path], one_session: bool
) -> list[Any]:
    """One worker process per shard, each waiting for its start line, each in a session of
    its own unless `one_session` (see the module's docstring)."""
    script = str(Path(__file__).resolve())
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    procs = []
    for shard, folder in zip(shard_paths, folders, strict=True):
        cmd = [sys.executable, script, "--work", "--shard", str(shard), "--index", str(folder),
               *options]  # fmt: skip
        errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  (open while it runs)
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=errors, text=True, env=env,
                                start_new_session=not one_session)  # fmt: skip
        procs.append((proc, errors))
    for proc, errors in procs:
        if proc.stdout.readline().strip() != "ready":
            proc.wait()
            errors.seek(0)
            raise SystemExit(f"a worker did not start:\n{errors.read()[-3000:]}")
    return procs


def run_workers(shard_paths: list[Path], options: list[str], folders: list[Path],
                cpu_of: list[int], one_session: bool = False,
                ) -> tuple[list[dict[str, Any]], list[float], float]:  # fmt: skip
    """Start the workers at once; their results, each server's CPU seconds and the load."""
    procs = start_workers(shard_paths, options, folders, one_session)
    load = os.getloadavg()[0]
    before = [tree_cpu(pid) for pid in cpu_of]
    for proc, _ in procs:
        proc.stdin.write("go\n")
        proc.stdin.close()
    results = []
    for proc, errors in procs:
        out = proc.stdout.read()
        if proc.wait() != 0:
            errors.seek(0)
            raise SystemExit(f"a worker failed:\n{errors.read()[-3000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
        errors.close()
    time.sleep(0.5)  # let PostgreSQL reap the workers' backends, so their CPU is counted
    return results, [tree_cpu(pid) - b for pid, b in zip(cpu_of, before, strict=True)], load


def check_catalog(catalog_url: str, chroma_url: str, folder: Path, expected: int) -> str:
    """Whether the catalog holds `expected` articles, each once, no journal rows, and
    Chroma exactly its chunks' vectors: "ok", or what is wrong."""
    from assistant.index import Index

    index = Index(folder, chroma_url, catalog_url=catalog_url)
    db = index.db
    articles, keys = db.execute("SELECT count(*), count(DISTINCT url_key) FROM articles").fetchone()
    chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    pending = db.execute("SELECT count(*) FROM pending_vectors").fetchone()[0]
    vectors = index.collection.count()
    index.close()
    if (articles, pending, vectors) == (expected, 0, chunks):
        return "ok"
    counts = f"{articles} articles ({keys} URLs), {chunks} chunks, {vectors} vectors"
    return f"{counts}, {pending} journaled"


def series(name: str, counts: list[int], args: argparse.Namespace, pg: str, chroma: str,
           cpu_of: list[int], scratch: Path) -> list[Run]:  # fmt: skip
    stand_in = name == "stand-in"
    runs = []
    for n in counts:
        url = new_database(pg)
        options = ["--catalog-url", url, "--chroma-url", chroma, "--backend", args.backend]
        if stand_in:
            options.append("--stand-in-worker")
        folders = [scratch / f"{name}-{n}-{k}" for k in range(n)]
        print(f"{name}: {n} worker(s)", file=sys.stderr, flush=True)
        results, server_cpu, load = run_workers(
            shards(DEV_CORPUS, args.limit, n), options, folders, cpu_of, args.one_session
        )
        check = check_catalog(url, chroma, scratch / "check", args.limit)
        runs.append(Run(name, n, results, server_cpu, load, check))
    return runs


def embedded(counts: list[int], args: argparse.Namespace, scratch: Path) -> list[Run]:
    """Stand-in workers started at once on one embedded index folder (a new one per run)."""
    runs = []
    for n in counts:
        folder = scratch / f"embedded-{n}"
        options = ["--backend", args.backend, "--stand-in-worker"]
        print(f"embedded: {n} worker(s), one folder", file=sys.stderr, flush=True)
        results, _, load = run_workers(shards(DEV_CORPUS, args.limit, n), options, [folder] * n, [])
        runs.append(Run("stand-in, embedded, one folder", n, results, [], load, "-"))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300, help="the first N dev articles")
    parser.add_argument("--workers", type=int, nargs="+", default=[2], help="model series")
    parser.add_argument("--stand-in", type=int, nargs="+", default=[2, 4], dest="stand_ins",
                        help="stand-in series, beside one worker")  # fmt: skip
    parser.add_argument("--backend", default=DEFAULT_BACKEND, choices=BACKENDS)
    parser.add_argument("--catalog-url", help="a PostgreSQL server to make the databases on")
    parser.add_argument("--skip-model", action="store_true", help="only the stand-in series")
    parser.add_argument("--skip-embedded", action="store_true")
    parser.add_argument("--one-session", action="store_true",
                        help="all workers in the benchmark's session")  # fmt: skip
    # The worker's own arguments.
    parser.add_argument("--work", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--shard", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--chroma-url", help=argparse.SUPPRESS)
    parser.add_argument("--stand-in-worker", action="store_true", dest="stand_in",
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args()
    if args.work:
        return work(args)

    # Stopped with SIGTERM, still stop the servers and delete their folders.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    runs: list[Run] = []
    scratch = Path(tempfile.mkdtemp(prefix="news-assistant-workers-"))
    try:
        with postgres(args.catalog_url) as pg, chroma_server() as (chroma, chroma_pid):
            cpu_of = [postmaster_pid(pg), chroma_pid]
            if not args.skip_model:
                runs += series("model", [1, *args.workers], args, pg, chroma, cpu_of, scratch)
            runs += series("stand-in", [1, *args.stand_ins], args, pg, chroma, cpu_of, scratch)
        if not args.skip_embedded:
            runs += embedded([1, 2], args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report(runs, args)


def report(runs: list[Run], args: argparse.Namespace) -> None:
    rows = [["series", "workers", "articles", "chunks", "wall s", "articles/s", "vs 1 worker",
             "workers' CPU (cores)", "PostgreSQL CPU", "Chroma CPU", "CPU ms / article",
             "workers waiting for a CPU", "load before", "check"]]  # fmt: skip
    ones = {r.series: r for r in runs if r.workers == 1}
    for run in runs:
        rows.append(run.row(ones.get(run.series) if run.workers > 1 else None))
    sessions = "one session" if args.one_session else "a session each"
    print(f"the first {args.limit} articles of {DEV_CORPUS}; backend {args.backend}; "
          f"{os.cpu_count()} cores; default threading; workers in {sessions}\n")  # fmt: skip
    print(table(rows))
    for run in runs:
        for r in run.results:
            if "refused" in r:
                print(f"\n{run.series}: a worker was refused: {r['refused']}")
                break


if __name__ == "__main__":
    main()
