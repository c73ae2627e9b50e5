"""The one registry of answerers: a backend name -> a factory; an unknown name lists the
valid ones. "extractive" quotes the passages; the others are LLM backends (chat_models.py)
wrapped in the verifying `LLMAnswerer`.
"""

from __future__ import annotations

from collections.abc import Callable

from ..config import Settings
from ..embedding.embedder import Embedder
from ..errors import BackendError
from ..text.nlp import Linguist
from .base import Answerer, SentenceLookup, no_stored_sentences
from .chat_models import CHAT_MODELS, ChatModelFactory
from .extractive import ExtractiveAnswerer
from .llm import LLMAnswerer

AnswererFactory = Callable[[Embedder, Settings, SentenceLookup, Linguist], Answerer]


def _extractive(
    embedder: Embedder, settings: Settings, sentences: SentenceLookup, linguist: Linguist
) -> Answerer:
    return ExtractiveAnswerer(embedder, linguist, sentences)


def _llm(backend: str, chat_model: ChatModelFactory) -> AnswererFactory:
    """A chat model behind the verifier; its optional package loads only when chosen."""

    def factory(
        embedder: Embedder, settings: Settings, sentences: SentenceLookup, linguist: Linguist
    ) -> Answerer:
        model = chat_model(settings.llm_model)
        return LLMAnswerer(
            model, embedder, settings.unsupported, backend, settings.llm_context, linguist
        )

    return factory


ANSWERERS: dict[str, AnswererFactory] = {
    "extractive": _extractive,
    **{name: _llm(name, chat_model) for name, chat_model in CHAT_MODELS.items()},
}


def make_answerer(
    name: str,
    embedder: Embedder,
    settings: Settings | None = None,
    sentences: SentenceLookup = no_stored_sentences,
    linguist: Linguist | None = None,
) -> Answerer:
    """The answerer registered under `name`; an unknown name lists the valid ones.

    `sentences` looks up sentence vectors stored at ingest (the extractive answerer's).
    """
    try:
        factory = ANSWERERS[name]
    except KeyError:
        valid = ", ".join(sorted(ANSWERERS))
        raise BackendError(f"unknown answerer {name!r}; valid: {valid}") from None
    return factory(embedder, settings or Settings(), sentences, linguist or Linguist())
