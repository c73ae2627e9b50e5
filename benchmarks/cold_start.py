"""Cold start: a new process, from nothing to its first answer, on an existing index.

    .venv/bin/python benchmarks/cold_start.py [--repeat 3]

The index of the bundled corpus is built once per backend in the cache folder (not timed).
Then, for each backend, a fresh `python -c` process imports the package, opens the index,
loads the model and answers one question; the wall time of the whole process is reported
(median of --repeat runs). `import only` is the same process stopping after the import.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from common import cache_dir, table

QUESTION = "Who founded Mistral?"
BACKENDS = ("torch", "onnx", "onnx-int8")


def index_for(backend: str) -> str:
    from assistant import Assistant
    from assistant.config import BUNDLED_CORPUS

    folder = cache_dir() / f"cold-start-{backend}"
    assistant = Assistant(index_dir=folder, auto_ingest=False, embedding_backend=backend)
    assistant.ingest([BUNDLED_CORPUS])  # unchanged files are skipped on later runs
    return str(folder)


def wall(code: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    args = parser.parse_args()
    rows = [["backend", "python -c pass", "import assistant", "first answer"]]
    empty = wall("pass", args.repeat)
    for backend in args.backends:
        folder = index_for(backend)
        answer = (
            "from assistant import Assistant\n"
            f"a = Assistant(index_dir={folder!r}, auto_ingest=False, "
            f"embedding_backend={backend!r})\n"
            f"assert a.ask({QUESTION!r}).answered"
        )
        rows.append(
            [
                backend,
                f"{empty:.2f} s",
                f"{wall('import assistant', args.repeat):.2f} s",
                f"{wall(answer, args.repeat):.2f} s",
            ]
        )
    print(f"median of {args.repeat} fresh processes each; question: {QUESTION!r}\n")
    print(table(rows))


if __name__ == "__main__":
    main()
