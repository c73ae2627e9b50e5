"""Citations: numbering in order of first use, and rendering an Answer as Markdown.

Rendering escapes article text, so a title such as `<img src=x onerror=...>` or a
`[link](javascript:...)` inside an article shows as text wherever Markdown is displayed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .schema import Answer, Citation

# Backslash escapes (CommonMark) for everything that can start markup or HTML; parentheses
# are safe once brackets are escaped.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def escape_markdown(text: str) -> str:
    """Make `text` display literally in Markdown (and never as HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def markers(numbers: Sequence[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def source_line(c: Citation) -> str:
    """`Title — Outlet, 2024-02-26`, escaped, with the URL as a link when there is one."""
    title = escape_markdown(c.title)
    head = f"[{title}](<{c.url}>)" if c.url and _safe_url(c.url) else title
    details = ", ".join(
        x
        for x in (escape_markdown(c.source or ""), c.published.isoformat() if c.published else "")
        if x
    )
    return f"{head} — {details}" if details else head


def render_markdown(answer: Answer) -> str:
    return "\n".join([escape_markdown_keep_markers(answer.text), *_source_lines(answer)])


def render_sources(answer: Answer) -> str:
    """Only the numbered sources (or closest articles), for after a streamed answer."""
    return "\n".join(_source_lines(answer)).strip("\n")


def _source_lines(answer: Answer) -> list[str]:
    lines: list[str] = []
    if answer.citations:
        lines += ["", "**Sources**", ""]
        for c in answer.citations:
            quote = escape_markdown(" ".join(c.passage.split()))
            lines.append(f"[{c.n}] {source_line(c)}  \n> {quote}")
    elif answer.related:
        lines += ["", "**Closest articles**", ""]
        for p in answer.related:
            date = f", {p.published.isoformat()}" if p.published else ""
            lines.append(f"- {escape_markdown(p.title)} — {escape_markdown(p.source or '')}{date}")
    return lines


def escape_markdown_keep_markers(text: str) -> str:
    """Escape answer text but keep its [n] citation markers readable."""
    return re.sub(r"\\\[(\d+)\\\]", r"[\1]", escape_markdown(text))


def _safe_url(url: str) -> bool:
    return url.startswith(("http://", "https://")) and not re.search(r"[\s<>]", url)
