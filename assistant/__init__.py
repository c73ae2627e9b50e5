"""Ask questions about a folder of news articles; get short answers with checked citations.

    from assistant import ask
    print(ask("Who founded Mistral?"))

`Assistant` gives explicit control (index location, corpus, model, k); `Settings` holds
every option; `Answer` and `Citation` are what comes back.
"""

from __future__ import annotations

from functools import lru_cache

from .config import VERSION, Settings
from .core import Assistant
from .errors import AssistantError
from .schema import Answer, Citation, Filters

__version__ = VERSION

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "Citation",
    "Filters",
    "Settings",
    "__version__",
    "ask",
]


@lru_cache(maxsize=1)
def _default() -> Assistant:
    return Assistant()


def ask(question: str, k: int | None = None) -> Answer:
    """Answer `question` from the default index (built from the bundled corpus if empty)."""
    return _default().ask(question, k=k)
