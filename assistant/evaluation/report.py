"""The evaluation as a self-contained HTML page: metrics, the recall@k curve, the misses."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .run import METRICS, Evaluation


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
