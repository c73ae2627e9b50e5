"""Measure retrieval and answers against questions with known answers and gold articles.

`evaluate()` ingests a corpus into an index of its own (under a cache folder keyed by the
corpus's hash, the embedding model and the chunking policy, so a second run reuses it),
asks every question and computes the metrics below; `write_report()` renders them as a
self-contained HTML page with a recall@k curve and the misses.

The question format (one JSON object per line): `id`, `date` (YYYY-MM-DD, the day it was
asked), `question`, `answer` (acceptable strings joined by " / ") and `gold_ids` (the
article ids that answer it; may be empty). Nothing here knows any particular question.

Not here: how to retrieve or answer (the Assistant does that, exactly as for a user).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .chunking import Chunker, ChunkingPolicy
from .config import Settings
from .core import Assistant
from .errors import AssistantError
from .schema import Filters, Passage
from .sources import parse_date

METRICS = (
    "recall_at_k",
    "mrr",
    "answer_in_context",
    "answer_in_answer",
    "citation_precision",
    "latency_p50_ms",
    "latency_p95_ms",
    "questions",
    "questions_with_gold",
)
CURVE_K = 20
# Part of the cache key: bump it when ingest starts storing something new (2: sentence
# vectors), so an index cached by older code is rebuilt instead of silently reused.
INDEX_FORMAT = 2


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "news-assistant" / "eval"


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    gold_ids: tuple[str, ...] = ()
    date: date | None = None


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
        return {**{m: self.metrics[m] for m in METRICS}, "misses": self.misses()}


# -- loading -------------------------------------------------------------------------


def load_questions(path: str | Path) -> list[Question]:
    """Read the JSONL question file; a bad line is an error naming the line."""
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            out.append(
                Question(
                    id=str(raw.get("id", n)),
                    question=raw["question"],
                    answers=tuple(a.strip() for a in str(raw.get("answer", "")).split(" / ")),
                    gold_ids=tuple(raw.get("gold_ids") or ()),
                    date=parse_date(raw.get("date")),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise AssistantError(
                f"{path}, line {n}: not a question ({exc}); each line needs at least "
                '{"question": ..., "answer": ...}'
            ) from None
    return out


def normalise(text: str) -> str:
    """Case, punctuation, curly quotes and spacing folded away, for answer matching."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.translate(str.maketrans("‘’“”", "''\"\""))
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """Whether any acceptable answer occurs in `text`, as whole words, after normalising."""
    haystack = f" {normalise(text)} "
    return any(f" {a} " in haystack for a in map(normalise, answers) if a)


# -- the index -----------------------------------------------------------------------


