"""The scripted conversations of tests/data/conversations, scored turn by turn.

Prints each conversation that is not right in every turn (how each follow-up was
understood, and the start of its answer), then the share right per corpus and overall.

    .venv/bin/python benchmarks/conversations.py
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path

from common import DEV, ROOT

from assistant import Assistant
from assistant.config import BUNDLED_CORPUS
from assistant.evaluation.conversations import (
    load_dialogues,
    run_dialogue,
    share_right,
    write_slice,
)

DATA = ROOT / "tests" / "data" / "conversations"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ids = (DATA / "dev-slice.txt").read_text(encoding="utf-8").split()
        sources = {
            "bundled": BUNDLED_CORPUS,
            "stories": DATA / "articles",
            "dev": write_slice(DEV / "corpus-small.jsonl", ids, base / "dev.jsonl"),
        }
        first = Assistant(index_dir=base / "bundled", auto_ingest=False)
        assistants = {}
        for name, path in sources.items():
            assistants[name] = (
                first
                if name == "bundled"
                else Assistant(
                    index_dir=base / name,
                    embedder=first.embedder,
                    linguist=first.linguist,
                    auto_ingest=False,
                )
            )
            assistants[name].ingest([path])
        by_corpus = defaultdict(list)
        for dialogue in load_dialogues(DATA / "conversations.jsonl"):
            result = run_dialogue(assistants[dialogue.corpus], dialogue)
            by_corpus[dialogue.corpus].append(result)
            if not result.right:
                print(f"{result.id} ({dialogue.corpus})")
                for t in result.turns:
                    mark = "ok " if t.right else "MISS"
                    print(f"  {mark} {t.ask!r} -> {t.understood_as!r}: {t.answer[:100]!r}")
        everything = [r for results in by_corpus.values() for r in results]
        for name, results in by_corpus.items():
            print(f"{name:>8}: {share_right(results):.3f} of {len(results)}")
        print(f"{'all':>8}: {share_right(everything):.3f} of {len(everything)}")


if __name__ == "__main__":
    main()
