"""Measure retrieval and answers against questions with known answers and gold articles.

`eval_assistant()` ingests a corpus into an index of its own (under a cache folder keyed
by the corpus's hash, the embedding model and the chunking policy, so a second run reuses
it); `evaluate()` asks every question through `Assistant.ask`, the path every user's
question takes, and computes the metrics below and one record per question.

Not here: the question format and answer matching (questions.py), the HTML report
(report.py), or how to retrieve and answer (the Assistant does that, as for a user).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..core import Assistant
from ..embedding import Embedder
from ..errors import AssistantError
from ..ingest import ChunkingPolicy, Progress
from ..schema import Answer, Filters, Passage
from .questions import Question, contains_answer, short_answer_matches

METRICS = (
    "recall_at_k",
    "mrr",
    "answer_in_context",
    "answer_in_answer",
    "citation_precision",
    "short_answer_match",
    "answered",
    "latency_p50_ms",
    "latency_p95_ms",
    "questions",
    "questions_with_gold",
)
CURVE_K = 20
log = logging.getLogger(__name__)
# Part of the cache key: bump it when ingest starts storing something new (2: sentence
# vectors; 3: sentences found by spaCy; 4: titles for datelines; 5: int8 sentence
# vectors, no chunk texts in Chroma), so an index cached by older code is rebuilt instead
# of silently reused.
INDEX_FORMAT = 5


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "news-assistant" / "eval"


@dataclass(frozen=True)
class Outcome:
    """What happened to one question: what was retrieved and answered, and how fast."""

    question: Question
    article_ids: tuple[str, ...]  # of the k passages, in rank order (may repeat)
    titles: tuple[str, ...]
    context_hit: bool
    answer_hit: bool
    cited: tuple[str, ...]  # article ids of the citations
    answer: str
    seconds: float
    curve_ids: tuple[str, ...] = ()  # article ids of the top CURVE_K passages, for the curve
    answered: bool = True
    short_answer: str | None = None

    def record(self) -> dict[str, Any]:
        """This question's line of `per_question` in `assistant eval --json`."""
        return {
            "id": self.question.id,
            "question": self.question.question,
            "answer": self.answer,
            "short_answer": self.short_answer,
            "answered": self.answered,
            "cited_article_ids": list(dict.fromkeys(self.cited)),
            "retrieved_article_ids": list(self.article_ids),
        }

    @property
    def first_gold_rank(self) -> int | None:
        gold = set(self.question.gold_ids)
        return next((i for i, a in enumerate(self.article_ids, 1) if a in gold), None)


@dataclass
class Evaluation:
    """The metrics of one run, the outcome of every question, and the recall@k curve."""

    k: int
    outcomes: list[Outcome]
    metrics: dict[str, float | int] = field(default_factory=dict)
    curve: list[tuple[int, float]] = field(default_factory=list)

    def misses(self) -> list[dict[str, Any]]:
        """Questions whose gold article was not retrieved, or whose answer was not in context."""
        out = []
        for o in self.outcomes:
            q = o.question
            gold_missed = bool(q.gold_ids) and o.first_gold_rank is None
            if gold_missed or not o.context_hit:
                out.append(
                    {
                        "id": q.id,
                        "question": q.question,
                        "answer": " / ".join(q.answers),
                        "gold_ids": list(q.gold_ids),
                        "gold_missed": gold_missed,
                        "answer_in_context": o.context_hit,
                        "retrieved": [
                            {"article_id": a, "title": t}
                            for a, t in zip(o.article_ids, o.titles, strict=True)
                        ],
                    }
                )
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            **{m: self.metrics[m] for m in METRICS},
            "misses": self.misses(),
            "per_question": [o.record() for o in self.outcomes],
        }


# -- loading -------------------------------------------------------------------------


# -- the index -----------------------------------------------------------------------


def eval_assistant(
    corpus: str | Path,
    cache_dir: str | Path | None = None,
    policy: ChunkingPolicy | None = None,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    **settings: Any,
) -> Assistant:
    """An Assistant over `corpus`, in a cached index built on first use and reused after.

    The cache key is the corpus file's hash, the embedding model and backend, the chunking
    policy and INDEX_FORMAT: change any of them and a new index is built beside the old one.
    `progress(done, total)` follows the build, as it does an ingest's.
    """
    corpus = Path(corpus)
    if not corpus.is_file():
        raise AssistantError(f"corpus file {corpus} not found: give a .jsonl file of articles")
    policy = policy or ChunkingPolicy()
    chosen = Settings.from_env().replace(**settings)
    model = chosen.embedding_model
    backend = chosen.embedding_backend
    if backend != "torch":  # other backends give slightly different vectors
        model = f"{model}@{backend}"
    recipe = hashlib.sha256(f"{model}|{policy!r}|{INDEX_FORMAT}".encode()).hexdigest()[:8]
    folder = Path(cache_dir or default_cache_dir()) / f"{_file_hash(corpus)}-{recipe}"
    assistant = Assistant(
        index_dir=folder, auto_ingest=False, chunking=policy, embedder=embedder, **settings
    )
    done = folder / "complete"
    if not done.exists():
        log.info("building the evaluation index of %s in %s (reused by later runs)", corpus, folder)
        report = assistant.ingest([corpus], progress=progress)
        log.info("%s", report.summary())
        if not report.added and not report.unchanged and not report.updated:
            raise AssistantError(f"no article could be read from {corpus}: {report.summary()}")
        done.write_text(report.summary() + "\n", encoding="utf-8")
    return assistant


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