def eval_assistant(
    corpus: str | Path,
    cache_dir: str | Path | None = None,
    policy: ChunkingPolicy | None = None,
    **settings: Any,
) -> Assistant:
    """An Assistant over `corpus`, in a cached index built on first use and reused after.

    The cache key is the corpus file's hash, the embedding model and backend, the chunking
    policy and INDEX_FORMAT: change any of them and a new index is built beside the old one.
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
    assistant = Assistant(index_dir=folder, auto_ingest=False, **settings)
    assistant.chunker = Chunker(assistant.embedder.tokenizer, assistant.embedder.max_tokens, policy)
    done = folder / "complete"
    if not done.exists():
        report = assistant.ingest([corpus])
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
    found = assistant.retriever.search(q.question, k, filters)
    answer = assistant.answerer.answer(q.question, found.passages, found.query_vector)
    seconds = time.perf_counter() - start
    curve_ids: tuple[str, ...] = ()
    if curve:  # timed apart: the curve needs a deeper search than the user's
        deep = assistant.retriever.retrieve(q.question, CURVE_K, filters)
        curve_ids = tuple(p.article_id for p in deep)
    return Outcome(
        question=q,
        article_ids=tuple(p.article_id for p in found.passages),
        titles=tuple(p.title for p in found.passages),
        context_hit=contains_answer(_context(found.passages), q.answers),
        answer_hit=answer.answered and contains_answer(answer.text, q.answers),
        cited=tuple(c.article_id for c in answer.citations),
        answer=answer.text,
        seconds=seconds,
        curve_ids=curve_ids,
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


def write_report(result: Evaluation, path: str | Path, title: str = "Retrieval evaluation") -> None:
    """A self-contained HTML page: the metrics, the recall@k curve and the misses."""
    rows = "".join(
        f"<tr><th>{html.escape(m)}</th><td>{result.metrics[m]}</td></tr>" for m in METRICS
    )
    page = _PAGE.format(
        title=html.escape(title),
        k=result.k,
        metrics=rows,
        curve=_curve_svg(result.curve),
        misses=_misses_html(result.misses()),
    )
    Path(path).write_text(page, encoding="utf-8")


def _curve_svg(curve: Sequence[tuple[int, float]], w: int = 560, h: int = 260) -> str:
    if not curve:
        return "<p>No curve: no question has gold articles.</p>"
    pad = 40
    max_k = curve[-1][0]

    def x(k: int) -> float:
        return pad + (w - 2 * pad) * (k - 1) / max(1, max_k - 1)

    def y(v: float) -> float:
        return h - pad - (h - 2 * pad) * v

    points = " ".join(f"{x(k):.1f},{y(v):.1f}" for k, v in curve)
    dots = "".join(
        f'<circle cx="{x(k):.1f}" cy="{y(v):.1f}" r="3"><title>k={k}: {v:.3f}</title></circle>'
        for k, v in curve
    )
    grid = "".join(
        f'<line x1="{pad}" x2="{w - pad}" y1="{y(g):.1f}" y2="{y(g):.1f}" class="grid"/>'
        f'<text x="{pad - 6}" y="{y(g) + 4:.1f}" text-anchor="end">{g:.1f}</text>'
        for g in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    )
    ticks = "".join(
        f'<text x="{x(k):.1f}" y="{h - pad + 16}" text-anchor="middle">{k}</text>'
        for k, _ in curve
        if k == 1 or k % 5 == 0
    )
    return (
        f'<svg width="{w}" height="{h}" role="img" aria-label="recall at k">{grid}{ticks}'
        f'<polyline points="{points}" fill="none" stroke="#2563eb" stroke-width="2"/>{dots}'
        f'<text x="{w / 2}" y="{h - 4}" text-anchor="middle">k (passages)</text></svg>'
    )


def _misses_html(misses: Sequence[dict[str, Any]]) -> str:
    if not misses:
        return "<p>None.</p>"
    items = []
    for m in misses:
        got = "".join(
            f"<li><code>{html.escape(r['article_id'])}</code> {html.escape(r['title'])}</li>"
            for r in m["retrieved"]
        )
        why = []
        if m["gold_missed"]:
            why.append("gold article not retrieved (" + html.escape(", ".join(m["gold_ids"])) + ")")
        if not m["answer_in_context"]:
            why.append("answer not in the passages")
        items.append(
            f"<details><summary>{html.escape(m['question'])}</summary>"
            f"<p>Answer: <b>{html.escape(m['answer'])}</b>. {'; '.join(why)}.</p>"
            f"<ol>{got}</ol></details>"
        )
    return "".join(items)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; }}
table {{ border-collapse: collapse; }} th, td {{ padding: .2rem .8rem; text-align: left; }}
tr:nth-child(odd) {{ background: #f3f4f6; }} svg text {{ font-size: 11px; }}
.grid {{ stroke: #e5e7eb; }} details {{ margin: .4rem 0; }} summary {{ cursor: pointer; }}
</style></head><body>
<h1>{title}</h1>
<h2>Metrics (k = {k})</h2><table>{metrics}</table>
<h2>Recall@k</h2>{curve}
<h2>Misses</h2>{misses}
</body></html>
"""
