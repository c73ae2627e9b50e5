"""Time questions (issue 17): the digest's precision and recall, and answers outside the window.

    .venv/bin/python benchmarks/time_questions.py [--json OUT]

Asks each question of benchmarks/questions/time.jsonl over realtimeqa-dev's corpus-small
(indexed once, in the evaluation's cache), as of its date. A record names the window its
question means and the window's stories, each a list of the article ids that tell it,
grouped by hand from the articles' dates (the window's every article) and titles. Kinds:
  digest   a question with no topic: precision is the share of cited articles that are
           the window's; recall the share of its stories cited (of at most eight, what a
           digest shows); a story on two lines is a repeat, a line citing two stories
           a merge; the first line should be one of the stories most articles tell. An
           empty window must be answered "no article", citing nothing.
  topic    a topic asked of a window: did the answer cite an article of the story?
For every question whose window holds articles: the share of answers citing outside it.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from statistics import mean
from typing import Any

from common import DEV

from assistant.evaluation.run import eval_assistant
from assistant.schema import Answer, Filters
from assistant.text.dates import resolve

QUESTIONS = Path(__file__).parent / "questions" / "time.jsonl"
CORPUS = DEV / "corpus-small.jsonl"
SHOWN = 8  # a digest lists at most this many stories


def score(record: dict[str, Any], answer: Answer) -> dict[str, Any]:
    """One question's outcome."""
    since, until = (date.fromisoformat(d) for d in record["window"])
    stories = [set(s) for s in record["stories"]]
    belong = set().union(*stories)
    cited = {c.article_id for c in answer.citations}
    days = [c.published for c in answer.citations]
    out: dict[str, Any] = {
        "question": record["question"],
        "as_of": record["as_of"],
        "kind": record["kind"],
        "window_ok": _window_ok(record),
        "answered": answer.answered,
        "outside": any(d is None or not since <= d <= until for d in days),
    }
    if record["kind"] == "digest" and not stories:
        out["empty_ok"] = not answer.answered and not cited
        return out
    if record["kind"] == "digest":
        by_number = {c.n: c.article_id for c in answer.citations}
        lines = [{by_number[n] for n in s.citations} for s in answer.sentences]
        hit = [i for i, s in enumerate(stories) if s & cited]
        out["precision"] = len(cited & belong) / len(cited) if cited else 0.0
        out["recall"] = len(hit) / min(SHOWN, len(stories))
        out["repeats"] = sum(sum(1 for line in lines if line & s) > 1 for s in stories)
        out["merges"] = sum(sum(1 for s in stories if line & s) > 1 for line in lines)
        out["lines"] = len(lines)
        most = max(len(s) for s in stories)
        out["top_first"] = bool(lines) and any(lines[0] & s for s in stories if len(s) == most)
    else:
        out["hit"] = bool(cited & belong)
    return out


def _window_ok(record: dict[str, Any]) -> bool:
    window = resolve(record["question"], date.fromisoformat(record["as_of"]))
    return (
        window is not None
        and [window.since.isoformat(), window.until.isoformat()] == record["window"]
    )


def summary(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    digests = [o for o in outcomes if "precision" in o]
    empty = [o for o in outcomes if "empty_ok" in o]
    topics = [o for o in outcomes if "hit" in o]
    with_articles = [o for o in outcomes if "empty_ok" not in o]
    return {
        "questions": len(outcomes),
        "windows_right": sum(o["window_ok"] for o in outcomes),
        "digests": len(digests),
        "digest_precision": round(mean(o["precision"] for o in digests), 4),
        "digest_recall": round(mean(o["recall"] for o in digests), 4),
        "digest_repeated_stories": sum(o["repeats"] for o in digests),
        "digest_merged_lines": sum(o["merges"] for o in digests),
        "digest_lines": sum(o["lines"] for o in digests),
        "digest_most_covered_first": sum(o["top_first"] for o in digests),
        "empty_windows": len(empty),
        "empty_windows_right": sum(o["empty_ok"] for o in empty),
        "topic_questions": len(topics),
        "topic_hits": sum(o["hit"] for o in topics),
        "citing_outside_window": round(
            sum(o["outside"] for o in with_articles) / len(with_articles), 4
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the outcomes and summary here")
    args = parser.parse_args()
    assistant = eval_assistant(CORPUS)
    records = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    outcomes = []
    for record in records:
        as_of = Filters(as_of=date.fromisoformat(record["as_of"]))
        outcomes.append(score(record, assistant.ask(record["question"], filters=as_of)))
    for o in outcomes:
        detail = {k: v for k, v in o.items() if k not in ("question", "as_of", "kind")}
        print(f"{o['as_of']}  {o['question']:<60} {detail}")
    result = summary(outcomes)
    print()
    for key, value in result.items():
        print(f"{key:>26}: {value}")
    if args.json:
        args.json.write_text(json.dumps({"summary": result, "outcomes": outcomes}, indent=2))


if __name__ == "__main__":
    main()