# -- running -------------------------------------------------------------------------


def evaluate(
    assistant: Assistant,
    questions: Sequence[Question],
    k: int = 5,
    as_of_question_date: bool = False,
    curve: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Ask every question as a user would (retrieve k passages, answer) and score it."""
    assistant.ready()
    outcomes = []
    for n, q in enumerate(questions, 1):
        filters = Filters(as_of=q.date) if as_of_question_date and q.date else None
        outcomes.append(_ask(assistant, q, k, filters, curve))
        if progress:
            progress(n, len(questions))
    result = Evaluation(k, outcomes)
    result.metrics = compute_metrics(outcomes)
    if curve:
        result.curve = recall_curve(outcomes)
    return result


def _ask(
    assistant: Assistant, q: Question, k: int, filters: Filters | None, curve: bool
) -> Outcome:
    start = time.perf_counter()
    answer: Answer = assistant.ask(q.question, k, filters=filters)
    seconds = time.perf_counter() - start
    passages = answer.passages
    curve_ids: tuple[str, ...] = ()
    if curve:  # timed apart: the curve needs a deeper search than the user's
        deep = assistant.retriever.search(answer.question, CURVE_K, filters).passages
        curve_ids = tuple(p.article_id for p in deep)
    return Outcome(
        question=q,
        article_ids=tuple(p.article_id for p in passages),
        titles=tuple(p.title for p in passages),
        context_hit=contains_answer(_context(passages), q.answers),
        answer_hit=answer.answered and contains_answer(answer.text, q.answers),
        cited=tuple(c.article_id for c in answer.citations),
        answer=answer.text,
        seconds=seconds,
        curve_ids=curve_ids,
        answered=answer.answered,
        short_answer=answer.short_answer,
    )


def _context(passages: Sequence[Passage]) -> str:
    return "\n".join(f"{p.title}\n{p.text}" for p in passages)


# -- scoring -------------------------------------------------------------------------


def compute_metrics(outcomes: Sequence[Outcome]) -> dict[str, float | int]:
    """The headline metrics; gold-based ones count only questions that have gold ids."""
    gold = [o for o in outcomes if o.question.gold_ids]
    ranks = [o.first_gold_rank for o in gold]
    cited = [(o.question.gold_ids, o.cited) for o in gold if o.cited]
    latencies = sorted(o.seconds * 1000 for o in outcomes)
    return {
        "recall_at_k": _mean([r is not None for r in ranks]),
        "mrr": _mean([1 / r if r else 0.0 for r in ranks]),
        "answer_in_context": _mean([o.context_hit for o in outcomes]),
        "answer_in_answer": _mean([o.answer_hit for o in outcomes]),
        "citation_precision": _mean([sum(c in g for c in cs) / len(cs) for g, cs in cited]),
        "short_answer_match": _mean(
            [short_answer_matches(o.short_answer, o.question.answers) for o in outcomes]
        ),
        "answered": _mean([o.answered for o in outcomes]),
        "latency_p50_ms": round(percentile(latencies, 50), 1),
        "latency_p95_ms": round(percentile(latencies, 95), 1),
        "questions": len(outcomes),
        "questions_with_gold": len(gold),
    }


def recall_curve(outcomes: Sequence[Outcome], max_k: int = CURVE_K) -> list[tuple[int, float]]:
    """recall@k for k = 1..max_k, from each question's deeper ranking."""
    gold = [o for o in outcomes if o.question.gold_ids]
    out = []
    for k in range(1, max_k + 1):
        hits = [bool(set(o.curve_ids[:k]) & set(o.question.gold_ids)) for o in gold]
        out.append((k, _mean(hits)))
    return out


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    pos = (len(sorted_values) - 1) * pct / 100
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def _mean(values: Sequence[float | bool]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


# -- the HTML report -----------------------------------------------------------------
